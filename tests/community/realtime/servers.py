"""Real server processes for the realtime tests: `python wsgi.py` (or gunicorn) on a free port.

Like tests/e2e: migrate with `flask --app wsgi db upgrade`, seed through the real services, serve
from a temporary directory. Several servers may share one database and one Redis channel, as
several processes behind a load balancer do.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import queue
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import socketio

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "harbour-lantern-2931"
SCRUBBED = ("DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "SMTP_URL", "MAIL_FROM", "SECRET_KEY",
            "FLASK_APP", "FLASK_DEBUG", "HOST", "PORT")

SEED = r"""
import json, sys
from application import create_app
from community.extensions import db
from community.forum.models import Board, BoardKind, Visibility
from community.forum import services as forum
from community.members.models import Role
from community.members.services import register_member

app = create_app()
with app.app_context():
    public = Board(slug="general", name="General", kind=BoardKind.discussion, visibility=Visibility.public)
    staff = Board(slug="internal", name="Internal", kind=BoardKind.discussion, visibility=Visibility.staff)
    db.session.add_all([public, staff])
    db.session.flush()
    maya = register_member("maya", "maya@example.com", sys.argv[1])
    sam = register_member("sam", "sam@example.com", sys.argv[1], role=Role.staff)
    thread = forum.start_thread(maya, public, "Live thread for sockets", "Opening post.")
    internal = forum.start_thread(sam, staff, "Staff only thread", "Internal opening post.")
    db.session.commit()
    print(json.dumps({"thread_id": thread.id, "staff_thread_id": internal.id}))
"""

REPLY = r"""
import sys
from application import create_app
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Thread
from community.members.models import Member
from sqlalchemy import select

app = create_app()
with app.app_context():
    member = db.session.scalar(select(Member).where(Member.username == sys.argv[1]))
    post = forum.reply(member, db.session.get(Thread, int(sys.argv[2])), sys.argv[3])
    db.session.commit()
    print(post.id)
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(workdir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED and not k.startswith("COMMUNITY_")}
    env.update({
        "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"sqlite:///{workdir / 'community.db'}",
        "COMMUNITY_INSTANCE_PATH": str(workdir / "instance"),
        "COMMUNITY_SEARCH_INDEX_DIR": str(workdir / "search-index"),
        "COMMUNITY_WTF_CSRF_ENABLED": "false",
        # the factories' staff and admins have no second factor (as in the suite's app; tests/conftest.py)
        "COMMUNITY_TWO_FACTOR_ENFORCED": "false",
        "RATELIMIT_ENABLED": "false",
        "HOST": "127.0.0.1",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(args: list[str], env: dict, cwd: Path) -> str:
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return result.stdout


def prepare(workdir: Path, **extra) -> dict:
    """Migrate and seed a community in `workdir`; return the seeded ids."""
    env = base_env(workdir, **extra)
    run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env, workdir)
    return json.loads(run([sys.executable, "-c", SEED, PASSWORD], env, workdir).strip().splitlines()[-1])


def reply_from_script(workdir: Path, username: str, thread_id: int, body: str, **extra) -> int:
    """Post a reply from a separate, non-serving process (as a CLI command or worker would)."""
    env = base_env(workdir, **extra)
    return int(run([sys.executable, "-c", REPLY, username, str(thread_id), body], env, workdir).strip().splitlines()[-1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start(workdir: Path, command: list[str] | None = None, **extra) -> Server:
    """Serve the community in `workdir` (default: `python wsgi.py`) and wait until it answers."""
    port = free_port()
    env = base_env(workdir, PORT=port, **extra)
    log_path = workdir / f"server-{port}.log"
    command = [part.format(port=port) for part in (command or [sys.executable, str(ROOT / "wsgi.py")])]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2) as response:
                if response.status == 200:
                    return server
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server did not answer within 60 s:\n{server.log()}")


class Browser:
    """A cookie-keeping HTTP client: sign in, post forms, and hand the cookie to a socket client."""

    def __init__(self, url: str, headers: dict | None = None):
        self.url = url
        self.headers = headers or {}  # sent with every request (X-Forwarded-For behind TRUSTED_PROXIES, say)
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def request(self, path: str, data: dict | bytes | None = None, timeout: float = 10, headers: dict | None = None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if isinstance(data, dict) else data
        request = urllib.request.Request(self.url + path, data=body, headers={**self.headers, **(headers or {})})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def login(self, username: str, password: str = PASSWORD) -> None:
        status, _ = self.request("/login", {"login": username, "password": password})
        assert status == 302, status

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class Listener:
    """A python-socketio client over websocket that records every event it receives."""

    def __init__(self, url: str, cookie: str | None = None, origin: str | None = None):
        self.events: queue.Queue = queue.Queue()
        # websocket-client sends the server's own origin unless told another one
        options = {"websocket_extra_options": {"origin": origin}} if origin else {}
        self.sio = socketio.Client(reconnection=False, **options)
        self.sio.on("*", lambda event, data=None: self.events.put((event, data)))
        headers = {"Cookie": cookie} if cookie else {}
        self.sio.connect(url, headers=headers, transports=["websocket"], wait_timeout=10)

    def wait_for(self, name: str, timeout: float = 10, where=lambda data: True):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if event == name and where(data):
                return data
        raise AssertionError(f"no {name} event within {timeout} s")

    def close(self):
        self.sio.disconnect()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def channel() -> str:
    """A Redis channel of its own, so concurrent test runs never hear each other."""
    return f"community-test-{uuid.uuid4().hex[:12]}"
