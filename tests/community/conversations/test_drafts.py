"""The composer's drafts in private conversations: listed with their place, discarded once sent."""
from __future__ import annotations

from sqlalchemy import select

from community.composer.models import Draft
from community.extensions import db

from .conftest import conversation, writer


def _keys(member) -> set[str]:
    return set(db.session.scalars(select(Draft.key).where(Draft.member_id == member.id)))


def test_a_conversation_draft_names_its_conversation_and_goes_when_sent(client, auth):
    alice, bob = writer(username="alice"), writer(username="bob")
    found = conversation(alice, bob, subject="Order 1234")
    auth.login(bob)
    assert client.put(f"/api/v1/drafts/conversation:{found.id}", json={"body": "half an answer"}).status_code == 200
    assert client.put("/api/v1/drafts/conversation:new", json={"body": "a new message"}).status_code == 200
    drafts = client.get("/drafts").get_data(as_text=True)
    assert "Order 1234" in drafts and f"/messages/{found.id}" in drafts and "/messages/new" in drafts
    assert client.post(f"/messages/{found.id}", data={"body": "The whole answer."}).status_code == 302
    assert _keys(bob) == {"conversation:new"}
    assert client.post("/messages/new", data={"to": "alice", "subject": "Hi", "body": "Hello"}).status_code == 302
    assert _keys(bob) == set()


def test_a_draft_of_a_conversation_one_left_does_not_name_it(client, auth):
    alice, bob = writer(username="alice"), writer(username="bob")
    found = conversation(alice, bob, subject="Secret plans")
    auth.login(bob)
    client.put(f"/api/v1/drafts/conversation:{found.id}", json={"body": "never sent"})
    assert client.post(f"/messages/{found.id}/leave").status_code == 302
    drafts = client.get("/drafts").get_data(as_text=True)
    assert "never sent" in drafts or "A place you can no longer see" in drafts
    assert "Secret plans" not in drafts
