"""Queries behind the live features: catch-up after a reconnect, staff counters, live preferences."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from .. import registry
from ..dbtypes import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..forum.models import Board, BoardKind, Post, Thread
from ..notifications.models import NotificationKind
from ..permissions import can_locate_post, readable_board_clause
from .models import LivePreference


def shows_post(member, post: Post) -> bool:
    """Whether the thread page shows `post` to `member` at all (a deleted post still leaves its marker)."""
    return can_locate_post(member, post)


def catch_up(member, thread: Thread, last_seen_post_id: int, since: float | None) -> dict:
    """Return what a returning reader missed: new post ids after `last_seen_post_id`, ids of posts
    edited or deleted since the server time `since`, and the thread's current state (two queries)."""
    limit = int(current_app.config["REALTIME_CATCH_UP_LIMIT"])
    new_posts = db.session.scalars(
        select(Post).where(Post.thread_id == thread.id, Post.id > last_seen_post_id)
        .order_by(Post.number).limit(limit + 1)).all()
    new_ids = [post.id for post in new_posts if shows_post(member, post)]
    changed: list[int] = []
    if since is not None:
        when = datetime.fromtimestamp(since, tz=UTC)
        changed = [post.id for post in db.session.scalars(
            select(Post).where(Post.thread_id == thread.id, Post.id <= last_seen_post_id,
                               or_(Post.edited_at > when, Post.deleted_at > when))
            .order_by(Post.number).limit(limit + 1)) if shows_post(member, post)]
    return {"missed": new_ids[:limit], "changed": changed[:limit],
            "more": len(new_posts) > limit or len(changed) > limit,
            "locked": thread.is_locked, "accepted_post_id": thread.accepted_post_id}


def unanswered_questions(member) -> int:
    """Count live threads without a reply on the question boards the member can read."""
    return db.session.scalar(
        select(func.count(Thread.id)).join(Board, Board.id == Thread.board_id)
        .where(Board.kind == BoardKind.question, readable_board_clause(member),
               Thread.deleted_at.is_(None), Thread.reply_count == 0)) or 0


def staff_counters(member) -> dict:
    """Return the staff counters the member may see: unanswered questions, and any an area registered."""
    counters = {"unanswered": unanswered_questions(member)}
    for name, fn in registry.staff_counters().items():
        value = fn(member)
        if value is not None:
            counters[name] = int(value)
    return counters


# ---- preferences ---------------------------------------------------------------------------------

def known_kinds() -> list[str]:
    """The notification kinds a member can choose about."""
    return [kind.value for kind in NotificationKind]


def muted_kinds(member) -> list[str]:
    """Return the kinds the member chose not to have pop up (one query)."""
    row = db.session.get(LivePreference, member.id)
    return sorted(row.muted_kinds or []) if row is not None else []


def set_live_kinds(member, live: list[str]) -> list[str]:
    """Keep the kinds in `live` popping up and mute every other known kind; return the muted kinds."""
    kinds = known_kinds()
    unknown = [kind for kind in live if kind not in kinds]
    if unknown:
        raise ValidationFailed(_l("Choose among the listed kinds of notification."),
                               {"live": _l("Unknown kind: %(kinds)s", kinds=", ".join(sorted(unknown))[:200])})
    muted = sorted(set(kinds) - set(live))
    row = db.session.get(LivePreference, member.id)
    if row is None:
        row = LivePreference(member_id=member.id)
        db.session.add(row)
    row.muted_kinds, row.updated_at = muted, utcnow()
    db.session.flush()
    return muted
