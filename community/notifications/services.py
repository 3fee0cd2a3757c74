"""Store notifications for members, and keep who follows which thread.

`notify` is the one way in for every area. It never notifies a member about their own action nor
about a thread or post they may not see, and it announces each stored row with
`notification_created` (live delivery subscribes there). Services flush; the caller commits.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from ..dbtypes import utcnow
from ..extensions import db
from ..forum.models import Board, Post, Thread
from ..members.models import Member
from ..permissions import (
    can_view_post,
    can_view_thread,
    readable_board_bound_clause,
    readable_board_clause,
    readable_board_shape,
)
from ..signals import notification_created
from ..web import Page, paginate
from .models import BoardFollow, Notification, NotificationKind, ThreadFollow

_KIND_RE = re.compile(r"^[a-z][a-z_]{0,31}$")


def _kind(kind) -> str:
    value = kind.value if isinstance(kind, NotificationKind) else str(kind)
    if not _KIND_RE.match(value):
        raise ValueError(f"not a notification kind: {kind!r}")
    return value


def _build(member: Member | None, kind: str, actor, thread, post, data) -> Notification | None:
    if member is None or (actor is not None and actor.id == member.id):
        return None
    if post is not None and not can_view_post(member, post):
        return None
    if thread is not None and not can_view_thread(member, thread):
        return None
    return Notification(member_id=member.id, kind=kind, actor_id=actor.id if actor is not None else None,
                        thread_id=thread.id if thread is not None else None,
                        post_id=post.id if post is not None else None, data=dict(data or {}), created_at=utcnow())


def notify(member: Member, kind, *, actor: Member | None = None, thread: Thread | None = None,
           post: Post | None = None, data: dict | None = None) -> Notification | None:
    """Store a notification for `member`; return None when they must not get it (own action, unseen)."""
    found = notify_many([member], kind, actor=actor, thread=thread, post=post, data=data)
    return found[0] if found else None


def notify_many(members: Iterable[Member], kind, *, actor: Member | None = None, thread: Thread | None = None,
                post: Post | None = None, data: dict | None = None) -> list[Notification]:
    """Store the same notification for each member (each once), with one flush."""
    kind = _kind(kind)
    if post is not None and thread is None:
        thread = post.thread
    rows, seen = [], set()
    for member in members:
        if member is None or member.id in seen:
            continue
        seen.add(member.id)
        row = _build(member, kind, actor, thread, post, data)
        if row is not None:
            rows.append(row)
    if not rows:
        return []
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        notification_created.send(row)
    return rows


# ---- reading and marking -------------------------------------------------------------------

def _visible(query, member):
    """Keep the notifications whose thread (if any) is on a board the member may still read."""
    return (query.outerjoin(Thread, Notification.thread_id == Thread.id)
            .outerjoin(Board, Thread.board_id == Board.id)
            .where(or_(Notification.thread_id.is_(None), readable_board_clause(member))))


@lru_cache(maxsize=8)
def _unread_count_select(visibilities: tuple, by_groups: bool):
    """`unread_count_select` for members of one `readable_board_shape`, their id bound as `member_id` (built once)."""
    query = select(func.count(Notification.id)).where(Notification.member_id == bindparam("member_id"),
                                                      Notification.read_at.is_(None))
    return (query.outerjoin(Thread, Notification.thread_id == Thread.id)
            .outerjoin(Board, Thread.board_id == Board.id)
            .where(or_(Notification.thread_id.is_(None), readable_board_bound_clause(visibilities, by_groups))))


def unread_count_select(member):
    """SQL: how many unread notifications the signed-in `member` has (the header asks it with its other counts),
    the member's id bound as `member_id` (a header count may: `registry.register_header_count`)."""
    return _unread_count_select(*readable_board_shape(member))


def unread_count(member) -> int:
    """Return how many unread notifications the member has (one query)."""
    if not getattr(member, "is_authenticated", False):
        return 0
    return db.session.scalar(unread_count_select(member), {"member_id": member.id}) or 0


def member_notifications(member: Member, page: int = 1, unread_only: bool = False) -> Page:
    """Return a page of the member's notifications, newest first, with actor, thread and post loaded."""
    per_page = current_app.config["NOTIFICATIONS_PER_PAGE"]
    base = select(Notification.id).where(Notification.member_id == member.id)
    if unread_only:
        base = base.where(Notification.read_at.is_(None))
    base = _visible(base, member)
    return paginate(
        select(Notification).where(Notification.id.in_(base.scalar_subquery()))
        .options(joinedload(Notification.actor), joinedload(Notification.thread), joinedload(Notification.post))
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page, per_page, count=select(func.count()).select_from(base.subquery()))


def mark_read(member: Member, notification: Notification) -> bool:
    """Mark one of the member's notifications read; return whether it was unread."""
    if notification.member_id != member.id:
        raise ValueError("not this member's notification")
    if notification.read_at is not None:
        return False
    notification.read_at = utcnow()
    db.session.flush()
    return True


