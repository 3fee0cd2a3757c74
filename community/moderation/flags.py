"""Flags: members flag posts and report members to the moderators; enough weight hides a post until reviewed."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import Post
from ..members.models import Member
from ..permissions import (
    can_flag,
    can_flag_message,
    can_moderate,
    can_report_member,
    flag_weight,
    is_moderator,
    is_staff,
)
from ..signals import content_flagged, post_hidden
from .inputs import NOTE_MAX, checked_text
from .log import log_action
from .models import Flag, FlagReason, ReviewItem, ReviewKind, ReviewStatus
from .posts import mark_hidden


def _reason(raw) -> FlagReason:
    try:
        return FlagReason(str(raw or ""))
    except ValueError as exc:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"reason": _l("Please choose a reason.")}) from exc


def _pending_item(kind: ReviewKind, *, post: Post | None = None, member: Member | None = None) -> ReviewItem:
    query = select(ReviewItem).where(ReviewItem.kind == kind, ReviewItem.status == ReviewStatus.pending)
    query = query.where(ReviewItem.post_id == post.id) if post is not None else query.where(
        ReviewItem.member_id == member.id)
    item = db.session.scalar(query.limit(1))
    if item is None:
        item = ReviewItem(kind=kind, post_id=post.id if post else None, member_id=member.id if member else None,
                          created_at=utcnow(), weight=0.0)
        db.session.add(item)
        db.session.flush()
    return item


def _add_flag(flagger: Member, item: ReviewItem, reason: FlagReason, note: str, weight: float, **target) -> Flag:
    flag = Flag(item_id=item.id, flagger_id=flagger.id, reason=reason, note=note, weight=weight,
                created_at=utcnow(), **target)
    try:
        with db.session.begin_nested():
            db.session.add(flag)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("You have flagged this already; the moderators will look at it.")) from exc
    db.session.execute(update(ReviewItem).where(ReviewItem.id == item.id).values(weight=ReviewItem.weight + weight))
    db.session.expire(item, ["weight", "flags"])
    return flag


def _checked(reason, note) -> tuple[FlagReason, str]:
    """The flag's reason and its note (needed for "something else"), or refuse them."""
    reason = _reason(reason)
    return reason, checked_text(note, "note", NOTE_MAX, required=reason is FlagReason.other)


def _file(flagger: Member, kind: ReviewKind, action: str, reason: FlagReason, note: str, *,
          post: Post | None = None, member: Member | None = None) -> tuple[Flag, ReviewItem]:
    """Add a flag on `post` (or `member`) to its pending review item, weighed by who flags, and log `action`."""
    item = _pending_item(kind, post=post, member=member)
    target = {"post_id": post.id} if post is not None else {"member_id": member.id}
    flag = _add_flag(flagger, item, reason, note, flag_weight(flagger), **target)
    log_action(flagger, action, post=post, member=post.author if post is not None else member,
               reason_code=reason.value, reason=note)
    return flag, item


def flag_post(flagger: Member, post: Post, reason, note: str = "") -> Flag:
    """Flag `post` for the moderators; enough weight (or one staff flag) hides it until reviewed."""
    if not can_flag(flagger, post):
        raise NotPermitted(_l("You cannot flag this post."))
    reason, note = _checked(reason, note)
    if post.is_deleted:
        raise Conflict(_l("This post has been deleted already."))
    flag, item = _file(flagger, ReviewKind.flagged_post, "flag", reason, note, post=post)
    hidden = False
    threshold = float(current_app.config["MODERATION_HIDE_WEIGHT"])
    if post.hidden_at is None and not post.pending and (is_moderator(flagger) or is_staff(flagger)
                                                        or item.weight >= threshold):
        # An opening post others replied to is hidden alone: the thread and their replies stay readable and
        # moderators see it under review. With no one else's reply in it (spam), the thread goes with it.
        mark_hidden(post, None if not (is_moderator(flagger) or is_staff(flagger)) else flagger, "flags",
                    thread_too=not others_replied(post))
        log_action(None, "auto_hide", post=post, member=post.author, reason_code=reason.value,
                   data={"weight": item.weight})
        hidden = True
        post_hidden.send(post, by=None, reason="flags", at=post.hidden_at)
    content_flagged.send(flag, item=item, hidden=hidden)
    return flag


def others_replied(post: Post) -> bool:
    """Whether members other than the author of `post` replied in its thread (replies not deleted)."""
    return db.session.scalar(select(Post.id).where(
        Post.thread_id == post.thread_id, Post.id != post.id, Post.deleted_at.is_(None),
        Post.author_id.is_not(None), Post.author_id != post.author_id).limit(1)) is not None


def shows_under_review(thread) -> bool:
    """Whether the current reader sees `thread` marked "under review" (moderators of its board only)."""
    return thread.under_review_at is not None and can_moderate(current_user, thread.board)


def report_member(reporter: Member, target: Member, reason, note: str = "") -> Flag:
    """Report a member to the moderators (their profile, their behaviour)."""
    if not can_report_member(reporter, target):
        raise NotPermitted(_l("You cannot report this member."))
    reason, note = _checked(reason, note)
    flag, item = _file(reporter, ReviewKind.reported_member, "report_member", reason, note, member=target)
    content_flagged.send(flag, item=item, hidden=False)
    return flag


def flag_message(flagger: Member, message, reason, note: str = "") -> Flag:
    """Report a private message (community/conversations): that message alone goes to the review queue,
    with its author as the member concerned; the moderators never see the rest of the conversation."""
    if not can_flag_message(flagger, message):
        raise NotPermitted(_l("You cannot report this message."))
    reason, note = _checked(reason, note)
    item = db.session.scalar(select(ReviewItem).where(ReviewItem.kind == ReviewKind.flagged_message,
                                                      ReviewItem.status == ReviewStatus.pending,
                                                      ReviewItem.message_id == message.id).limit(1))
    if item is None:
        item = ReviewItem(kind=ReviewKind.flagged_message, message_id=message.id, member_id=message.author_id,
                          created_at=utcnow(), weight=0.0)
        db.session.add(item)
        db.session.flush()
    flag = _add_flag(flagger, item, reason, note, flag_weight(flagger), message_id=message.id)
    log_action(flagger, "flag_message", member=message.author, reason_code=reason.value, reason=note)
    content_flagged.send(flag, item=item, hidden=False)
    return flag
