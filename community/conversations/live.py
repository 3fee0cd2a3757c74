"""Tell participants live of new messages: after commit, to each one's personal room, ids only.

The event `conversation_message` {conversation_id, message_id} goes to `member:<id>` of every participant
who did not leave or mute the conversation, except the author; the client fetches the message from
`/messages/<id>/live/<message_id>` (the page's own checks) and the unread count from `/messages/unread`.
Staff who have not joined a staff-inbox conversation hear of it through the staff inbox's counter.
"""
from __future__ import annotations

from ..realtime import emit
from ..signals import conversation_started, message_sent
from .services import listeners


def _tell(conversation, message) -> None:
    for member_id in listeners(conversation, message.author_id):
        emit.send("conversation_message", {"conversation_id": conversation.id, "message_id": message.id},
                  emit.member_room(member_id))
    if conversation.is_staff:
        emit.staff_counters_changed()


def on_conversation_started(conversation, message=None, **_extra) -> None:
    _tell(conversation, message)


def on_message_sent(message, conversation=None, **_extra) -> None:
    _tell(conversation, message)


def connect() -> None:
    conversation_started.connect(on_conversation_started)
    message_sent.connect(on_message_sent)
