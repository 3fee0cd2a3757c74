"""Helpers for the moderation tests: members at a trust level, signing in a fresh client."""
import re
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from community.extensions import db
from community.members.models import Member
from tests import factories
from tests.conftest import Auth


def at_level(member, level: int):
    """Give `member` a trust level (as the trust area would), committed."""
    row = db.session.get(Member, member.id)
    row.trust_level, row.trust_level_locked = level, True  # locked: the daily recompute must not undo it
    db.session.commit()
    return member


@pytest.fixture
def login(app):
    """Return a function that signs `member` in on a new client and returns the client."""

    def sign_in(member):
        client = app.test_client()
        Auth(client).login(member)
        return client

    return sign_in


@pytest.fixture
def mod(make):
    return make.member("mona", role="moderator")


@pytest.fixture
def level(make):
    def make_member(name, trust_level=1, **kwargs):
        return at_level(factories.member(name, **kwargs), trust_level)

    return make_member


@pytest.fixture
def own_queries(app):
    """Count the SQL statements this thread runs (the search index writer thread works alongside)."""

    @contextmanager
    def counter():
        me, statements = threading.get_ident(), []

        def record(conn, cursor, statement, parameters, context, executemany):
            if threading.get_ident() == me and not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|PRAGMA)", statement, re.I):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counter
