"""Moderation: flags and the review queue, post and thread tools, member restrictions, the log.

Every action is a service that checks its input, writes, logs one line (`log_action`), flushes and
sends its signal. Callers check the permission predicates first (views) and commit. Counters: a
post that is hidden, a whisper or waiting for approval is not counted (reply, board and member
post counts), so hiding withdraws it from the counts and showing it again returns it, in SQL.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import Board, Post, PostMention, Thread
from ..members.models import Member
from ..permissions import (can_act_on_member, can_flag, can_merge_threads, can_moderate, can_report_member,
                           can_split_thread, can_start_thread, flag_weight, is_moderator, is_posting_unlimited,
                           is_staff)
from ..signals import (content_flagged, member_restriction_lifted, member_silenced, member_suspended,
                       moderation_logged, post_approved, post_hidden, post_restored, post_unhidden,
                       review_resolved, thread_split, threads_merged)
from .models import Flag, FlagReason, ModerationAction, ReviewItem, ReviewKind, ReviewStatus

REASON_MAX = 500
NOTE_MAX = 500
MAX_DAYS = 3650

FLAG_REASON_LABELS = {
    FlagReason.spam: _l("Spam"),
    FlagReason.abusive: _l("Abusive or inappropriate"),
    FlagReason.off_topic: _l("Off-topic"),
    FlagReason.needs_staff: _l("Needs staff attention"),
    FlagReason.other: _l("Something else"),
}

# The actions of the moderation log, for people (the log, the transparency page).
ACTION_LABELS = {
    "flag": _l("Post flagged"),
    "report_member": _l("Member reported"),
    "auto_hide": _l("Post hidden by community flags"),
    "hide": _l("Post hidden"),
    "unhide": _l("Post shown again"),
    "delete": _l("Post deleted"),
    "restore": _l("Post restored"),
    "edit": _l("Post edited by a moderator"),
    "approve": _l("Post approved"),
    "reject": _l("Post rejected"),
    "agree": _l("Flags upheld"),
    "disagree": _l("Flags dismissed"),
    "ignore": _l("Flags ignored"),
    "lock": _l("Thread closed"),
    "unlock": _l("Thread reopened"),
    "pin": _l("Thread pinned"),
    "unpin": _l("Thread unpinned"),
    "move": _l("Thread moved"),
    "merge": _l("Threads merged"),
    "split": _l("Posts split into a new thread"),
    "silence": _l("Member silenced"),
    "unsilence": _l("Silence lifted"),
    "suspend": _l("Member suspended"),
    "unsuspend": _l("Suspension lifted"),
    "retag": _l("Thread retagged"),
    "role": _l("Role changed"),
}

REASON_CODE_LABELS = {**{reason.value: label for reason, label in FLAG_REASON_LABELS.items()},
                      "manual": _l("A moderator's decision"), "flags": _l("Community flags"),
                      "new_member": _l("New member's first posts"), "duplicate": _l("Duplicate")}


# ---- the log ---------------------------------------------------------------------------------

def log_action(actor: Member | None, action: str, *, member: Member | None = None, thread: Thread | None = None,
               post: Post | None = None, reason_code: str = "", reason: str = "", data: dict | None = None
               ) -> ModerationAction:
    """Write one line to the moderation log and announce it."""
    if post is not None and thread is None:
        thread = post.thread
    row = ModerationAction(action=action, actor_id=actor.id if actor is not None else None,
                           member_id=member.id if member is not None else None,
                           thread_id=thread.id if thread is not None else None,
                           post_id=post.id if post is not None else None,
                           reason_code=reason_code or "", reason=(reason or "")[:REASON_MAX], data=dict(data or {}),
                           created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    moderation_logged.send(row)
    return row


def _text(value, field: str, limit: int = REASON_MAX, required: bool = False) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ValidationFailed(_l("Please correct the marked fields."), {field: _l("Please give a reason.")})
    if len(value) > limit:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {field: _l("At most %(n)d characters.", n=limit)})
    return value


def _days(raw, field: str = "days") -> int:
    raw = str(raw if raw is not None else "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {field: _l("A whole number of days from 1 to %(n)d.", n=MAX_DAYS)})
    return int(raw)


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


# ---- new posts: duplicates, whispers, approval -------------------------------------------------

def check_new_post(author: Member, post: Post) -> None:
    """Called by the forum for every new post before it is announced (see `init_app`).

    Refuses the same text twice within DUPLICATE_WINDOW_SECONDS; takes whispers out of the counts;
    holds the first MODERATION_APPROVE_FIRST_POSTS posts of new members for approval.
    """
    if has_request_context():  # operator commands (seed-demo, imports) are not held to these rules
        window = timedelta(seconds=int(current_app.config["MODERATION_DUPLICATE_WINDOW_SECONDS"]))
        duplicate = db.session.scalar(
            select(Post.id).where(Post.author_id == author.id, Post.id != post.id, Post.deleted_at.is_(None),
                                  Post.created_at >= utcnow() - window, Post.body_source == post.body_source)
            .limit(1))
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
        post.pending = True
        if post.is_opening:
            post.thread.pending = True
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


# ---- flags -----------------------------------------------------------------------------------

def _reason(raw) -> FlagReason:
    try:
        return FlagReason(str(raw or ""))
    except ValueError:
        raise ValidationFailed(_l("Please correct the marked fields."), {"reason": _l("Please choose a reason.")})


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
    except IntegrityError:
        raise Conflict(_l("You have flagged this already; the moderators will look at it."))
    db.session.execute(update(ReviewItem).where(ReviewItem.id == item.id).values(weight=ReviewItem.weight + weight))
    db.session.expire(item, ["weight", "flags"])
    return flag


def flag_post(flagger: Member, post: Post, reason, note: str = "") -> Flag:
    """Flag `post` for the moderators; enough weight (or one staff flag) hides it until reviewed."""
    if not can_flag(flagger, post):
        raise NotPermitted(_l("You cannot flag this post."))
    reason = _reason(reason)
    note = _text(note, "note", NOTE_MAX, required=reason is FlagReason.other)
    if post.is_deleted:
        raise Conflict(_l("This post has been deleted already."))
    item = _pending_item(ReviewKind.flagged_post, post=post)
    weight = flag_weight(flagger)
    flag = _add_flag(flagger, item, reason, note, weight, post_id=post.id)
    log_action(flagger, "flag", post=post, member=post.author, reason_code=reason.value, reason=note)
    hidden = False
    threshold = float(current_app.config["MODERATION_HIDE_WEIGHT"])
    if post.hidden_at is None and not post.pending and (is_moderator(flagger) or is_staff(flagger)
                                                        or item.weight >= threshold):
        _hide(post, None if not (is_moderator(flagger) or is_staff(flagger)) else flagger, "flags")
        log_action(None, "auto_hide", post=post, member=post.author, reason_code=reason.value,
                   data={"weight": item.weight})
        hidden = True
        post_hidden.send(post, by=None, reason="flags")
    content_flagged.send(flag, item=item, hidden=hidden)
    return flag


def report_member(reporter: Member, target: Member, reason, note: str = "") -> Flag:
    """Report a member to the moderators (their profile, their behaviour)."""
    if not can_report_member(reporter, target):
        raise NotPermitted(_l("You cannot report this member."))
    reason = _reason(reason)
    note = _text(note, "note", NOTE_MAX, required=reason is FlagReason.other)
    item = _pending_item(ReviewKind.reported_member, member=target)
    flag = _add_flag(reporter, item, reason, note, flag_weight(reporter), member_id=target.id)
    log_action(reporter, "report_member", member=target, reason_code=reason.value, reason=note)
    content_flagged.send(flag, item=item, hidden=False)
    return flag


# ---- hiding, restoring, approving ------------------------------------------------------------

def _hide(post: Post, by: Member | None, reason: str) -> None:
    if counted(post):
        _withdraw(post)
    now = utcnow()
    post.hidden_at, post.hidden_by_id, post.hidden_reason = now, by.id if by is not None else None, reason[:32]
    if post.is_opening:
        post.thread.hidden_at = now
    db.session.flush()
    _refresh_last(post)


def _unhide(post: Post) -> None:
    post.hidden_at, post.hidden_by_id, post.hidden_reason = None, None, ""
    if post.is_opening:
        post.thread.hidden_at = None
    db.session.flush()
    if counted(post):
        _restore_counts(post)
    _refresh_last(post)


def _refresh_last(post: Post) -> None:
    """The thread's (and board's) last post is its latest post everyone may read, after `post` changed."""
    from ..forum.services import refresh_last_post

    refresh_last_post(post.thread, board=counted(post))


def hide_post(moderator: Member, post: Post, reason: str = "") -> Post:
    """Hide `post` from everyone but moderators (and its author) until it is unhidden."""
    reason = _text(reason, "reason")
    if post.hidden_at is not None:
        raise Conflict(_l("This post is hidden already."))
    if post.is_deleted:
        raise Conflict(_l("This post has been deleted."))
    _hide(post, moderator, "manual")
    log_action(moderator, "hide", post=post, member=post.author, reason_code="manual", reason=reason)
    post_hidden.send(post, by=moderator, reason=reason)
    return post


def unhide_post(moderator: Member, post: Post, reason: str = "") -> Post:
    """Show a hidden post again."""
    reason = _text(reason, "reason")
    if post.hidden_at is None:
        raise Conflict(_l("This post is not hidden."))
    _unhide(post)
    log_action(moderator, "unhide", post=post, member=post.author, reason_code="manual", reason=reason)
    post_unhidden.send(post, by=moderator)
    return post


def restore_post(moderator: Member, post: Post, reason: str = "") -> Post:
    """Undo a soft delete; restoring an opening post restores its thread."""
    reason = _text(reason, "reason")
    if not post.is_deleted:
        raise Conflict(_l("This post is not deleted."))
    thread = post.thread
    if not post.is_opening and thread.is_deleted:
        raise Conflict(_l("Restore the thread (its opening post) first."))
    post.deleted_at = post.deleted_by_id = None
    if post.is_opening:
        thread.deleted_at = thread.deleted_by_id = None
    db.session.flush()
    if counted(post):
        _restore_counts(post)
    _refresh_last(post)
    log_action(moderator, "restore", post=post, member=post.author, reason_code="manual", reason=reason)
    post_restored.send(post, by=moderator)
    return post


def _approve(moderator: Member, post: Post) -> None:
    post.pending = False
    if post.is_opening:
        post.thread.pending = False
    db.session.flush()
    if counted(post):
        _restore_counts(post)
    _refresh_last(post)
    log_action(moderator, "approve", post=post, member=post.author, reason_code="new_member")
    post_approved.send(post, by=moderator)
    _announce_approved(post)


def _announce_approved(post: Post) -> None:
    """Tell followers and mentioned members now: while it waited, the post was invisible to them."""
    from ..notifications import services as notifications

    mentioned = list(db.session.scalars(select(Member).join(PostMention, PostMention.member_id == Member.id)
                                        .where(PostMention.post_id == post.id)))
    if post.is_opening:
        notifications.on_thread_created(post.thread, post=post, mentioned=mentioned)
    else:
        notifications.on_post_created(post, mentioned=mentioned, reply_to=post.reply_to)


# ---- the review queue ------------------------------------------------------------------------

OUTCOMES = {
    ReviewKind.flagged_post: ("agreed", "disagreed", "ignored"),
    ReviewKind.pending_post: ("approved", "rejected"),
    ReviewKind.reported_member: ("agreed", "disagreed", "ignored"),
}


def resolve(moderator: Member, item: ReviewItem, outcome: str, note: str = "", *, delete: bool = False,
            silence_days=None, reason: str = "") -> ReviewItem:
    """Decide a review item: agree (hide or delete; optionally silence), disagree (restore), ignore,
    approve or reject; the flaggers hear the outcome."""
    from ..forum.services import delete_post

    if not item.is_pending:
        raise Conflict(_l("Someone has dealt with this already."))
    if outcome not in OUTCOMES[item.kind]:
        raise ValidationFailed(_l("That is not a possible decision here."), {"outcome": _l("Choose a decision.")})
    note = _text(note, "note", NOTE_MAX)
    post, target = item.post, item.member
    if post is not None and not can_moderate(moderator, post.thread.board):
        raise NotPermitted(_l("You cannot moderate this board."))
    author = post.author if post is not None else target
    days = _days(silence_days, "silence_days") if silence_days not in (None, "") else None
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

    if item.kind is ReviewKind.pending_post:
        if outcome == "approved":
            _approve(moderator, post)
        else:  # out of the counts while pending already: only mark it deleted
            now = utcnow()
            post.deleted_at, post.deleted_by_id = now, moderator.id
            if post.is_opening:
                post.thread.deleted_at, post.thread.deleted_by_id = now, moderator.id
            db.session.flush()
            log_action(moderator, "reject", post=post, member=author, reason_code="new_member", reason=note)
    elif item.kind is ReviewKind.flagged_post:
        if outcome == "agreed":
            if delete and not post.is_deleted:
                delete_post(moderator, post)
            elif post.hidden_at is None and not post.is_deleted:
                _hide(post, moderator, "flags")
                post_hidden.send(post, by=moderator, reason=note)
            _count_flag_against(author)
        elif outcome == "disagreed" and post.hidden_at is not None and post.hidden_reason == "flags":
            _unhide(post)
            post_unhidden.send(post, by=moderator)
        log_action(moderator, {"agreed": "agree", "disagreed": "disagree", "ignored": "ignore"}[outcome],
                   post=post, member=author, reason_code=reason_code, reason=note,
                   data={"deleted": bool(delete and outcome == "agreed")})
    else:
        log_action(moderator, {"agreed": "agree", "disagreed": "disagree", "ignored": "ignore"}[outcome],
                   member=target, reason_code=reason_code, reason=note)
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
    from ..trust.services import record_flag_against

    record_flag_against(member)


def _tell_flaggers(moderator: Member, item: ReviewItem, outcome: str) -> None:
    from ..notifications.services import notify_many
    from ..permissions import can_view_thread

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
    from sqlalchemy import or_
    from sqlalchemy.orm import joinedload, selectinload

    from ..permissions import readable_visibilities

    query = (select(ReviewItem).where(ReviewItem.status == status)
             .outerjoin(Post, ReviewItem.post_id == Post.id).outerjoin(Thread, Post.thread_id == Thread.id)
             .outerjoin(Board, Thread.board_id == Board.id)
             .where(or_(ReviewItem.post_id.is_(None), Board.visibility.in_(readable_visibilities(member))))
             .options(joinedload(ReviewItem.post).joinedload(Post.author),
                      joinedload(ReviewItem.post).joinedload(Post.thread),
                      joinedload(ReviewItem.member), joinedload(ReviewItem.resolved_by),
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
    from sqlalchemy import or_
    from sqlalchemy.orm import joinedload

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


# ---- members ---------------------------------------------------------------------------------

def _check_target(actor: Member, target: Member) -> None:
    if not can_act_on_member(actor, target):
        raise NotPermitted(_l("You cannot act on this member."))


def silence_member(actor: Member, target: Member, days, reason: str) -> Member:
    """Let `target` read but not post for `days` days; the reason is shown to them."""
    _check_target(actor, target)
    days = _days(days)
    reason = _text(reason, "reason", 255, required=True)
    target.silenced_until = utcnow() + timedelta(days=days)
    target.silenced_reason = reason
    db.session.flush()
    log_action(actor, "silence", member=target, reason_code="manual", reason=reason, data={"days": days})
    _tell_member(actor, target, "silenced", reason, target.silenced_until)
    member_silenced.send(target, by=actor, until=target.silenced_until, reason=reason)
    return target


def suspend_member(actor: Member, target: Member, days, reason: str) -> Member:
    """Keep `target` from signing in for `days` days and end all their sessions."""
    _check_target(actor, target)
    days = _days(days)
    reason = _text(reason, "reason", 255, required=True)
    target.suspended_until = utcnow() + timedelta(days=days)
    target.suspended_reason = reason
    target.session_version = Member.session_version + 1  # every session and remember-me cookie ends
    db.session.flush()
    db.session.refresh(target, ["session_version"])
    log_action(actor, "suspend", member=target, reason_code="manual", reason=reason, data={"days": days})
    member_suspended.send(target, by=actor, until=target.suspended_until, reason=reason)
    return target


def lift_silence(actor: Member, target: Member, reason: str = "") -> Member:
    """End a silence early."""
    _check_target(actor, target)
    reason = _text(reason, "reason", 255)
    if target.silenced_until is None or target.silenced_until <= utcnow():
        raise Conflict(_l("This member is not silenced."))
    target.silenced_until, target.silenced_reason = None, ""
    db.session.flush()
    log_action(actor, "unsilence", member=target, reason_code="manual", reason=reason)
    _tell_member(actor, target, "unsilenced", reason, None)
    member_restriction_lifted.send(target, by=actor, restriction="silence", reason=reason)
    return target


def lift_suspension(actor: Member, target: Member, reason: str = "") -> Member:
    """End a suspension early: the member may sign in again."""
    _check_target(actor, target)
    reason = _text(reason, "reason", 255)
    if target.suspended_until is None or target.suspended_until <= utcnow():
        raise Conflict(_l("This member is not suspended."))
    target.suspended_until, target.suspended_reason = None, ""
    db.session.flush()
    log_action(actor, "unsuspend", member=target, reason_code="manual", reason=reason)
    member_restriction_lifted.send(target, by=actor, restriction="suspension", reason=reason)
    return target


def _tell_member(actor: Member, target: Member, what: str, reason: str, until) -> None:
    from ..notifications.services import notify

    notify(target, "moderation", actor=actor,
           data={"what": what, "reason": reason, "until": until.isoformat() if until else None,
                 "url": f"/u/{target.username}#moderation"})


# ---- threads ---------------------------------------------------------------------------------

def pin_globally(moderator: Member, thread: Thread, days=None) -> Thread:
    """Pin `thread` on top of every list it appears in (latest, home), for `days` days or until unpinned."""
    from ..trust.thread_tools import pin_thread

    thread.pinned_globally = True
    return pin_thread(moderator, thread, days)


def _move_posts(posts: list[Post], target: Thread, first_number: int) -> None:
    """Give `posts` (in order) to `target`, numbered from `first_number`; votes and history follow the ids."""
    for offset, post in enumerate(posts):
        db.session.execute(update(Post).where(Post.id == post.id)
                           .values(thread_id=target.id, number=first_number + offset)
                           .execution_options(synchronize_session=False))
    for post in posts:
        db.session.expire(post)


def _recount_thread(thread: Thread) -> None:
    """Set a thread's reply count, last post and post sequence from its posts (after posts moved)."""
    counted_posts = select(Post).where(Post.thread_id == thread.id, Post.deleted_at.is_(None),
                                       Post.hidden_at.is_(None), Post.pending.is_(False),
                                       Post.is_whisper.is_(False)).subquery()
    replies = db.session.scalar(select(func.count()).select_from(counted_posts).where(counted_posts.c.number > 1))
    last = db.session.execute(select(counted_posts.c.created_at, counted_posts.c.author_id)
                              .order_by(counted_posts.c.created_at.desc()).limit(1)).first()
    top = db.session.scalar(select(func.max(Post.number)).where(Post.thread_id == thread.id)) or 0
    values = {"reply_count": replies}
    if top > (thread.post_seq or 0):
        values["post_seq"] = top
    if last is not None:
        values["last_posted_at"], values["last_poster_id"] = last.created_at, last.author_id
    opening_score = db.session.scalar(select(Post.score).where(Post.thread_id == thread.id, Post.number == 1))
    if opening_score is not None:
        values["score"] = opening_score
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.expire(thread)


