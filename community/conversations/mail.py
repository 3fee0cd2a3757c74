"""Mail participants about private messages they have not read (the scheduled job `conversations.mail_unseen`).

A participant who has not read a conversation's newest message `conversations.mail_delay_minutes` after it
arrived gets one mail per member and pass naming who wrote in which conversations (never the messages
themselves), once per unseen stretch (`Participant.mailed_id`). Muted conversations, conversations left,
staff-side rows (the staff inbox is their place) and members who turned off "Private messages" get none.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..dbtypes import utcnow
from ..extensions import db
from ..mail import compose, preferences
from ..members.models import Member
from .models import Conversation, Message, Participant
from .services import MAIL_DELAY_MINUTES


def mail_unseen(limit: int = 500) -> int:
    """Queue the due mails about unread messages; return how many were queued. Commits."""
    due = utcnow() - timedelta(minutes=int(MAIL_DELAY_MINUTES.value))
    rows = db.session.execute(
        select(Participant, Conversation).join(Conversation, Conversation.id == Participant.conversation_id)
        .where(Participant.left_at.is_(None), Participant.muted.is_(False), Participant.staff_side.is_(False),
               Participant.last_read_id < Conversation.last_message_id,
               Participant.mailed_id < Conversation.last_message_id, Conversation.last_message_at <= due)
        .options(joinedload(Participant.member)).order_by(Participant.member_id).limit(limit)).all()
    by_member: dict[int, list] = {}
    for row, conversation in rows:
        taken = db.session.execute(update(Participant).where(
            Participant.conversation_id == row.conversation_id, Participant.member_id == row.member_id,
            Participant.mailed_id < conversation.last_message_id).values(mailed_id=conversation.last_message_id))
        if taken.rowcount:  # claimed: a second pass running at once gets rowcount 0
            by_member.setdefault(row.member_id, []).append((row.member, conversation))
    queued = 0
    enabled = compose.is_enabled("notification")
    for found in by_member.values():
        member: Member = found[0][0]
        if (not enabled or member is None or not member.email_verified
                or "message" not in preferences.preferences(member)["kinds"]):
            continue
        items = []
        for _member, conversation in found:
            last = db.session.get(Message, conversation.last_message_id)
            author = last.author if last is not None else None
            items.append({"url": compose.link("conversations.show", conversation_id=conversation.id),
                          "team": bool(last is not None and last.from_staff),
                          "author": author.name if author is not None else None})
        compose.enqueue(compose.compose(to=member.email, kind="notification", template="private_messages",
                                        member=member, unsubscribe="message", items=items,
                                        choice_label=preferences.list_label("message")))
        queued += 1
    db.session.commit()
    return queued
