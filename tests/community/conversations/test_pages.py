"""The /messages pages: start, read, reply, unread badge, the staff inbox, leave and mute."""
from __future__ import annotations

from community.conversations.models import Conversation
from community.extensions import db
from tests.community.conversations.conftest import conversation, reply, staff_conversation, writer


def _badge(html: str) -> str:
    """The unread count in the header's Messages link ("" when there is none)."""
    start = html.index('class="messages-link"')
    link = html[start:html.index("</a>", start)]
    return link.rpartition('data-messages-unread>')[2].partition("<")[0] if "data-messages-unread" in link else ""


def test_member_starts_a_conversation_and_the_recipient_sees_it_unread(client, auth):
    alice, bob = writer(username="alice"), writer(username="bob")
    auth.login(alice)
    page = client.get("/messages/new?to=bob")
    assert page.status_code == 200 and 'data-draft-key="conversation:new"' in page.get_data(as_text=True)
    sent = client.post("/messages/new", data={"to": "bob", "subject": "Lunch", "body": "Shall we **meet**?"})
    assert sent.status_code == 302
    found = db.session.scalar(db.select(Conversation))
    assert sent.headers["Location"].endswith(f"/messages/{found.id}")
    auth.logout()
    auth.login(bob)
    listing = client.get("/messages").get_data(as_text=True)
    assert "Lunch" in listing and _badge(listing) == "1"
    shown = client.get(f"/messages/{found.id}").get_data(as_text=True)
    assert "<strong>meet</strong>" in shown and f'data-draft-key="conversation:{found.id}"' in shown
    assert _badge(client.get("/messages").get_data(as_text=True)) == ""  # read now
    assert client.post(f"/messages/{found.id}", data={"body": "Yes, at noon."}).status_code == 302
    auth.logout()
    auth.login(alice)
    assert "Yes, at noon." in client.get(f"/messages/{found.id}").get_data(as_text=True)


def test_outsiders_and_moderators_get_404(client, auth):
    alice, bob = writer(), writer()
    found = conversation(alice, bob, body="The secret plan")
    for reader in (writer(), writer("moderator"), writer("admin"), writer("staff")):
        auth.login(reader)
        assert client.get(f"/messages/{found.id}").status_code == 404
        assert client.post(f"/messages/{found.id}", data={"body": "Let me in"}).status_code == 404
        assert client.get(f"/messages/{found.id}/live/{found.last_message_id}").status_code == 404
        auth.logout()
    assert client.get("/messages").status_code == 302  # guests sign in first


def test_unknown_recipient_is_a_form_error(client, auth):
    auth.login(writer())
    page = client.post("/messages/new", data={"to": "nobody-here", "body": "Hello"})
    assert page.status_code == 422 and "There is no member named nobody-here." in page.get_data(as_text=True)


def test_trust_level_zero_member_messages_the_team_but_not_members(client, auth):
    newcomer, other = writer(level=0), writer(username="carol")
    auth.login(newcomer)
    refused = client.post("/messages/new", data={"to": "carol", "body": "Hi"})
    assert refused.status_code == 403 and "cannot start private conversations yet" in refused.get_data(as_text=True)
    team = client.get("/messages/team")
    assert team.status_code == 200
    assert client.post("/messages/team", data={"subject": "Billing", "body": "My invoice is wrong"}).status_code == 302
    assert other is not None


def test_staff_answer_from_the_inbox_reads_as_the_team(client, auth):
    member, agent = writer(), writer("staff", display_name="Jane Agent")
    found = staff_conversation(member, subject="Broken widget")
    auth.login(agent)
    inbox = client.get("/messages/staff").get_data(as_text=True)
    assert "Broken widget" in inbox and "Open" in inbox
    assert client.post(f"/messages/{found.id}", data={"body": "We are on it."}).status_code == 302
    assert "Broken widget" not in client.get("/messages/staff").get_data(as_text=True)  # answered
    assert "Broken widget" in client.get("/messages/staff?state=answered").get_data(as_text=True)
    auth.logout()
    auth.login(member)
    page = client.get(f"/messages/{found.id}").get_data(as_text=True)
    assert "We are on it." in page and "team</strong> · Jane Agent" in page
    auth.logout()
    auth.login(writer())
    assert client.get("/messages/staff").status_code == 404


def test_leaving_hides_the_conversation_and_its_new_messages(client, auth):
    alice, bob, carol = writer(), writer(), writer()
    found = conversation(alice, bob, carol, subject="Group chat")
    auth.login(carol)
    assert client.post(f"/messages/{found.id}/leave").status_code == 302
    reply(alice, found, "After carol left")
    assert "Group chat" not in client.get("/messages").get_data(as_text=True)
    assert client.get(f"/messages/{found.id}").status_code == 404


def test_mute_keeps_the_conversation_but_marks_it(client, auth):
    alice, bob = writer(), writer()
    found = conversation(alice, bob, subject="Noisy")
    auth.login(bob)
    client.post(f"/messages/{found.id}/mute", data={"muted": "1"})
    listing = client.get("/messages").get_data(as_text=True)
    assert "Noisy" in listing and "Muted" in listing


def test_conversation_pages_cost_the_same_queries_with_many_rows(client, auth, count_queries):
    alice, bob = writer(level=4), writer()
    first = conversation(alice, bob)
    url = f"/messages/{first.id}"
    auth.login(alice)
    client.get("/messages"), client.get(url)
    with count_queries() as few_list:
        client.get("/messages")
    with count_queries() as few_show:
        client.get(url)
    for n in range(12):
        reply(bob, first, f"Message number {n}")
        conversation(alice, writer())
    with count_queries() as many_list:
        assert client.get("/messages").status_code == 200
    with count_queries() as many_show:
        assert client.get(url).status_code == 200
    assert len(many_list) <= len(few_list)
    assert len(many_show) <= len(few_show) + 1  # + marking read


def test_new_conversation_asks_who_first_then_shows_the_composer(client, auth):
    auth.login(writer())
    first = client.get("/messages/new").get_data(as_text=True)
    assert 'name="to"' in first and "data-composer" not in first
    second = client.get("/messages/new?to=someone&subject=Hi").get_data(as_text=True)
    assert "data-composer" in second and 'name="to" value="someone"' in second and "edit=1" in second


def test_the_staff_inbox_costs_the_same_queries_with_many_conversations(client, auth, count_queries):
    agent = writer("staff")
    staff_conversation(writer())
    auth.login(agent)
    client.get("/messages/staff")
    with count_queries() as few:
        client.get("/messages/staff")
    for _n in range(8):
        staff_conversation(writer())
    with count_queries() as many:
        assert client.get("/messages/staff").status_code == 200
    assert len(many) == len(few)


def test_a_conversation_without_a_subject_is_named_by_its_first_line(client, auth):
    member, agent = writer(), writer("staff")
    staff_conversation(member, subject="", body="**My parcel** is lost\n\nIt was sent on Monday.")
    auth.login(agent)
    assert "My parcel is lost" in client.get("/messages/staff").get_data(as_text=True)
