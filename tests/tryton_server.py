"""A real trytond for the connector's tests and bench: a fresh SQLite Tryton database, the modules activated,
`trytond` serving on a free port.

Building the database (`trytond-admin --all` with party, sale, sale_opportunity, sale_complaint and their
dependencies, then a company, a currency and the admin's company) takes a while, so it is done once per
process into a template file; every server gets its own copy of that file. The binaries are looked for beside
the running Python (CI installs requirements-dev.txt into the same environment), then in `TRYTOND_BIN`.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MODULES = ("party", "sale", "sale_opportunity", "sale_complaint")
ADMIN_PASSWORD = "tryton-admin-5132"
DATABASE = "community"
STARTUP_TIMEOUT = 60


def binaries() -> tuple[str, str] | None:
    """Paths of `trytond` and `trytond-admin`, or None when trytond is not installed."""
    places = [Path(sys.executable).parent]
    if os.environ.get("TRYTOND_BIN"):
        places.insert(0, Path(os.environ["TRYTOND_BIN"]))
    for place in places:
        server, admin = place / "trytond", place / "trytond-admin"
        if server.exists() and admin.exists():
            return str(server), str(admin)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(directory: Path, port: int) -> Path:
    path = directory / "trytond.conf"
    path.write_text(f"[database]\nuri = sqlite://\npath = {directory}\n"
                    f"[web]\nlisten = 127.0.0.1:{port}\n[session]\nauthentications = password\n"
                    f"[password]\nforbidden =\nlength = 4\n", encoding="utf-8")
    return path


def _env(directory: Path) -> dict:
    pass_file = directory / "admin-password"
    pass_file.write_text(ADMIN_PASSWORD, encoding="utf-8")
    # With email_validator importable, Tryton checks every party address by DNS (MX lookup), which a test
    # machine may not have: a stub that fails to import makes it take the address as given, as it does
    # when email_validator is not installed at all.
    stub = directory / "no-dns"
    stub.mkdir(exist_ok=True)
    (stub / "email_validator.py").write_text('raise ImportError("no DNS checks in the test trytond")\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYTOND_") and k != "TRYTON_URL"}
    env["TRYTONPASSFILE"] = str(pass_file)
    env["PYTHONPATH"] = str(stub)
    return env


def rpc(url: str, method: str, params: list, session: tuple[str, int, str] | None = None):
    """One JSON-RPC call (the fixture's own, so the tests do not check the connector with itself)."""
    headers = {"Content-Type": "application/json"}
    if session:
        token = base64.b64encode(f"{session[0]}:{session[1]}:{session[2]}".encode()).decode()
        headers["Authorization"] = f"Session {token}"
    body = json.dumps({"id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    if answer.get("error"):
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


@dataclass
class TrytonServer:
    """One trytond process over one database file; `stop()` kills it, `start()` brings it back on the same port."""
    directory: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{DATABASE}/rpc/"

    @property
    def url(self) -> str:
        """The TRYTON_URL of the contract."""
        return f"http://admin:{ADMIN_PASSWORD}@127.0.0.1:{self.port}/{DATABASE}/"

    def start(self) -> None:
        server, _admin = binaries()
        config = _config(self.directory, self.port)
        log = open(self.directory / "trytond.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.process = subprocess.Popen([server, "-c", str(config), "-d", DATABASE], env=_env(self.directory),
                                        stdout=log, stderr=subprocess.STDOUT, cwd=self.directory,
                                        start_new_session=True)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"trytond exited:\n{self.log_tail()}")
            try:
                rpc(f"http://127.0.0.1:{self.port}/rpc/", "common.server.version", [])
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"trytond did not answer in {STARTUP_TIMEOUT}s:\n{self.log_tail()}")

    def stop(self, graceful: bool = False) -> None:
        """Kill the server at once (SIGKILL: what a crash looks like to the connector), or let it end."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM if graceful else signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join((self.directory / "trytond.log").read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def session(self) -> tuple[str, int, str]:
        user_id, key = rpc(self.rpc_url, "common.db.login", ["admin", {"password": ADMIN_PASSWORD}])[:2]
        return ("admin", user_id, key)

    def call(self, model_method: str, *args):
        """Call `model.<model_method>` as admin with the company in the context (what staff do in Tryton)."""
        session = self.session()
        context = rpc(self.rpc_url, "model.res.user.get_preferences", [True, {}], session)
        return rpc(self.rpc_url, f"model.{model_method}", [*args, context], session)


def _bootstrap(directory: Path) -> None:
    """Activate the modules and set up the company every sale document needs (once per template)."""
    server_bin, admin = binaries()
    config = _config(directory, free_port())
    (directory / f"{DATABASE}.sqlite").touch()
    result = subprocess.run([admin, "-c", str(config), "-d", DATABASE, "--all", "--email", "admin@example.com",
                             "-u", *MODULES, "--activate-dependencies"], env=_env(directory), cwd=directory,
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"trytond-admin failed:\n{(result.stdout + result.stderr)[-3000:]}")
    server = TrytonServer(directory, free_port())
    server.start()
    try:
        session = server.session()
        url = server.rpc_url
        currency = rpc(url, "model.currency.currency.create",
                       [[{"name": "Euro", "code": "EUR", "symbol": "€", "rounding": "0.01", "digits": 2}], {}],
                       session)[0]
        party = rpc(url, "model.party.party.create", [[{"name": "Acme Outdoor"}], {}], session)[0]
        company = rpc(url, "model.company.company.create", [[{"party": party, "currency": currency}], {}],
                      session)[0]
        employee = rpc(url, "model.company.employee.create", [[{"party": party, "company": company}], {}],
                       session)[0]
        rpc(url, "model.res.user.write", [[session[1]], {"companies": [["add", [company]]], "company": company,
                                                         "employees": [["add", [employee]]], "employee": employee},
                                          {}], session)
    finally:
        server.stop(graceful=True)


_template: Path | None = None


def template() -> Path:
    """The prepared database file, built on first use in this process."""
    global _template  # noqa: PLW0603 (one template per process, on purpose)
    if _template is None:
        # TRYTON_TEMPLATE_DIR keeps the template between runs on a developer's machine
        kept = os.environ.get("TRYTON_TEMPLATE_DIR")
        if kept and (Path(kept) / f"{DATABASE}.sqlite").exists():
            _template = Path(kept) / f"{DATABASE}.sqlite"
            return _template
        directory = Path(kept or tempfile.mkdtemp(prefix="tryton-template-"))
        directory.mkdir(parents=True, exist_ok=True)
        _bootstrap(directory)
        _template = directory / f"{DATABASE}.sqlite"
    return _template


def serve() -> TrytonServer:
    """A running trytond over a fresh copy of the template database."""
    directory = Path(tempfile.mkdtemp(prefix="tryton-"))
    source = template()
    for part in source.parent.glob(f"{DATABASE}.sqlite*"):  # with its -wal file
        shutil.copy(part, directory / part.name)
    server = TrytonServer(directory, free_port())
    server.start()
    return server
