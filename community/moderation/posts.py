"""Which posts count: new posts (duplicates, pace, whispers, approval), hiding, restoring, approving.

A post that is hidden, a whisper or waiting for approval is not counted (reply, board and member
post counts), so hiding withdraws it from the counts and showing it again returns it, in SQL.
"""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update

from ..dbtypes import utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..forum.models import Board, Post, PostMention, Thread
from ..forum.services import refresh_last_post
from ..members.models import Member
from ..notifications import services as notifications
from ..permissions import is_posting_unlimited
from ..signals import post_approved, post_hidden, post_restored, post_unhidden
from .inputs import checked_text
from .log import log_action
from .models import ReviewItem, ReviewKind

# ---- counts ----------------------------------------------------------------------------------

def counted(post: Post) -> bool:
    """Whether `post` is in the reply, board and member counts now."""
    return post.is_public


def _shift_counts(post: Post, sign: int) -> None:
    """Take `post` out of the counts (sign -1) or put it back (+1); an opening post carries its thread."""
    thread = post.thread
    if post.is_opening:
        live = 1 + select(Thread.reply_count).where(Thread.id == thread.id).scalar_subquery()
        db.session.execute(update(Board).where(Board.id == thread.board_id).values(
            thread_count=Board.thread_count + sign, post_count=Board.post_count + sign * live))
        db.session.execute(update(Member).where(Member.id == post.author_id).values(
            thread_count=Member.thread_count + sign, post_count=Member.post_count + sign))
    else:
        if thread.hidden_at is None and not thread.pending and thread.deleted_at is None:
            db.session.execute(update(Board).where(Board.id == thread.board_id)
                               .values(post_count=Board.post_count + sign))
        db.session.execute(update(Thread).where(Thread.id == thread.id).values(reply_count=Thread.reply_count + sign))
        db.session.execute(update(Member).where(Member.id == post.author_id).values(post_count=Member.post_count + sign))
    db.session.expire(thread, ["reply_count"])


def _withdraw(post: Post) -> None:
    _shift_counts(post, -1)


def _restore_counts(post: Post) -> None:
    _shift_counts(post, +1)


def _set_state(post: Post, **values) -> None:
    """Set `values` on `post` and, for an opening post, on its thread too (a thread shows as its opening post)."""
    for name, value in values.items():
        setattr(post, name, value)
        if post.is_opening:
            setattr(post.thread, name, value)


def _counted_again(post: Post) -> None:
    """After `post` was shown, restored or approved: back into the counts if it counts now, and the thread's
    (and board's) last post follows."""
    db.session.flush()
    if counted(post):
        _restore_counts(post)
    _refresh_last(post)


# ---- new posts: duplicates, whispers, approval -------------------------------------------------

@lru_cache(maxsize=1)
def _duplicate_statement():
    """The author's other live post with the same text since `since` (built once: every new post asks)."""
    return (select(Post.id).where(Post.author_id == bindparam("author_id"), Post.id != bindparam("post_id"),
                                  Post.deleted_at.is_(None),
                                  Post.created_at >= bindparam("since", type_=Post.created_at.type),
                                  Post.body_source == bindparam("body", type_=Post.body_source.type))
            .limit(1))


def check_new_post(author: Member, post: Post) -> None:
    """Called by the forum for every new post before it is announced (see `init_app`).

    Refuses the same text twice within DUPLICATE_WINDOW_SECONDS; takes whispers out of the counts;
    holds the first MODERATION_APPROVE_FIRST_POSTS posts of new members for approval.
    """
    if has_request_context():  # operator commands (seed-demo, imports) are not held to these rules
        window = timedelta(seconds=int(current_app.config["MODERATION_DUPLICATE_WINDOW_SECONDS"]))
        duplicate = db.session.scalar(_duplicate_statement(), {
            "author_id": author.id, "post_id": post.id, "since": utcnow() - window, "body": post.body_source})
        if duplicate is not None:
            message = _l("You posted exactly this a moment ago. Please wait a few minutes or write something new.")
            raise ValidationFailed(message, {"body": message})
    if has_request_context() and current_app.config.get("RATELIMIT_ENABLED") and not is_posting_unlimited(author):
        _check_pace(author, post)
    if post.is_whisper:
        _withdraw(post)
        return
    if has_request_context() and _needs_approval(author, post):
        _withdraw(post)
        _set_state(post, pending=True)
        db.session.add(ReviewItem(kind=ReviewKind.pending_post, post_id=post.id, created_at=utcnow()))
        db.session.flush()


def _check_pace(author: Member, post: Post) -> None:
    """Discourse's pacing: some seconds between one member's threads, and between their posts."""
    config = current_app.config
    gap = int(config["MODERATION_SECONDS_BETWEEN_THREADS" if post.is_opening else "MODERATION_SECONDS_BETWEEN_POSTS"])
    if gap <= 0:
        return
    query = select(func.max(Post.created_at)).where(Post.author_id == author.id, Post.id != post.id)
    if post.is_opening:
        query = query.where(Post.number == 1)
    last = db.session.scalar(query)
    waited = (post.created_at - last).total_seconds() if last is not None else None
    if waited is not None and waited < gap:
        wait = max(1, int(gap - waited + 0.999))
        message = (_l("You can start a new thread in %(n)d seconds.", n=wait) if post.is_opening
                   else _l("You can post again in %(n)d seconds.", n=wait))
        raise ValidationFailed(message, {"body": message})


