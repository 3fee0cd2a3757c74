"""Feedback items and response times: which threads are a customer's voice, and how fast the brand answered.

A thread becomes a feedback item when its board or tags say what it is: an idea board's thread is an
idea, a question board's a question; tags such as ``bug``, ``complaint`` or ``praise`` (or their
Chinese equivalents) mark the others. Staff may reclassify an item; then tags no longer change it.
The first reply and the first official (staff) reply are stamped as they happen, in the reply's
transaction, so response times are exact and the queue of threads past the response target is one query.
"""
from __future__ import annotations

import statistics
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community import signals
from community.dbtypes import utcnow
from community.errors import ValidationFailed
from community.extensions import db
from community.forum.models import BoardKind, IdeaStatus, Thread

from .audit import audit
from .models import FeedbackItem, FeedbackKind, FeedbackStatus
from .subscribe import connect_all
from .thread_rows import post_thread_rows

KIND_LABELS = {FeedbackKind.idea: _l("Idea"), FeedbackKind.bug: _l("Bug report"),
               FeedbackKind.complaint: _l("Complaint"), FeedbackKind.question: _l("Question"),
               FeedbackKind.praise: _l("Praise")}
STATUS_LABELS = {FeedbackStatus.open: _l("Waiting for the brand"), FeedbackStatus.answered: _l("Answered"),
                 FeedbackStatus.resolved: _l("Resolved"), FeedbackStatus.closed: _l("Closed")}
TAG_KINDS = {
    FeedbackKind.bug: {"bug", "bugs", "defect", "故障", "缺陷", "bug报告"},
    FeedbackKind.complaint: {"complaint", "complaints", "投诉", "抱怨"},
    FeedbackKind.praise: {"praise", "thanks", "kudos", "表扬", "点赞", "感谢"},
}


def classify(thread: Thread, tag_names) -> FeedbackKind | None:
    """Return what kind of feedback `thread` is, or None for plain discussion."""
    names = {name.casefold() for name in tag_names}
    for kind in (FeedbackKind.bug, FeedbackKind.complaint, FeedbackKind.praise):
        if names & TAG_KINDS[kind]:
            return kind
    if thread.board.kind is BoardKind.idea:
        return FeedbackKind.idea
    if thread.board.kind is BoardKind.question:
        return FeedbackKind.question
    return None


def item_for(thread_id: int) -> FeedbackItem | None:
    return db.session.scalar(select(FeedbackItem).where(FeedbackItem.thread_id == thread_id))


# ---- subscribers (inside the event's transaction) ------------------------------------------------

def on_thread_created(thread, post=None, **_kw):
    kind = classify(thread, [t.name for t in thread.tags])
    if kind is not None:
        db.session.add(FeedbackItem(thread=thread, member=None if getattr(thread.author, 'deleted_at', None) else thread.author, kind=kind, created_at=thread.created_at))


def on_post_created(post, **_kw):
    thread = post.thread
    # by ids: the thread's author row is not loaded for this (a wide members row per reply)
    if post.author_id is None or post.author_id == thread.author_id:
        return
    if getattr(post, "is_whisper", False):
        return  # a staff whisper is invisible to the member: they are still waiting for the brand
    item_id = post_thread_rows(post)[0]  # with the live case's id, which cases.on_post_created reads next
    if item_id is None:
        return
    item = db.session.get(FeedbackItem, item_id)
    now = post.created_at or utcnow()
    if item.first_reply_at is None:
        item.first_reply_at = now
    if post.author.is_staff and item.first_official_reply_at is None:
        item.first_official_reply_at = now
        if item.status is FeedbackStatus.open:
            item.status = FeedbackStatus.answered


def on_answer_accepted(post, thread=None, **_kw):
    item = item_for((thread or post.thread).id)
    if item is not None:
        item.status = FeedbackStatus.resolved


def on_answer_unaccepted(post, thread=None, **_kw):
    item = item_for((thread or post.thread).id)
    if item is not None and item.status is FeedbackStatus.resolved:
        item.status = FeedbackStatus.answered if item.first_official_reply_at else FeedbackStatus.open


def on_idea_status_changed(thread, status=None, **_kw):
    item = item_for(thread.id)
    if item is None:
        return
    status = IdeaStatus(getattr(status, "value", status))
    if status is IdeaStatus.shipped:
        item.status = FeedbackStatus.resolved
    elif status in (IdeaStatus.declined, IdeaStatus.duplicate):
        item.status = FeedbackStatus.closed
    elif item.status is FeedbackStatus.open:
        item.status = FeedbackStatus.answered  # staff looked at it and said where it stands


