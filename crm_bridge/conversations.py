"""Staff-inbox conversations in the CRM: on the member's timeline, and in the response times.

Only conversations with the staff inbox ("Message the team") reach the CRM; member-to-member conversations
never do (the subscribers return at once). Entries carry no text of the messages, only the conversation's id:
the link opens the conversation page, which asks `can_view_conversation` of whoever follows it.
"""
from __future__ import annotations

import statistics
from datetime import timedelta

from sqlalchemy import func, select

from community import signals
from community.conversations.models import Conversation, Message
from community.dbtypes import utcnow
from community.extensions import db

from .subscribe import connect_all
from .timeline import event_time, record


def on_conversation_started(conversation, message=None, by=None, at=None, **_kw):
    if not conversation.is_staff:
        return
    record(by, "staff_conversation", at=event_time(at), conversation_id=conversation.id)


def on_message_sent(message, conversation=None, by=None, staff_answer=False, at=None, **_kw):
    if conversation is None or not conversation.is_staff:
        return
    if staff_answer:
        member = conversation.started_by
        record(member, "private_staff_reply", at=event_time(at), actor=by, active=False,
               conversation_id=conversation.id)
    else:
        record(by, "staff_conversation", at=event_time(at), conversation_id=conversation.id, reply=True)


def response_times(days: int = 30) -> dict:
    """Hours from a member's message to the staff inbox to the brand's first answer (median, 90th percentile),
    in the shape of `feedback.response_times` (first reply and first official reply are the same here)."""
    since = utcnow() - timedelta(days=days)
    first_answer = (select(Message.conversation_id, func.min(Message.created_at).label("at"))
                    .where(Message.from_staff.is_(True)).group_by(Message.conversation_id).subquery())
    rows = db.session.execute(select(Conversation.created_at, first_answer.c.at)
                              .outerjoin(first_answer, first_answer.c.conversation_id == Conversation.id)
                              .where(Conversation.is_staff.is_(True), Conversation.created_at >= since)).all()
    hours = sorted((event_time(answered) - started).total_seconds() / 3600 for started, answered in rows
                   if answered is not None)
    figure = {"answered": len(hours), "median_hours": round(statistics.median(hours), 1) if hours else None,
              "p90_hours": round(hours[min(len(hours) - 1, int(len(hours) * 0.9))], 1) if hours else None}
    return {"items": len(rows), "first_reply": figure, "first_official_reply": dict(figure)}


def connect() -> None:
    connect_all({signals.conversation_started: on_conversation_started, signals.message_sent: on_message_sent})