def _needs_approval(author: Member, post: Post) -> bool:
    first = int(current_app.config.get("MODERATION_APPROVE_FIRST_POSTS") or 0)
    if first <= 0 or is_posting_unlimited(author) or (author.trust_level or 0) >= 1:
        return False
    approved = db.session.scalar(select(func.count()).select_from(Post).where(
        Post.author_id == author.id, Post.id != post.id, Post.pending.is_(False), Post.deleted_at.is_(None)))
    return approved < first

# ---- hiding, restoring, approving ------------------------------------------------------------

def mark_hidden(post: Post, by: Member | None, reason: str, *, thread_too: bool = True) -> None:
    """Hide `post` (and its thread, for an opening post), out of the counts; no log line, no signal.

    `thread_too=False` (flags): an opening post is hidden alone; its thread and the other members' replies
    stay readable and the thread is marked under review for the moderators.
    """
    if counted(post):
        _withdraw(post)
    if post.is_opening and not thread_too:
        post.hidden_at = post.thread.under_review_at = utcnow()
    else:
        _set_state(post, hidden_at=utcnow())
    post.hidden_by_id, post.hidden_reason = by.id if by is not None else None, reason[:32]
    db.session.flush()
    _refresh_last(post)


def mark_visible(post: Post) -> None:
    """Show a hidden post again, back in the counts; no log line, no signal."""
    _set_state(post, hidden_at=None)
    if post.is_opening:
        post.thread.under_review_at = None
    post.hidden_by_id, post.hidden_reason = None, ""
    _counted_again(post)


def _refresh_last(post: Post) -> None:
    """The thread's (and board's) last post is its latest post everyone may read, after `post` changed."""
    refresh_last_post(post.thread, board=counted(post))


def hide_post(moderator: Member, post: Post, reason: str = "") -> Post:
    """Hide `post` from everyone but moderators (and its author) until it is unhidden."""
    reason = checked_text(reason, "reason")
    if post.hidden_at is not None:
        raise Conflict(_l("This post is hidden already."))
    if post.is_deleted:
        raise Conflict(_l("This post has been deleted."))
    mark_hidden(post, moderator, "manual")
    log_action(moderator, "hide", post=post, member=post.author, reason_code="manual", reason=reason)
    post_hidden.send(post, by=moderator, reason=reason, at=post.hidden_at)
    return post


def unhide_post(moderator: Member, post: Post, reason: str = "") -> Post:
    """Show a hidden post again."""
    reason = checked_text(reason, "reason")
    if post.hidden_at is None:
        raise Conflict(_l("This post is not hidden."))
    mark_visible(post)
    log_action(moderator, "unhide", post=post, member=post.author, reason_code="manual", reason=reason)
    post_unhidden.send(post, by=moderator)
    return post


def restore_post(moderator: Member, post: Post, reason: str = "") -> Post:
    """Undo a soft delete; restoring an opening post restores its thread."""
    reason = checked_text(reason, "reason")
    if not post.is_deleted:
        raise Conflict(_l("This post is not deleted."))
    thread = post.thread
    if not post.is_opening and thread.is_deleted:
        raise Conflict(_l("Restore the thread (its opening post) first."))
    _set_state(post, deleted_at=None, deleted_by_id=None)
    _counted_again(post)
    log_action(moderator, "restore", post=post, member=post.author, reason_code="manual", reason=reason)
    post_restored.send(post, by=moderator)
    return post


def approve_post(moderator: Member, post: Post) -> None:
    """Let a post that waited for approval appear: counts, log line, signal, notifications."""
    _set_state(post, pending=False)
    _counted_again(post)
    log_action(moderator, "approve", post=post, member=post.author, reason_code="new_member")
    post_approved.send(post, by=moderator)
    _announce_approved(post)


def reject_post(moderator: Member, post: Post, note: str = "") -> None:
    """Refuse a post that waited for approval: it is deleted (out of the counts while pending already)."""
    _set_state(post, deleted_at=utcnow(), deleted_by_id=moderator.id)
    db.session.flush()
    log_action(moderator, "reject", post=post, member=post.author, reason_code="new_member", reason=note)


def _announce_approved(post: Post) -> None:
    """Tell followers and mentioned members now: while it waited, the post was invisible to them."""
    mentioned = list(db.session.scalars(select(Member).join(PostMention, PostMention.member_id == Member.id)
                                        .where(PostMention.post_id == post.id)))
    if post.is_opening:
        notifications.on_thread_created(post.thread, post=post, mentioned=mentioned)
    else:
        notifications.on_post_created(post, mentioned=mentioned, reply_to=post.reply_to)
