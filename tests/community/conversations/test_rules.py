"""Blocks, limits and reports: who may not write to whom, how much, and what moderators get to see."""
from __future__ import annotations

from datetime import timedelta

import pytest

from community import settings
from community.conversations import services
from community.conversations.models import Message
from community.dbtypes import utcnow
from community.errors import NotPermitted, ValidationFailed
from community.extensions import db
from community.moderation import review
from community.moderation.flags import flag_message
from community.moderation.models import ReviewItem, ReviewKind
from tests.community.conversations.conftest import conversation, reply, staff_conversation, writer


def test_a_blocked_member_cannot_start_or_reply(client, auth):
    alice, bob = writer(username="blocker"), writer(username="pest")
    found = conversation(bob, alice)
    auth.login(alice)
    assert client.post("/messages/block", data={"username": "pest"}).status_code == 302
    assert "pest" in client.get("/messages/blocked").get_data(as_text=True)
    auth.logout()
    auth.login(bob)
    page = client.post("/messages/new", data={"to": "blocker", "body": "Hello again"})
    assert page.status_code == 422 and "You cannot message this member." in page.get_data(as_text=True)
    refused = client.post(f"/messages/{found.id}", data={"body": "Still here"})
    assert refused.status_code == 403 and "You cannot message this member." in refused.get_data(as_text=True)
    auth.logout()
    auth.login(alice)
    client.post("/messages/unblock", data={"username": "pest"})
    assert reply(bob, found, "Back in touch").id


def test_blocks_do_not_stop_staff_answers():
    member, agent = writer(), writer("staff")
    found = staff_conversation(member)
    services.block(member, agent)
    db.session.commit()
    assert reply(agent, found, "We answer anyway").from_staff


def test_recipients_and_daily_limits_come_from_the_settings():
    author = writer()
    settings.save({"conversations.max_recipients": 2, "conversations.per_day": [0, 1, 5, 5, 5]})
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.start_conversation(author, [writer(), writer(), writer()], "", "Too many")
    db.session.rollback()
    conversation(author, writer())
    with pytest.raises(NotPermitted):
        services.start_conversation(author, [writer()], "", "One more today")


def test_silenced_member_cannot_reply(client, auth):
    alice, bob = writer(), writer()
    found = conversation(alice, bob)
    bob.silenced_until = utcnow() + timedelta(days=2)
    db.session.commit()
    auth.login(bob)
    assert client.post(f"/messages/{found.id}", data={"body": "Let me talk"}).status_code == 403
    assert client.post("/messages/team", data={"body": "Let me talk"}).status_code == 403


def test_a_reported_message_alone_reaches_the_review_queue(client, auth):
    alice, bob, mod = writer(), writer(), writer("moderator")
    found = conversation(alice, bob, body="The earlier history stays private")
    rude = reply(bob, found, "Rude words here")
    auth.login(alice)
    assert client.post(f"/messages/{found.id}/messages/{rude.id}/flag",
                       data={"reason": "abusive"}).status_code == 302
    auth.logout()
    auth.login(mod)
    queue = client.get("/review").get_data(as_text=True)
    assert "Rude words here" in queue and "The earlier history" not in queue
    assert client.get(f"/messages/{found.id}").status_code == 404
    item = db.session.scalar(db.select(ReviewItem).where(ReviewItem.kind == ReviewKind.flagged_message))
    assert client.post(f"/review/{item.id}", data={"outcome": "agreed", "silence_days": "3"}).status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(Message, rude.id).hidden_at is not None
    assert db.session.get(type(bob), bob.id).silenced_until is not None
    auth.logout()
    auth.login(alice)
    assert "Rude words here" not in client.get(f"/messages/{found.id}").get_data(as_text=True)


def test_one_cannot_report_ones_own_message_twice_or_at_all():
    alice, bob = writer(), writer()
    found = conversation(alice, bob)
    mine = services.messages(found, 1).items[0]
    with pytest.raises(NotPermitted):
        flag_message(alice, mine, "spam")
    flag_message(bob, mine, "spam")
    db.session.commit()
    with pytest.raises(Exception, match="flagged this already"):
        flag_message(bob, mine, "spam")
    assert review.OUTCOMES[ReviewKind.flagged_message]


def test_a_member_who_left_is_not_told_of_new_messages():
    alice, bob, carol = writer(), writer(), writer()
    found = conversation(alice, bob, carol)
    services.leave(carol, found)
    db.session.commit()
    assert services.listeners(found, alice.id) == [bob.id]


def test_a_profile_offers_to_message_or_block_the_member(client, auth):
    writer(username="profiled")
    auth.login(writer())
    page = client.get("/u/profiled").get_data(as_text=True)
    assert "/messages/new?to=profiled" in page and "Block private messages" in page
    client.post("/messages/block", data={"username": "profiled"})
    assert "Unblock private messages" in client.get("/u/profiled").get_data(as_text=True)