def _board_delta(board_id: int, threads: int, posts: int) -> None:
    if threads or posts:
        db.session.execute(update(Board).where(Board.id == board_id).values(
            thread_count=Board.thread_count + threads, post_count=Board.post_count + posts))


def merge_threads(moderator: Member, source: Thread, target: Thread, reason: str = "") -> Thread:
    """Move every post of `source` to the end of `target`, in their order; `source` is closed and points there.

    The posts keep their ids, so their votes, edit history and mentions stay with them.
    """
    if not can_merge_threads(moderator, source, target):
        raise ValidationFailed(_l("Please choose another live thread that you moderate."),
                               {"target": _l("Please choose another live thread that you moderate.")})
    reason = _text(reason, "reason")
    posts = list(db.session.scalars(select(Post).where(Post.thread_id == source.id).order_by(Post.number)))
    live_before = {"source": _live_posts(source), "target": _live_posts(target)}
    # Take the next numbers of the target in one statement, so a reply arriving meanwhile keeps its own.
    top = db.session.execute(update(Thread).where(Thread.id == target.id)
                             .values(post_seq=Thread.post_seq + len(posts)).returning(Thread.post_seq)).scalar_one()
    _move_posts(posts, target, top - len(posts) + 1)
    now = utcnow()
    db.session.execute(update(Thread).where(Thread.id == source.id).values(
        deleted_at=now, deleted_by_id=moderator.id, merged_into_id=target.id, accepted_post_id=None,
        reply_count=0).execution_options(synchronize_session=False))
    db.session.expire(source)
    _recount_thread(target)
    # Counts: the source thread leaves its board; its live posts join the target's board.
    live_after = _live_posts(target)
    moved_live = live_after - live_before["target"]
    if source.board_id == target.board_id:
        _board_delta(source.board_id, -1 if live_before["source"] else 0, 0)
    else:
        _board_delta(source.board_id, -1 if live_before["source"] else 0, -live_before["source"])
        _board_delta(target.board_id, 0, moved_live)
    if source.author_id is not None and live_before["source"]:
        db.session.execute(update(Member).where(Member.id == source.author_id)
                           .values(thread_count=Member.thread_count - 1))
    log_action(moderator, "merge", thread=target, reason_code="manual", reason=reason,
               data={"source_id": source.id, "source_title": source.title, "posts": len(posts)})
    threads_merged.send(target, source=source, by=moderator, post_ids=[p.id for p in posts])
    return target


