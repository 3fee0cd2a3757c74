"""End-to-end fixtures: the real app served by `python wsgi.py` in its own process, and Debian's Chromium.

The server is started the way an operator starts it (`flask --app wsgi db upgrade`, then
`python wsgi.py`), from a temporary working directory, with its database, instance folder and search
index all inside that directory, so a run leaves nothing behind in the repository.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_TIMEOUT = 30  # seconds for /healthz to answer 200
# Settings an outer environment may carry (a developer's shell, the PostgreSQL CI pass) that must not
# leak into the server under test.
SCRUBBED = ("DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "SMTP_URL", "MAIL_FROM", "SECRET_KEY",
            "FLASK_APP", "FLASK_DEBUG", "HOST", "PORT")

MEMBER_PASSWORD = "harbour-lantern-2931"
# A post with the content that tends to break a phone layout: a long unbroken URL, a wide code line
# and a table.
SEEDED_BODY = """Welcome to the **e2e** board. Read the [guide](https://example.com/guide) first.

- one
- two

https://example.com/a/very/long/path/that/does/not/break/anywhere/at/all/on/a/small/phone/screen/ok

```python
def configure(name, value, *, retries=3, timeout=30, backoff=1.5, jitter=True, verbose=False, dry_run=False): pass
```

| column one | column two | column three | column four | column five | column six |
|---|---|---|---|---|---|
| a value | another value | a third value | a fourth value | a fifth value | a sixth value |
"""

SEED_SCRIPT = r"""
import json, sys
from application import create_app
from community.extensions import db
from community.forum.models import Board, BoardKind, Visibility
from community.forum import services as forum
from community.members.services import register_member

spec = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    board = Board(slug="general", name="General", description="Anything about our products.",
                  kind=BoardKind.discussion, visibility=Visibility.public)
    db.session.add(board)
    db.session.flush()
    member = register_member(spec["username"], spec["email"], spec["password"])
    thread = forum.start_thread(member, board, spec["title"], spec["body"])
    db.session.commit()
    print(json.dumps({"board": board.slug, "thread_id": thread.id, "username": member.username}))
"""


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    workdir: Path
    log_path: Path
    seeded: dict = field(default_factory=dict)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no server log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(workdir: Path, port: int) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in SCRUBBED and not key.startswith("COMMUNITY_")}
    env.update({
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"sqlite:///{workdir / 'community.db'}",
        "COMMUNITY_INSTANCE_PATH": str(workdir / "instance"),
        "COMMUNITY_SEARCH_INDEX_DIR": str(workdir / "search-index"),
        "RATELIMIT_ENABLED": "false",
        # The demo's staff and admins have no second factor (tests/e2e/test_two_factor.py turns it on per test).
        "COMMUNITY_TWO_FACTOR_ENFORCED": "false",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    })
    return env


def _run(what: str, args: list[str], env: dict, cwd: Path) -> str:
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{tail}")
    return result.stdout


def _wait_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
                last = f"status {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"status {exc.code}: {exc.read()[:300]!r}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not answer 200 within {STARTUP_TIMEOUT}s ({last}):\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _require_chromium() -> None:
    """Fail under CI (the browser is part of the job), skip on a developer machine without it."""
    problem = None
    if not os.access(CHROMIUM, os.X_OK):
        problem = f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401, PLC0415  (optional: the e2e tests skip without it)
        except ImportError:
            problem = "the playwright package is missing; pip install -r requirements-dev.txt"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"end-to-end tests cannot run: {problem}", pytrace=False)
        pytest.skip(f"end-to-end tests skipped: {problem}")


@pytest.fixture(autouse=True)
def db():
    """The e2e tests talk to their own server process, never to the in-process test database."""
    yield None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Migrate, seed and serve the real app on a free port; stop it at the end of the session."""
    _require_chromium()
    workdir = tmp_path_factory.mktemp("live-server")
    port = _free_port()
    env = _server_env(workdir, port)
    python = sys.executable

    _run("flask --app wsgi db upgrade", [python, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env, workdir)
    spec = {"username": "maya", "email": "maya@example.com", "password": MEMBER_PASSWORD,
            "title": "Reading a wide post on a phone", "body": SEEDED_BODY}
    seeded = json.loads(_run("seeding a board, a member and a thread", [python, "-c", SEED_SCRIPT, json.dumps(spec)], env, workdir).strip().splitlines()[-1])
    seeded["password"] = MEMBER_PASSWORD
    seeded["title"] = spec["title"]

    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([python, str(ROOT / "wsgi.py")], env=env, cwd=workdir,
                                   stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, workdir=workdir,
                        log_path=log_path, seeded=seeded)
    try:
        _wait_healthy(server)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  (optional: only the skip-guarded e2e tests need it)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


# Every page reports its Content-Security-Policy violations three ways: the DOM event (seen at once),
# the console message Chromium writes, and the report it POSTs to /csp-report (the server logs it).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", event => {
    window.__cspViolation(`${event.effectiveDirective} blocked ${event.blockedURI} on ${event.documentURI}`);
});
"""


class CspWatch:
    """The CSP violations seen since the test began (or since `clear()`)."""

    def __init__(self, server: LiveServer):
        self.server, self.seen = server, []
        self.log_offset = self._log_size()

    def _log_size(self) -> int:
        try:
            return self.server.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def reported_to_server(self) -> list[str]:
        with open(self.server.log_path, "rb") as log:
            log.seek(self.log_offset)
            text = log.read().decode("utf-8", "replace")
        return [line for line in text.splitlines() if "CSP violation:" in line]

    def violations(self) -> list[str]:
        return self.seen + self.reported_to_server()

    def clear(self) -> None:
        self.seen.clear()
        self.log_offset = self._log_size()

    def attach(self, context) -> None:
        context.expose_binding("__cspViolation", lambda _source, text: self.seen.append(text))
        context.add_init_script(CSP_LISTENER)
        context.on("console", lambda message: self.seen.append("console: " + message.text)
                   if "Content Security Policy" in message.text else None)


@pytest.fixture
def csp_watch(live_server):
    return CspWatch(live_server)


@pytest.fixture
def new_context(browser, live_server, csp_watch):
    """Open fresh browser contexts (separate cookies: separate people); fail on any 5xx answer and on
    any Content-Security-Policy violation."""
    contexts, server_errors = [], []

    def open_context(**options):
        options.setdefault("locale", "en-US")
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        context.on("response", lambda r: server_errors.append(f"{r.status} {r.request.method} {r.url}")
                   if r.status >= 500 else None)
        csp_watch.attach(context)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()  # pending reports are sent before a page closes
    if server_errors:
        pytest.fail("the server answered with errors: " + "; ".join(server_errors) +
                    "\n--- server log ---\n" + live_server.log_tail())
    time.sleep(0.3)  # let the last /csp-report POST reach the server log
    if csp_watch.violations():
        pytest.fail("Content-Security-Policy violations: " + "; ".join(csp_watch.violations()))


@pytest.fixture
def page(new_context):
    """A page in its own new browser context."""
    return new_context().new_page()


def serve_app(workdir: Path, *, demo: bool = False) -> LiveServer:
    """Migrate a new database in `workdir` (and load the demo community when asked), serve it with
    `python wsgi.py` on a free port, and return once it answers /healthz."""
    port = _free_port()
    env = _server_env(workdir, port)
    python = sys.executable
    _run("flask --app wsgi db upgrade", [python, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env, workdir)
    if demo:
        _run("flask community seed-demo", [python, "-m", "flask", "--app", "wsgi", "community", "seed-demo"], env,
             workdir)
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([python, str(ROOT / "wsgi.py")], env=env, cwd=workdir,
                                   stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, workdir=workdir, log_path=log_path)
    try:
        _wait_healthy(server)
    except BaseException:
        _stop(process)
        raise
    return server


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """Where screenshots go: $E2E_SCREENSHOT_DIR when set (to look at them), else a temp dir."""
    path = Path(os.environ.get("E2E_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """A second server with the demo community (`flask community seed-demo`: every role, every board kind,
    ideas, CRM records), for the checks that walk every page (phone width, axe-core, screenshots). Its
    own database, so the demo's members and threads never meet the other tests' expectations."""
    _require_chromium()
    server = serve_app(tmp_path_factory.mktemp("demo-server"), demo=True)
    try:
        yield server
    finally:
        _stop(server.process)


@pytest.fixture
def demo_context(browser, demo_server):
    """Open browser contexts on the demo server; fail on any 5xx answer and (in the contexts that do not
    bypass it) on any Content-Security-Policy violation."""
    contexts, server_errors, csp = [], [], CspWatch(demo_server)

    def open_context(**options):
        options.setdefault("locale", "en-US")
        context = browser.new_context(base_url=demo_server.url, **options)
        context.set_default_timeout(10_000)
        context.on("response", lambda r: server_errors.append(f"{r.status} {r.request.method} {r.url}")
                   if r.status >= 500 else None)
        if not options.get("bypass_csp"):
            csp.attach(context)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    if server_errors:
        pytest.fail("the server answered with errors: " + "; ".join(server_errors) +
                    "\n--- server log ---\n" + demo_server.log_tail())
    time.sleep(0.3)
    if csp.violations():
        pytest.fail("Content-Security-Policy violations: " + "; ".join(csp.violations()))
