"""Who reads and writes which conversation: the truth table of the conversation predicates."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from community.conversations import services
from community.dbtypes import utcnow
from community.extensions import db
from community.permissions import (
    can_flag_message,
    can_message_staff,
    can_reply_conversation,
    can_start_conversation,
    can_view_conversation,
)
from tests.community.conversations.conftest import conversation, staff_conversation, writer

READERS = ("author", "recipient", "outsider", "moderator", "staff", "admin", "left", "guest")


@pytest.fixture
def people(db):
    return {"author": writer(), "recipient": writer(), "outsider": writer(), "moderator": writer("moderator"),
            "staff": writer("staff"), "admin": writer("admin"), "left": writer(), "guest": AnonymousUserMixin()}


# (reader, member-to-member, staff inbox)
TABLE = {
    "author": (True, True),
    "recipient": (True, False),
    "outsider": (False, False),
    "moderator": (False, False),   # moderators never read private conversations
    "staff": (False, True),        # staff read the staff inbox, not members' conversations
    "admin": (False, True),
    "left": (False, False),        # left: no access any more
    "guest": (False, False),
}


@pytest.mark.parametrize("who", READERS)
def test_who_reads_a_conversation(people, who):
    private = conversation(people["author"], people["recipient"], people["left"])
    services.leave(people["left"], private)
    db.session.commit()
    inbox = staff_conversation(people["author"])
    reader = people[who]
    assert can_view_conversation(reader, private) is TABLE[who][0]
    assert can_view_conversation(reader, inbox) is TABLE[who][1]
    assert can_reply_conversation(reader, private) is TABLE[who][0]


def test_silenced_and_suspended_members_cannot_send(db):
    author, other = writer(), writer()
    private = conversation(author, other)
    author.silenced_until = utcnow() + timedelta(days=1)
    other.suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    assert can_view_conversation(author, private)
    assert not can_reply_conversation(author, private)
    assert not can_start_conversation(author) and not can_message_staff(author)
    assert not can_reply_conversation(other, private)


@pytest.mark.parametrize(("level", "role", "starts"), [
    (0, "member", False), (1, "member", True), (0, "moderator", True), (0, "staff", True)])
def test_trust_level_to_start_member_conversations(db, level, role, starts):
    member = writer(role, level=level)
    assert can_start_conversation(member) is starts
    assert can_message_staff(member)  # trust level 0 still writes to the staff inbox


def test_only_other_participants_flag_a_message(db):
    author, other, outsider = writer(), writer(), writer()
    private = conversation(author, other)
    message = private_first(private)
    assert can_flag_message(other, message)
    assert not can_flag_message(author, message)
    assert not can_flag_message(outsider, message)


def private_first(found):
    return services.messages(found, 1).items[0]