def _live_posts(thread: Thread) -> int:
    """The posts of a live, visible thread that its board counts (0 for a deleted or hidden thread)."""
    db.session.refresh(thread)
    if thread.deleted_at is not None or thread.hidden_at is not None or thread.pending:
        return 0
    return 1 + (thread.reply_count or 0)


def split_thread(moderator: Member, source: Thread, post_ids, title: str, board: Board | None = None,
                 reason: str = "") -> Thread:
    """Move the chosen replies of `source` into a new thread, in their order; the first opens it."""
    from ..forum.services import _check_title

    if not can_split_thread(moderator, source):
        raise NotPermitted(_l("You cannot split this thread."))
    board = board or source.board
    if board.id != source.board_id and not (can_moderate(moderator, board) and can_start_thread(moderator, board)):
        raise ValidationFailed(_l("Please choose a board you moderate."), {"board": _l("Please choose a board you moderate.")})
    try:
        ids = sorted({int(i) for i in post_ids})
    except (TypeError, ValueError):
        ids = []
    posts = list(db.session.scalars(select(Post).where(Post.id.in_(ids), Post.thread_id == source.id)
                                    .order_by(Post.number))) if ids else []
    if not posts or len(posts) != len(ids):
        raise ValidationFailed(_l("Please choose replies of this thread."), {"posts": _l("Please choose replies of this thread.")})
    if any(post.is_opening for post in posts):
        raise ValidationFailed(_l("The opening post stays with its thread."),
                               {"posts": _l("The opening post stays with its thread.")})
    if not posts[0].is_public:
        raise ValidationFailed(_l("The first chosen post opens the new thread, so it must be visible to everyone."),
                               {"posts": _l("The first chosen post must be visible to everyone.")})
    title = _check_title(title)
    reason = _text(reason, "reason")
    live_before = _live_posts(source)
    first = posts[0]
    thread = Thread(board_id=board.id, author_id=first.author_id, title=title, created_at=first.created_at,
                    last_posted_at=first.created_at, last_poster_id=first.author_id, post_seq=0)
    if board.kind.value == "idea":
        from ..forum.models import IdeaStatus

        thread.idea_status = IdeaStatus.open
    db.session.add(thread)
    db.session.flush()
    _move_posts(posts, thread, 1)
    _recount_thread(thread)
    _recount_thread(source)
    if source.accepted_post_id in ids:
        db.session.execute(update(Thread).where(Thread.id == source.id).values(accepted_post_id=None))
        db.session.expire(source)
    live_source, live_new = _live_posts(source), _live_posts(thread)
    if board.id == source.board_id:
        _board_delta(board.id, 1, live_source + live_new - live_before)
    else:
        _board_delta(source.board_id, 0, live_source - live_before)
        _board_delta(board.id, 1, live_new)
    if first.author_id is not None:
        db.session.execute(update(Member).where(Member.id == first.author_id).values(
            thread_count=Member.thread_count + 1))
    log_action(moderator, "split", thread=thread, reason_code="manual", reason=reason,
               data={"source_id": source.id, "posts": len(posts)})
    thread_split.send(thread, source=source, by=moderator, post_ids=ids)
    return thread


