"""Rate limits on sign-in and registration, shared through Redis by several processes.

Two real processes (the test app itself runs without limits) talk to one real Redis server: what one
process counted, the other sees. Without Redis each process would count alone and allow 6 + 6.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent("""
    import json, sys
    from application import create_app
    from community.extensions import db

    instance, redis_url, what, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + instance + "/rl.db", "REDIS_URL": redis_url,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    assert app.config["RATELIMIT_STORAGE_URI"] == redis_url
    with app.app_context():
        db.create_all()
    client = app.test_client()
    codes = []
    for i in range(n):
        if what == "login":
            response = client.post("/login", data={"login": "nobody", "password": "wrong-password-1"})
        else:
            response = client.post("/register", data={"username": f"user{instance[-1]}{i}", "website": "",
                                                      "email": f"u{instance[-1]}{i}@example.com",
                                                      "password": "a-long-enough-pass-9"})
            client.post("/logout")
        codes.append(response.status_code)
    print(json.dumps(codes))
""")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _run(tmp_path, name, redis_url, what, n):
    instance = tmp_path / name
    instance.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(instance), redis_url, what, str(n)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sign_in_attempts_are_limited_per_ip_across_processes(tmp_path, redis_url):
    first = _run(tmp_path, "a", redis_url, "login", 4)
    second = _run(tmp_path, "b", redis_url, "login", 3)
    assert 429 not in first
    assert 429 not in second[:2] and second[2] == 429  # the 7th attempt in the minute, in another process


def test_registrations_are_limited_per_ip_across_processes(tmp_path, redis_url):
    first = _run(tmp_path, "a", redis_url, "register", 2)
    second = _run(tmp_path, "b", redis_url, "register", 2)
    assert first == [302, 302]
    assert second == [302, 429]  # 3 per minute from one address
