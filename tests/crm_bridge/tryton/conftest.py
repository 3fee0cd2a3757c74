"""A real trytond for the connector's tests: started once per session (tests/tryton_server.py); each test gets
the app pointed at it through TRYTON_URL. Skipped on a machine without trytond, failed under CI=true."""
from __future__ import annotations

import os

import pytest

from tests import tryton_server


def _require_trytond() -> None:
    if tryton_server.binaries() is None:
        problem = "trytond is not installed; pip install -r requirements-dev.txt (or set TRYTOND_BIN)"
        if os.environ.get("CI"):
            pytest.fail(f"Tryton connector tests cannot run: {problem}", pytrace=False)
        pytest.skip(f"Tryton connector tests skipped: {problem}")


@pytest.fixture(scope="session")
def tryton():
    """One trytond over a fresh copy of the prepared database, for the whole session."""
    _require_trytond()
    server = tryton_server.serve()
    yield server
    server.stop()


@pytest.fixture
def tryton_app(app, tryton):
    """The app synced with the running trytond (TRYTON_URL), brought back if a test killed it."""
    if tryton.process is None or tryton.process.poll() is not None:
        tryton.start()
    app.config["TRYTON_URL"] = tryton.url
    yield app
    app.config.pop("TRYTON_URL", None)
