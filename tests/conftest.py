"""One conftest: app, db, client, auth, query counting. Real SQLite, or PostgreSQL via TEST_DATABASE_URL."""
from __future__ import annotations

import contextvars
import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from application import create_app
from community.extensions import db as _db
from community.extensions import limiter
from community.search.backends import whoosh as search_index
from tests import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


class IsolatedClient(FlaskClient):
    """A test client whose requests get their own app context, as real requests do.

    Without this a request would reuse the test's app context, sharing its database session and
    Flask-Login's cached user between requests of different clients.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def test_settings(tmp_path_factory) -> dict:
    instance = tmp_path_factory.mktemp("instance")
    url = TEST_DATABASE_URL or f"sqlite:///{instance / 'test.db'}"
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "SERVER_NAME": None,
        # Staff made by the factories have no second factor: tests that check the requirement turn it on
        # (tests/community/twofactor); production and the dedicated tests enforce it (docs/security.md).
        "TWO_FACTOR_ENFORCED": False,
    }


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(test_settings(tmp_path_factory))
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    return app


_pg_delete_ok = True


def _empty_tables():
    """Delete every row and restart the id sequences (as SQLite does once a table is empty)."""
    global _pg_delete_ok
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        if _pg_delete_ok:
            # DELETE of a few rows per table is far cheaper than TRUNCATE (new files for ~60 tables and
            # their indexes per test), and takes no lock a concurrent reader waits on. Foreign keys are
            # not checked meanwhile (posts and threads point at each other); that takes a superuser.
            try:
                with _db.session.begin_nested():
                    _db.session.execute(text("SET LOCAL session_replication_role = replica"))
            except Exception:
                _pg_delete_ok = False
                _db.session.rollback()
        if _pg_delete_ok:
            _db.session.execute(text("; ".join(f'DELETE FROM "{t.name}"' for t in tables)))
            _db.session.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
                                     "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()"))
        else:
            names = ", ".join(f'"{t.name}"' for t in tables)
            _db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # threads.accepted_post_id and posts.thread_id point at each other: check keys at commit.
        _db.session.execute(text("PRAGMA defer_foreign_keys = ON"))
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


def _quiet_search_writer(app) -> None:
    """Let the search writer thread finish what the test committed before the tables are emptied.

    On PostgreSQL, TRUNCATE takes its locks table by table while the writer may hold a read lock on
    one of them and ask for another: the server breaks that deadlock by failing the teardown.
    """
    found = search_index._services.get(str(Path(app.config["SEARCH_INDEX_DIR"]).resolve()))
    if found is not None:
        found.wait(30)


@pytest.fixture(autouse=True)
def db(app):
    """Each test runs inside an app context and leaves every table empty."""
    # Flask-Limiter keeps `enabled` on the one shared Limiter: an app another test built with rate
    # limits on (test_migrations, test_setup) must not turn them on for the suite's app.
    limiter.enabled = bool(app.config.get("RATELIMIT_ENABLED"))
    with app.app_context():
        yield _db
        _db.session.rollback()
        _quiet_search_writer(app)
        _empty_tables()
        _db.session.remove()
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["RATELIMIT_ENABLED"] = False


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make():
    return factories


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, member, password: str = factories.PASSWORD, remember: bool = False):
        response = self.client.post("/login", data={"login": member.username, "password": password,
                                                    "remember": "y" if remember else ""})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def count_queries(app):
    """Return a context manager that counts the SQL statements run inside it."""

    @contextmanager
    def counter():
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|PRAGMA)", statement, re.I):
                statements.append(statement)

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counter


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
