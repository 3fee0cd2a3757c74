"""The review queue: moderators decide flagged posts, reported members and posts waiting for approval."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import Board, Post, Thread
from ..forum.services import delete_post
from ..members.models import Member
from ..notifications.services import notify_many
from ..permissions import can_act_on_member, can_moderate, can_view_thread, is_moderator, readable_board_clause
from ..signals import post_hidden, post_unhidden, review_resolved
from ..trust.services import record_flag_against
from .appeals import decide_appeal
from .flags import others_replied
from .inputs import NOTE_MAX, checked_days, checked_text
from .labels import FLAG_REASON_LABELS
from .log import log_action
from .models import FlagReason, ModerationAction, ReviewItem, ReviewKind, ReviewStatus
from .posts import approve_post, mark_hidden, mark_visible, reject_post
from .restrictions import silence_member

OUTCOMES = {
    ReviewKind.flagged_post: ("agreed", "disagreed", "ignored"),
    ReviewKind.pending_post: ("approved", "rejected"),
    ReviewKind.reported_member: ("agreed", "disagreed", "ignored"),
    ReviewKind.flagged_message: ("agreed", "disagreed", "ignored"),
    ReviewKind.appeal: ("approved", "rejected"),  # approved: restore; rejected: the action is upheld
}


def resolve(moderator: Member, item: ReviewItem, outcome: str, note: str = "", *, delete: bool = False,
            silence_days=None, reason: str = "") -> ReviewItem:
    """Decide a review item: agree (hide or delete; optionally silence), disagree (restore), ignore,
    approve or reject; the flaggers hear the outcome."""
    if not item.is_pending:
        raise Conflict(_l("Someone has dealt with this already."))
    if outcome not in OUTCOMES[item.kind]:
        raise ValidationFailed(_l("That is not a possible decision here."), {"outcome": _l("Choose a decision.")})
    note = checked_text(note, "note", NOTE_MAX)
    post, target = item.post, item.member
    if post is not None and not can_moderate(moderator, post.thread.board):
        raise NotPermitted(_l("You cannot moderate this board."))
    author = post.author if post is not None else target
    days = checked_days(silence_days, "silence_days") if silence_days not in (None, "") else None
    if days is not None and outcome != "agreed":
        raise ValidationFailed(_l("Only upheld flags can silence the member."), {"silence_days": _l("Not here.")})
    reason_code = item.flags[0].reason.value if item.flags else ("new_member" if post is not None else "manual")

    # Claim the item first: two moderators deciding at once must not both act.
    claimed = db.session.execute(
        update(ReviewItem).where(ReviewItem.id == item.id, ReviewItem.status == ReviewStatus.pending)
        .values(status=ReviewStatus(outcome), resolved_at=utcnow(), resolved_by_id=moderator.id, note=note)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        raise Conflict(_l("Someone has dealt with this already."))
    db.session.expire(item)

    if item.kind is ReviewKind.appeal:
        decide_appeal(moderator, item, outcome, note)
    elif item.kind is ReviewKind.pending_post:
        if outcome == "approved":
            approve_post(moderator, post)
        else:
            reject_post(moderator, post, note)
    elif item.kind is ReviewKind.flagged_post:
        if outcome == "agreed":
            if delete and not post.is_deleted:
                delete_post(moderator, post)
            elif post.hidden_at is None and not post.is_deleted:
                mark_hidden(post, moderator, "flags", thread_too=not others_replied(post))
                post_hidden.send(post, by=moderator, reason=note, at=post.hidden_at)
            post.thread.under_review_at = None  # reviewed: the post stays hidden, the thread is no longer in doubt
            _count_flag_against(author)
        elif outcome == "disagreed" and post.hidden_at is not None and post.hidden_reason == "flags":
            mark_visible(post)
            post_unhidden.send(post, by=moderator)
        else:
            post.thread.under_review_at = None
        log_action(moderator, {"agreed": "agree", "disagreed": "disagree", "ignored": "ignore"}[outcome],
                   post=post, member=author, reason_code=reason_code, reason=note,
                   data={"deleted": bool(delete and outcome == "agreed")})
    else:
        log_action(moderator, {"agreed": "agree", "disagreed": "disagree", "ignored": "ignore"}[outcome],
                   member=target, reason_code=reason_code, reason=note)
        if outcome == "agreed" and item.message is not None and item.message.hidden_at is None:
            item.message.hidden_at = utcnow()  # a reported private message: hidden for its readers too
        if outcome == "agreed":
            _count_flag_against(target)
    if days is not None and author is not None and can_act_on_member(moderator, author):
        silence_member(moderator, author, days, reason or note or str(FLAG_REASON_LABELS.get(
            item.flags[0].reason if item.flags else FlagReason.other)))
    _tell_flaggers(moderator, item, outcome)
    review_resolved.send(item, by=moderator, outcome=outcome, note=note)
    return item


def _count_flag_against(member: Member | None) -> None:
    """Trust levels count the member's posts flagged with flags a moderator upheld (and may drop level 3)."""
    if member is None:
        return
    record_flag_against(member)


