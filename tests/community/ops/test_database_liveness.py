"""A pooled PostgreSQL connection the server ended (a restart, an idle timeout, `pg_terminate_backend`) is replaced
before a request uses it, as pool_pre_ping did, without a round trip per request (community/__init__.py)."""
from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import event, make_url, text


@pytest.fixture
def postgres(app, db):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only (set TEST_DATABASE_URL=postgresql+psycopg://...)")
    return db


def _end_every_other_connection(url: str) -> None:
    """What a server restart does to the pool: every connection of the test database ends on the server's side."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        for _ in range(100):
            left = killer.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                  "AND pid <> pg_backend_pid()").fetchone()[0]
            if not left:
                break
            time.sleep(0.05)
    time.sleep(0.1)  # the goodbye reaches the pooled sockets


def test_a_connection_the_server_ended_is_replaced_before_a_request_uses_it(app, postgres, client):
    before = postgres.session.execute(text("SELECT pg_backend_pid()")).scalar()
    postgres.session.commit()
    postgres.session.remove()
    _end_every_other_connection(app.config["SQLALCHEMY_DATABASE_URI"])
    after = postgres.session.execute(text("SELECT pg_backend_pid()")).scalar()  # no OperationalError
    assert after != before
    postgres.session.commit()
    postgres.session.remove()
    _end_every_other_connection(app.config["SQLALCHEMY_DATABASE_URI"])
    assert client.get("/latest").status_code == 200
    postgres.engine.dispose()  # the other pooled connections ended too: pinged and replaced at their next use


def test_a_live_connection_is_not_pinged(app, postgres):
    postgres.session.remove()
    postgres.engine.dispose()  # only connections made now, alive
    postgres.session.execute(text("SELECT 1"))
    postgres.session.commit()
    postgres.session.remove()
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    pings: list[int] = []
    original = postgres.engine.dialect.do_ping
    postgres.engine.dialect.do_ping = lambda connection: pings.append(1) or original(connection)
    event.listen(postgres.engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            postgres.session.execute(text("SELECT 2"))
            postgres.session.commit()
            postgres.session.remove()
    finally:
        event.remove(postgres.engine, "before_cursor_execute", record)
        del postgres.engine.dialect.do_ping
    assert pings == [] and len(sent) == 3
