"""Accept an answer, replace it, or undo it. Flush and signal; the caller commits."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from ..dbtypes import utcnow
from ..errors import NotPermitted
from ..extensions import db
from ..forum.models import BoardKind, Post, Thread
from ..permissions import can_accept_answer, can_choose_answer, can_moderate
from ..signals import answer_accepted, answer_unaccepted

_NO_SYNC = {"synchronize_session": False}


def _refusal(member, thread: Thread, post: Post | None = None) -> NotPermitted:
    if thread.board.kind is not BoardKind.question:
        return NotPermitted(_l("Only threads on question boards have accepted answers."))
    if post is not None and post.is_opening:
        return NotPermitted(_l("The question itself cannot be its answer; choose a reply."))
    if post is not None and post.is_deleted:
        return NotPermitted(_l("A deleted reply cannot be the accepted answer."))
    if post is not None and (post.is_whisper or post.pending):
        return NotPermitted(_l("A whisper or a reply awaiting approval cannot be the accepted answer."))
    if thread.author_id == getattr(member, "id", None) and thread.is_locked and not can_moderate(member, thread.board):
        return NotPermitted(_l("This thread is closed; a moderator can still change its accepted answer."))
    return NotPermitted(_l("Only the person who asked, or a moderator, can choose the accepted answer."))


def _lock_accepted(thread: Thread) -> int | None:
    """Return the thread's accepted post id, holding the thread row so it cannot change meanwhile."""
    # A no-op write: the row lock (PostgreSQL) or write lock (SQLite) makes `previous` exact.
    return db.session.execute(
        update(Thread).where(Thread.id == thread.id).values(accepted_post_id=Thread.accepted_post_id)
        .returning(Thread.accepted_post_id), execution_options=_NO_SYNC).scalar_one()


def _set_accepted(thread: Thread, post_id: int | None) -> None:
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(accepted_post_id=post_id),
                       execution_options=_NO_SYNC)
    set_committed_value(thread, "accepted_post_id", post_id)


def accept_answer(member, post: Post) -> Post | None:
    """Mark `post` as its thread's accepted answer, replacing any other; return the one replaced."""
    thread = post.thread
    if not can_accept_answer(member, post):
        raise _refusal(member, thread, post)
    previous_id = _lock_accepted(thread)
    if previous_id == post.id:
        set_committed_value(thread, "accepted_post_id", post.id)
        return None
    _set_accepted(thread, post.id)
    previous = db.session.get(Post, previous_id) if previous_id else None
    answer_accepted.send(post, thread=thread, by=member, previous=previous, at=utcnow())
    return previous


def unaccept_answer(member, thread: Thread) -> Post | None:
    """Clear the accepted answer of `thread`; return the post that was accepted (None if none was)."""
    if not can_choose_answer(member, thread):
        raise _refusal(member, thread)
    previous_id = _lock_accepted(thread)
    if previous_id is None:
        set_committed_value(thread, "accepted_post_id", None)
        return None
    _set_accepted(thread, None)
    post = db.session.get(Post, previous_id)
    answer_unaccepted.send(post, thread=thread, by=member)
    return post


def forget_deleted_answer(post: Post, by=None, **_kwargs) -> None:
    """post_deleted subscriber: a deleted reply stops being the accepted answer (the thread is unsolved)."""
    thread = post.thread
    if post.is_opening or thread.accepted_post_id != post.id:
        return
    cleared = db.session.execute(
        update(Thread).where(Thread.id == thread.id, Thread.accepted_post_id == post.id)
        .values(accepted_post_id=None), execution_options=_NO_SYNC).rowcount
    set_committed_value(thread, "accepted_post_id", None)
    if cleared:
        answer_unaccepted.send(post, thread=thread, by=by)