def _tell_flaggers(moderator: Member, item: ReviewItem, outcome: str) -> None:
    flaggers = [flag.flagger for flag in item.flags]
    if not flaggers:
        return
    data = {"outcome": outcome, "kind": item.kind.value}
    post = item.post
    if post is not None:
        data["thread_title"] = post.thread.title
        # Link the thread only for flaggers who may still see it (the post itself may be hidden now).
        seeing = [m for m in flaggers if can_view_thread(m, post.thread)]
        notify_many(seeing, "flag_outcome", actor=moderator, thread=post.thread, data=data)
        flaggers = [m for m in flaggers if m not in seeing]
    elif item.member is not None:
        data["member"] = item.member.username
    notify_many(flaggers, "flag_outcome", actor=moderator, data=data)


def review_queue(member, status: ReviewStatus = ReviewStatus.pending, limit: int = 50) -> list[ReviewItem]:
    """Return the review items (oldest first when pending) on boards `member` moderates, with what each shows."""
    query = (select(ReviewItem).where(ReviewItem.status == status)
             .outerjoin(Post, ReviewItem.post_id == Post.id).outerjoin(Thread, Post.thread_id == Thread.id)
             .outerjoin(Board, Thread.board_id == Board.id)
             .where(or_(ReviewItem.post_id.is_(None), readable_board_clause(member)))
             .options(joinedload(ReviewItem.post).joinedload(Post.author),
                      joinedload(ReviewItem.post).joinedload(Post.thread),
                      joinedload(ReviewItem.member), joinedload(ReviewItem.resolved_by),
                      joinedload(ReviewItem.message), joinedload(ReviewItem.action),
                      selectinload(ReviewItem.flags)))
    order = ReviewItem.created_at.asc() if status is ReviewStatus.pending else ReviewItem.resolved_at.desc()
    return list(db.session.scalars(query.order_by(order, ReviewItem.id).limit(limit)).unique())


def pending_review_count(member) -> int:
    """How many items wait in the queue (for the header link)."""
    if not is_moderator(member):
        return 0
    return db.session.scalar(select(func.count()).select_from(ReviewItem)
                             .where(ReviewItem.status == ReviewStatus.pending)) or 0


def item_histories(items: list[ReviewItem], per_item: int = 20) -> dict[int, list[ModerationAction]]:
    """The log lines about each item's post or member, newest first (one query for the whole page)."""
    post_ids = {item.post_id for item in items if item.post_id is not None}
    member_ids = {item.member_id for item in items if item.post_id is None and item.member_id is not None}
    if not post_ids and not member_ids:
        return {}
    rows = db.session.scalars(
        select(ModerationAction).options(joinedload(ModerationAction.actor))
        .where(or_(ModerationAction.post_id.in_(post_ids),
                   ModerationAction.member_id.in_(member_ids) & ModerationAction.post_id.is_(None)))
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc()).limit(50 * per_item)).all()
    found: dict[int, list[ModerationAction]] = {}
    for item in items:
        if item.post_id is not None:
            lines = [row for row in rows if row.post_id == item.post_id]
        else:
            lines = [row for row in rows if row.member_id == item.member_id and row.post_id is None]
        found[item.id] = lines[:per_item]
    return found