def on_thread_retagged(thread, **_kw):
    item = item_for(thread.id)
    kind = classify(thread, [t.name for t in thread.tags])
    if item is None and kind is not None:
        db.session.add(FeedbackItem(thread=thread, member=None if getattr(thread.author, 'deleted_at', None) else thread.author, kind=kind, created_at=thread.created_at))
    elif item is not None and not item.kind_set_by_staff and kind is not None:
        item.kind = kind


_SUBSCRIPTIONS = {signals.thread_created: on_thread_created, signals.post_created: on_post_created,
                  signals.answer_accepted: on_answer_accepted, signals.answer_unaccepted: on_answer_unaccepted,
                  signals.idea_status_changed: on_idea_status_changed, signals.thread_retagged: on_thread_retagged}


def connect() -> None:
    connect_all(_SUBSCRIPTIONS)


# ---- staff services --------------------------------------------------------------------------------

def reclassify(staff, item: FeedbackItem, kind: str, status: str) -> None:
    """Set an item's kind and status by hand (tags stop changing its kind); audited."""
    if kind not in FeedbackKind.__members__ or status not in FeedbackStatus.__members__:
        message = _("Choose a kind and a status from the lists.")
        raise ValidationFailed(message, fields={"kind": message})
    changes = {}
    if FeedbackKind(kind) is not item.kind:
        changes["kind"] = {"before": item.kind.value, "after": kind}
        item.kind, item.kind_set_by_staff = FeedbackKind(kind), True
    if FeedbackStatus(status) is not item.status:
        changes["status"] = {"before": item.status.value, "after": status}
        item.status = FeedbackStatus(status)
    if changes:
        audit(staff, "feedback_changed", None, thread_id=item.thread_id, **changes)


def feedback_query(kind: str = "", status: str = "", sort: str = "votes"):
    query = select(FeedbackItem).join(FeedbackItem.thread).where(Thread.deleted_at.is_(None))
    if kind in FeedbackKind.__members__:
        query = query.where(FeedbackItem.kind == kind)
    if status in FeedbackStatus.__members__:
        query = query.where(FeedbackItem.status == status)
    order = (Thread.score.desc(), FeedbackItem.id.desc()) if sort == "votes" else (FeedbackItem.created_at.desc(),)
    return query.order_by(*order)


def target_hours() -> int:
    return current_app.config.get("CRM_RESPONSE_TARGET_HOURS", 24)


def overdue_query(now=None):
    """Feedback waiting for the brand (the feedback list's "Waiting for the brand") past the target, longest first.

    The same rule as the list's status, so the two always agree: an item staff set back to waiting
    after an answer is waiting again, and waits from when it was posted.
    """
    now = now or utcnow()
    return (select(FeedbackItem).join(FeedbackItem.thread)
            .where(Thread.deleted_at.is_(None), FeedbackItem.status == FeedbackStatus.open,
                   FeedbackItem.created_at < now - timedelta(hours=target_hours()))
            .order_by(FeedbackItem.created_at.asc(), FeedbackItem.id.asc()))


def is_overdue(item: FeedbackItem, now=None) -> bool:
    """Whether `item` is in the response queue (the rule of `overdue_query`, for one item on a page)."""
    now = now or utcnow()
    return item.status is FeedbackStatus.open and item.created_at < now - timedelta(hours=target_hours())


def response_times(days: int = 30) -> dict[str, dict]:
    """Median and 90th percentile hours to the first reply and the first official reply, per kind."""
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(select(FeedbackItem.kind, FeedbackItem.created_at, FeedbackItem.first_reply_at,
                                     FeedbackItem.first_official_reply_at)
                              .where(FeedbackItem.created_at >= since)).all()
    out: dict[str, dict] = {}
    for kind in FeedbackKind:
        mine = [r for r in rows if r.kind is kind]
        figures = {"items": len(mine)}
        for key, column in (("first_reply", 2), ("first_official_reply", 3)):
            hours = sorted((r[column] - r[1]).total_seconds() / 3600 for r in mine if r[column] is not None)
            figures[key] = {"answered": len(hours),
                            "median_hours": round(statistics.median(hours), 1) if hours else None,
                            "p90_hours": round(hours[min(len(hours) - 1, int(len(hours) * 0.9))], 1) if hours else None}
        out[kind.value] = figures
    return out
