"""Helpers for the conversations tests: members who may write, conversations made through the services."""
from __future__ import annotations

from community.conversations import services
from community.extensions import db
from community.members.models import Role
from tests import factories


def writer(role: Role | str = Role.member, level: int = 1, **kwargs):
    """A member at trust level `level` (member-to-member conversations need 1 by default)."""
    member = factories.member(role=role, **kwargs)
    member.trust_level = level
    db.session.commit()
    return member


def conversation(author, *recipients, body: str = "Hello there, a private word.", subject: str = ""):
    found = services.start_conversation(author, list(recipients), subject, body)
    db.session.commit()
    return found


def staff_conversation(author, body: str = "Hello team, I need some help.", subject: str = "Help"):
    found = services.message_staff(author, subject, body)
    db.session.commit()
    return found


def reply(author, found, body: str = "A reply in private."):
    message = services.reply(author, found, body)
    db.session.commit()
    return message
