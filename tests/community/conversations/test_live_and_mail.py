"""New messages reach the other participants live (ids only) and, when unread after the delay, by one mail."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from community import settings
from community.conversations import mail, services
from community.conversations.models import Conversation
from community.dbtypes import utcnow
from community.extensions import db
from community.mail.models import MailMessage
from community.mail.preferences import set_preferences
from tests.community.conversations.conftest import conversation, reply, staff_conversation, writer
from tests.community.realtime.conftest import events, sockets  # noqa: F401  (the fixture)
from tests.conftest import Auth


def test_participants_hear_of_a_new_message_with_ids_only(client, auth, sockets):  # noqa: F811
    alice, bob, outsider = writer(), writer(), writer()
    found = conversation(alice, bob)
    auth.login(bob)
    bobs = sockets(client)
    other = client.application.test_client()
    Auth(other).login(outsider)
    theirs = sockets(other)
    bobs.get_received(), theirs.get_received()
    message = reply(alice, found, "Secret words for bob")
    (event,) = events(bobs, "conversation_message")
    assert set(event) == {"conversation_id", "message_id", "t"} and event["message_id"] == message.id
    assert events(theirs, "conversation_message") == []
    services.set_muted(bob, found, True)
    db.session.commit()
    reply(alice, found, "Muted now")
    assert events(bobs, "conversation_message") == []


def _verified(member):
    member.email_verified_at = utcnow()
    db.session.commit()
    return member


def _age(found):
    db.session.execute(update(Conversation).where(Conversation.id == found.id)
                       .values(last_message_at=utcnow() - timedelta(hours=1)))
    db.session.commit()


def _mails_to(member) -> list[MailMessage]:
    return [m for m in db.session.scalars(select(MailMessage).where(MailMessage.to_address == member.email))
            if "private message" in m.subject]


def test_one_mail_about_unread_messages_after_the_delay():
    alice, bob, carol = writer(), _verified(writer()), _verified(writer())
    found = conversation(alice, bob, carol, body="Unread for a while")
    assert mail.mail_unseen() == 0  # not due yet
    _age(found)
    services.set_muted(carol, found, True)
    db.session.commit()
    assert mail.mail_unseen() == 1
    (sent,) = _mails_to(bob)
    assert alice.name in sent.text_body and "Unread for a while" not in sent.text_body
    assert _mails_to(carol) == []  # muted
    assert mail.mail_unseen() == 0  # once per unseen stretch
    reply(alice, found, "Another one")
    _age(found)
    services.mark_read(bob, found)
    db.session.commit()
    assert mail.mail_unseen() == 0  # read before the delay: no mail


def test_members_who_turned_private_message_mails_off_get_none():
    member, agent = _verified(writer()), writer("staff")
    set_preferences(member, ["reply"], "off")
    found = staff_conversation(member)
    reply(agent, found, "Answer from the team")
    settings.save({"conversations.mail_delay_minutes": 0})
    db.session.commit()
    assert mail.mail_unseen() == 0 and _mails_to(member) == []


def test_staff_see_the_open_staff_inbox_in_their_live_counters(client, auth):
    member, agent = writer(), writer("staff")
    staff_conversation(member)
    auth.login(agent)
    assert client.get("/live/staff-counters").get_json()["counters"]["staff_inbox"] == 1
    auth.logout()
    auth.login(writer("moderator"))
    assert "staff_inbox" not in client.get("/live/staff-counters").get_json()["counters"]