def mark_all_read(member: Member) -> int:
    """Mark every unread notification of the member read; return how many there were."""
    result = db.session.execute(update(Notification)
                                .where(Notification.member_id == member.id, Notification.read_at.is_(None))
                                .values(read_at=utcnow()))
    return result.rowcount or 0


# ---- follows -------------------------------------------------------------------------------

def dialect_insert(table):
    """Return an INSERT for the session's database that supports `on_conflict_do_nothing`."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    # the project speaks SQLite and PostgreSQL only
    raise RuntimeError(f"unsupported database {dialect}")  # pragma: no cover


def follow_thread(member: Member, thread: Thread) -> bool:
    """Make `member` follow `thread`; return whether they did not follow it yet. Safe under races."""
    stmt = (dialect_insert(ThreadFollow.__table__)
            .values(thread_id=thread.id, member_id=member.id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["thread_id", "member_id"]))
    return (db.session.execute(stmt).rowcount or 0) > 0


def unfollow_thread(member: Member, thread: Thread) -> bool:
    """Stop `member` following `thread`; return whether they followed it."""
    result = db.session.execute(delete(ThreadFollow).where(ThreadFollow.thread_id == thread.id,
                                                           ThreadFollow.member_id == member.id))
    return (result.rowcount or 0) > 0


@lru_cache(maxsize=1)
def _following_select():
    """SQL: whether `member_id` follows `thread_id`; built once per process (the thread page asks it every time)."""
    return select(func.count()).select_from(ThreadFollow).where(
        ThreadFollow.thread_id == bindparam("thread_id"), ThreadFollow.member_id == bindparam("member_id"))


def is_following(member, thread: Thread) -> bool:
    if not getattr(member, "is_authenticated", False):
        return False
    return db.session.scalar(_following_select(), {"thread_id": thread.id, "member_id": member.id}) > 0


def follow_board(member: Member, board) -> bool:
    """Make `member` follow `board` (its new threads come in their digest); safe under races."""
    stmt = (dialect_insert(BoardFollow.__table__)
            .values(board_id=board.id, member_id=member.id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["board_id", "member_id"]))
    return (db.session.execute(stmt).rowcount or 0) > 0


def unfollow_board(member: Member, board) -> bool:
    result = db.session.execute(delete(BoardFollow).where(BoardFollow.board_id == board.id,
                                                          BoardFollow.member_id == member.id))
    return (result.rowcount or 0) > 0


def is_following_board(member, board) -> bool:
    if not getattr(member, "is_authenticated", False):
        return False
    return db.session.scalar(select(func.count()).select_from(BoardFollow).where(
        BoardFollow.board_id == board.id, BoardFollow.member_id == member.id)) > 0


def followers(thread: Thread) -> list[Member]:
    """Return the members who follow `thread`."""
    return list(db.session.scalars(_followers_select(), {"thread_id": thread.id}))


@lru_cache(maxsize=1)
def _followers_select():
    """SQL: the members who follow `thread_id` (built once per process: every reply asks)."""
    return (select(Member).join(ThreadFollow, ThreadFollow.member_id == Member.id)
            .where(ThreadFollow.thread_id == bindparam("thread_id")))


# ---- the basic kinds: replies, quotes, mentions, official answers ---------------------------

def _quotes(post: Post, quoted: Post) -> bool:
    """Whether `post` opens with the quote block the Quote button writes for `quoted`."""
    if quoted.author is None:
        return False
    return f"> [@{quoted.author.username}](" in post.body_source


def on_thread_created(thread: Thread, post: Post | None = None, mentioned=None, **_extra) -> None:
    """The author follows their thread; members @mentioned in the opening post hear of it."""
    if thread.author is not None:
        follow_thread(thread.author, thread)
    if mentioned:
        notify_many(mentioned, NotificationKind.mention, actor=thread.author, thread=thread, post=post)


def on_post_created(post: Post, mentioned=None, reply_to: Post | None = None, **_extra) -> None:
    """Tell followers of a new reply, the replied-to author, @mentioned members; staff replies are official."""
    thread, actor = post.thread, post.author
    # Each member gets one notification per post: the most specific reason wins (later overrides earlier).
    chosen: dict[int, tuple[Member, str, dict]] = {}
    follower_list = followers(thread)
    for member in follower_list:
        chosen[member.id] = (member, NotificationKind.reply.value, {"to": "thread"})
    if reply_to is not None and reply_to.author is not None:
        kind = NotificationKind.quote if _quotes(post, reply_to) else NotificationKind.reply
        chosen[reply_to.author.id] = (reply_to.author, kind.value, {"to": "post", "reply_to_id": reply_to.id})
    if post.is_official:
        for member in follower_list + ([reply_to.author] if reply_to is not None and reply_to.author else []):
            chosen[member.id] = (member, NotificationKind.official_answer.value, {})
    for member in mentioned or ():
        chosen[member.id] = (member, NotificationKind.mention.value, {})
    for member, kind, data in chosen.values():
        notify(member, kind, actor=actor, thread=thread, post=post, data=data)
