"""Helpers for local-time tests: a thread whose posts were written at a known UTC time."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from community.extensions import db
from community.forum.models import Post, Thread
from community.members.models import Member
from community.pagecache import PageCache

WRITTEN = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)  # UTC: 18:00 in Shanghai, 11:00 in Paris


def at_known_time(thread):
    """Move the thread's posts and the thread itself to WRITTEN."""
    db.session.execute(update(Post).where(Post.thread_id == thread.id).values(created_at=WRITTEN))
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(created_at=WRITTEN,
                                                                          last_posted_at=WRITTEN))
    db.session.commit()
    return thread


def in_zone(member, zone):
    db.session.execute(update(Member).where(Member.id == member.id).values(timezone=zone))
    db.session.commit()
    return member


@pytest.fixture
def page_cache(app):
    app.config["PAGE_CACHE_SECONDS"] = 60
    app.extensions["community.pagecache"] = PageCache(16)
    yield app.extensions["community.pagecache"]
    app.config["PAGE_CACHE_SECONDS"] = 0
    app.extensions["community.pagecache"] = PageCache(16)