# ---- the log and transparency ----------------------------------------------------------------

def moderation_log(action: str | None = None, actor: Member | None = None, member: Member | None = None,
                   page: int = 1, per_page: int = 50):
    """Return a page of the moderation log, newest first, filtered by action, actor or member concerned."""
    from sqlalchemy.orm import joinedload

    from ..forum.services import Page, _pages

    query = select(ModerationAction)
    if action:
        query = query.where(ModerationAction.action == action)
    if actor is not None:
        query = query.where(ModerationAction.actor_id == actor.id)
    if member is not None:
        query = query.where(ModerationAction.member_id == member.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = _pages(total, per_page, page)
    rows = db.session.scalars(query.options(joinedload(ModerationAction.actor), joinedload(ModerationAction.member),
                                            joinedload(ModerationAction.thread))
                              .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(rows, page, pages, total)


# What the public page counts: the community's own acts of moderation, not members' flags.
PUBLIC_ACTIONS = ("auto_hide", "hide", "unhide", "delete", "restore", "edit", "approve", "reject", "agree",
                  "disagree", "ignore", "lock", "unlock", "pin", "unpin", "move", "merge", "split", "silence",
                  "unsilence", "suspend", "unsuspend", "flag", "report_member")


def transparency_report(days: int = 30) -> dict:
    """Counts of moderation actions and of their reasons, over `days` days and in all; no names."""
    since = utcnow() - timedelta(days=days)
    base = select(ModerationAction.action, ModerationAction.reason_code, func.count()).where(
        ModerationAction.action.in_(PUBLIC_ACTIONS)).group_by(ModerationAction.action, ModerationAction.reason_code)
    recent = db.session.execute(base.where(ModerationAction.created_at >= since)).all()
    total = db.session.execute(base).all()

    def fold(rows):
        by_action, by_reason = {}, {}
        for action, code, n in rows:
            by_action[action] = by_action.get(action, 0) + n
            if code:
                by_reason[code] = by_reason.get(code, 0) + n
        return by_action, by_reason

    recent_actions, recent_reasons = fold(recent)
    all_actions, all_reasons = fold(total)
    return {"days": days, "recent_actions": recent_actions, "recent_reasons": recent_reasons,
            "all_actions": all_actions, "all_reasons": all_reasons}
