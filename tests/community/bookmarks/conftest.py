"""Bookmark tests' shared helpers."""
from __future__ import annotations

from sqlalchemy import select

from community.bookmarks.models import Bookmark
from community.notifications.models import Notification

JSON = {"Accept": "application/json"}


def bookmarks_of(db, member_id) -> list[Bookmark]:
    db.session.rollback()
    db.session.expire_all()
    return db.session.scalars(select(Bookmark).where(Bookmark.member_id == member_id).order_by(Bookmark.id)).all()


def reminders_of(db, member_id) -> list[Notification]:
    db.session.rollback()
    return db.session.scalars(select(Notification).where(Notification.member_id == member_id,
                                                         Notification.kind == "bookmark_reminder")).all()
