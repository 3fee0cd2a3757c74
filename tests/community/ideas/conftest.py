"""Idea tests' shared helpers (imported by the test modules) and fixtures (staff, an idea board, page_queries)."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from community.extensions import db as _db
from community.forum.models import BoardKind, IdeaStatus, Post, Thread, Visibility
from community.ideas.models import IdeaStatusEvent
from community.members.models import Member, Role
from community.notifications.models import Notification
from community.votes.models import Vote
from community.votes.services import cast_vote

JSON = {"Accept": "application/json"}
ALL_STATUSES = [s.value for s in IdeaStatus]


# ---- helpers -----------------------------------------------------------------------------------

def idea_board(make, visibility=Visibility.public, **kwargs):
    return make.board(kind=BoardKind.idea, visibility=visibility, **kwargs)


def opening(thread) -> Post:
    return _db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


def vote(member, thread, value: int) -> None:
    cast_vote(member, opening(thread), value)
    _db.session.commit()


def fresh(thread) -> Thread:
    _db.session.expire_all()
    return _db.session.get(Thread, thread.id)


def votes_on(thread) -> dict[str, int]:
    """{username: value} of the votes on an idea's opening post, from the vote rows."""
    rows = _db.session.execute(select(Member.username, Vote.value).join(Vote, Vote.member_id == Member.id)
                               .where(Vote.post_id == opening(thread).id))
    return dict(rows.all())


def stored_score(thread) -> tuple[int, int, int]:
    """(thread score, opening post score, sum of the vote rows) as the database has them."""
    post = opening(thread)
    thread_score = _db.session.scalar(select(Thread.score).where(Thread.id == thread.id))
    post_score = _db.session.scalar(select(Post.score).where(Post.id == post.id))
    total = _db.session.scalar(select(func.coalesce(func.sum(Vote.value), 0)).where(Vote.post_id == post.id))
    return thread_score, post_score, total


def events_of(thread) -> list[IdeaStatusEvent]:
    return list(_db.session.scalars(select(IdeaStatusEvent).where(IdeaStatusEvent.thread_id == thread.id)
                                    .order_by(IdeaStatusEvent.id)))


def idea_notes(member) -> list[dict]:
    return [n for (n,) in _db.session.execute(
        select(Notification.data).where(Notification.member_id == member.id, Notification.kind == "idea_status")
        .order_by(Notification.id))]


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def text_of(response) -> str:
    """The page as a reader sees it: markup dropped, whitespace folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def change(client, thread, json=False, **data):
    if json:
        return client.post(f"/t/{thread.id}/idea-status", json=data, headers=JSON)
    return client.post(f"/t/{thread.id}/idea-status", data=data)


def snapshot(*threads):
    """Everything a status change may write: statuses, locks, scores, vote rows, events, notifications."""
    _db.session.expire_all()
    return ([(t.id, fresh(t).idea_status, fresh(t).locked_at, stored_score(t), votes_on(t)) for t in threads],
            count(IdeaStatusEvent), count(Notification))


@pytest.fixture
def page_queries(app):
    """Like `count_queries`, but only the statements of this thread: the requests of the test client run
    here, while background workers (the search index writer) query from their own threads."""

    @contextmanager
    def counter():
        statements: list[str] = []
        me = threading.get_ident()

        def record(conn, cursor, statement, parameters, context, executemany):
            if threading.get_ident() == me and not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|PRAGMA)", statement, re.I):
                statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(_db.engine, "before_cursor_execute", record)

    return counter


@pytest.fixture
def staff(make):
    return make.member("pmgr", role=Role.staff)


@pytest.fixture
def board(make):
    return idea_board(make, name="Ideas")
