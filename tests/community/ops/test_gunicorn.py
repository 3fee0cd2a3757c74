"""gunicorn.conf.py: gunicorn loads it, it holds what the README recommends, and a request served by it is logged."""
from __future__ import annotations

import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CONF = ROOT / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")
SCRUBBED = ("DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "SMTP_URL", "SECRET_KEY", "HOST", "PORT",
            "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_ACCESS_LOG", "COMMUNITY_BASE_URL")


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(COMMUNITY_INSTANCE_PATH=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'web.db'}",
               RATELIMIT_ENABLED="false", COMMUNITY_MAIL_SEND_THREAD="false", **extra)
    return env


def _settings(monkeypatch, **env) -> dict:
    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_gunicorn_loads_the_config_and_the_app(tmp_path):
    done = subprocess.run([str(GUNICORN), "--check-config", "-c", str(CONF), "wsgi:app"], cwd=ROOT,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_config_is_what_the_readme_recommends(monkeypatch):
    settings = _settings(monkeypatch)
    assert settings["worker_class"] == "gthread" and settings["workers"] == 1 and settings["threads"] == 100
    assert settings["bind"] == ["127.0.0.1:5000"]  # the contract's HOST/PORT defaults, as python wsgi.py
    assert "x-request-id" in settings["access_log_format"]
    settings = _settings(monkeypatch, HOST="0.0.0.0", PORT="8000", WEB_CONCURRENCY="2", GUNICORN_THREADS="50")
    assert settings["bind"] == ["0.0.0.0:8000"] and settings["workers"] == 2 and settings["threads"] == 50
    assert _settings(monkeypatch, HOST="::1", PORT="8001")["bind"] == ["[::1]:8001"]


def test_the_readme_names_the_config_and_the_production_guide():
    readme = (ROOT / "README.md").read_text()
    assert "gunicorn -c gunicorn.conf.py wsgi:app" in readme
    assert "docs/production.md" in readme and (ROOT / "docs" / "production.md").is_file()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_request_served_by_gunicorn_is_logged_on_one_line_with_its_id(tmp_path):
    port = _free_port()
    server = subprocess.Popen([str(GUNICORN), "-c", str(CONF), "wsgi:app"], cwd=ROOT,
                              env=_env(tmp_path, PORT=str(port)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        deadline = time.monotonic() + 120  # building the app takes a while on a busy machine
        while True:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/no-such-page",
                                             headers={"X-Request-ID": "probe-123"})
            try:
                urllib.request.urlopen(request, timeout=120)  # one request: the worker may still be booting
            except urllib.error.HTTPError as answer:  # the 404 this path gets, answered by the app
                assert answer.code == 404 and answer.headers["X-Request-ID"] == "probe-123"
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    lines = [line for line in output.splitlines() if "community.requests" in line]
    assert len(lines) == 1, output
    assert re.search(r"request_id=probe-123 method=GET path=/no-such-page status=404 duration_ms=\d+\.\d "
                     r"client=127\.0\.0\.1$", lines[0]), lines[0]
