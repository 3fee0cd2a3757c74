"""What a member has not read yet: read state per thread (trust's `thread_reads`, one row per member and
thread), the marks of thread lists, the "New" and "Unread" lists and "Mark all as read".

- **Unread**: a thread the member has read before (a `thread_reads` row) with posts they may see past the
  last one they were shown, by someone else.
- **New**: a thread they never opened, started by someone else after the latest of: their registration,
  their last "Mark all as read", `UNREAD_NEW_DAYS` days ago.
Only threads on boards they may read, not deleted, hidden or pending (the permission clauses).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, g
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from ..dbtypes import utcnow
from ..extensions import db
from ..forum.models import Post, Thread
from ..members.models import Member
from ..permissions import public_thread_clause, readable_board_clause, visible_post_clause
from ..trust.models import ThreadRead
from ..web import Page, paginate


@dataclass(frozen=True)
class ReadState:
    """A thread as the member left it: `new` (never opened), else how many posts came since and the first."""

    new: bool = False
    unread: int = 0
    first_unread: int | None = None  # the post number to jump to

    @property
    def page(self) -> int:
        return (self.first_unread - 1) // current_app.config["POSTS_PER_PAGE"] + 1 if self.first_unread else 1


def new_since(member: Member):
    """The time after which a thread never opened counts as new for `member`."""
    cutoffs = [member.created_at, member.marked_read_at, utcnow() - timedelta(days=current_app.config["UNREAD_NEW_DAYS"])]
    return max(c for c in cutoffs if c is not None)


def _by_others(member):
    return or_(Post.author_id.is_(None), Post.author_id != member.id)


def _unread_posts(member):
    """SQL: posts of the joined thread past the member's read mark that they may see, by others."""
    return and_(Post.thread_id == ThreadRead.thread_id, Post.number > ThreadRead.last_read_number,
                visible_post_clause(member), _by_others(member))


def read_states(member: Member, threads) -> dict[int, ReadState]:
    """Return the read state of each of `threads` for `member`, in one query (thread lists call it once per page)."""
    ids = [t.id for t in threads]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Thread.id, Thread.created_at, Thread.author_id, ThreadRead.last_read_number,
               func.count(Post.id), func.min(Post.number))
        .select_from(Thread)
        .outerjoin(ThreadRead, and_(ThreadRead.thread_id == Thread.id, ThreadRead.member_id == member.id))
        .outerjoin(Post, _unread_posts(member))
        .where(Thread.id.in_(ids))
        .group_by(Thread.id, Thread.created_at, Thread.author_id, ThreadRead.last_read_number)).all()
    since = new_since(member)
    states = {}
    for thread_id, created_at, author_id, last_read, count, first in rows:
        if last_read is None:
            if created_at > since and author_id != member.id:
                states[thread_id] = ReadState(new=True, first_unread=1)
        elif count:
            states[thread_id] = ReadState(unread=count, first_unread=first)
    return states


def state_in_list(member, thread, threads) -> ReadState | None:
    """The read state of `thread`, shown in a list of `threads`: loaded for the whole list at the first row."""
    if member is None or not getattr(member, "is_authenticated", False):
        return None
    cache = g.__dict__.setdefault("_read_states", {})
    if thread.id not in cache:
        listed = list(threads or ()) or [thread]
        loaded = read_states(member, listed)
        cache.update({t.id: loaded.get(t.id) for t in listed})
        cache.setdefault(thread.id, loaded.get(thread.id))
    return cache[thread.id]


def _visible_threads(member):
    return (select(Thread).join(Thread.board).where(readable_board_clause(member), public_thread_clause())
            .options(joinedload(Thread.author), joinedload(Thread.last_poster)))


def unread_threads(member: Member, page: int = 1) -> Page:
    """The threads the member has read before that have posts since, latest activity first."""
    has_new = exists(select(Post.id).where(_unread_posts(member)))
    query = (_visible_threads(member)
             .join(ThreadRead, and_(ThreadRead.thread_id == Thread.id, ThreadRead.member_id == member.id))
             .where(Thread.post_seq > ThreadRead.last_read_number, has_new)
             .order_by(Thread.last_posted_at.desc(), Thread.id.desc()))
    return paginate(query, page, current_app.config["THREADS_PER_PAGE"])


def new_threads(member: Member, page: int = 1) -> Page:
    """The threads started by others since `new_since` that the member never opened, newest first."""
    opened = exists(select(ThreadRead.thread_id).where(ThreadRead.thread_id == Thread.id,
                                                       ThreadRead.member_id == member.id))
    query = (_visible_threads(member)
             .where(Thread.created_at > new_since(member), ~opened,
                    or_(Thread.author_id.is_(None), Thread.author_id != member.id))
             .order_by(Thread.created_at.desc(), Thread.id.desc()))
    return paginate(query, page, current_app.config["THREADS_PER_PAGE"])


def mark_all_read(member: Member) -> None:
    """Mark every thread read: opened ones up to their last post, and nothing started until now is new."""
    now = utcnow()
    last_post = select(Thread.post_seq).where(Thread.id == ThreadRead.thread_id).scalar_subquery()
    db.session.execute(update(ThreadRead).where(ThreadRead.member_id == member.id,
                                                ThreadRead.last_read_number < last_post)
                       .values(last_read_number=last_post, read_at=now).execution_options(synchronize_session=False))
    member.marked_read_at = now
