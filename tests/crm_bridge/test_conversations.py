"""Staff-inbox conversations in the CRM (timeline, response times); member-to-member ones never; My data."""
from __future__ import annotations

from sqlalchemy import select

from community.conversations.models import Message
from community.extensions import db
from community.members.services import delete_account
from crm_bridge import conversations as crm_conversations
from crm_bridge.models import TimelineEvent
from tests import factories
from tests.community.conversations.conftest import conversation, reply, staff_conversation, writer


def _kinds(member) -> list[str]:
    return list(db.session.scalars(select(TimelineEvent.kind).where(TimelineEvent.member_id == member.id)
                                   .order_by(TimelineEvent.id)))


def test_the_staff_inbox_reaches_the_timeline_and_member_conversations_never(client, auth):
    member, friend, agent = writer(), writer(), writer("staff")
    found = staff_conversation(member, body="My order never arrived")
    reply(agent, found, "Refund sent")
    private = conversation(member, friend, body="Between us two")
    reply(friend, private, "Sure")
    assert _kinds(member)[-2:] == ["staff_conversation", "private_staff_reply"]
    assert "staff_conversation" not in _kinds(friend)
    auth.login(agent)
    page = client.get(f"/crm/members/{member.username}").get_data(as_text=True)
    assert "The team answered in private" in page and f"/messages/{found.id}" in page
    assert f"/messages/{private.id}" not in page and "Between us two" not in page
    times = crm_conversations.response_times()
    assert times["items"] == 1 and times["first_official_reply"]["answered"] == 1
    queue = client.get("/crm/response-queue").get_data(as_text=True)
    # the row sits with the response times (items, medians), not among the overdue threads
    times_table = queue.split("Response times, last 30 days", 1)[1]
    assert "Private messages to the team" in times_table
    assert "Private messages to the team" not in queue.split("Response times, last 30 days", 1)[0]


def test_my_data_lists_my_conversations_and_messages(client, auth):
    member, friend = writer(), writer()
    found = conversation(member, friend, subject="Our plan", body="Meet at nine")
    reply(friend, found, "See you there")
    auth.login(member)
    data = client.get("/me/data.json").get_json()
    (mine,) = data["conversations"]
    assert mine["subject"] == "Our plan" and [m["body"] for m in mine["messages"]] == ["Meet at nine", "See you there"]
    assert "Our plan" in client.get("/me/data").get_data(as_text=True)


def test_deleting_an_account_leaves_conversations_and_keeps_messages_for_the_others(client, auth):
    member, friend = writer(), writer()
    found = conversation(member, friend, body="Words that stay for my friend")
    delete_account(db.session.get(type(member), member.id), factories.PASSWORD)
    db.session.commit()
    auth.login(friend)
    page = client.get(f"/messages/{found.id}").get_data(as_text=True)
    assert "Words that stay for my friend" in page and "Deleted member" in page
    assert db.session.scalar(select(Message.author_id)) == member.id
