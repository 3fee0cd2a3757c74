"""Stored notifications: replies, quotes, mentions, official answers, follows, the page and the header."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from community.conversations import services as conversations
from community.extensions import db as _db
from community.forum.models import Visibility
from community.members.models import Role
from community.notifications import services as notifications
from community.notifications.models import Notification, ThreadFollow
from community.signals import notification_created
from community.text import quote

BASIC = ("reply", "quote", "mention", "official_answer")


def kinds_of(member, kinds=BASIC) -> list[str]:
    """The member's notifications of these kinds (other areas, e.g. badges, notify too)."""
    return list(_db.session.scalars(select(Notification.kind).where(Notification.member_id == member.id,
                                                                    Notification.kind.in_(kinds))
                                    .order_by(Notification.id)))


def rows(html: str, unread: bool | None = None, kind: str = "reply") -> int:
    """Count the notification rows of a kind on a page (read, unread, or both)."""
    state = {True: " unread", False: "", None: "(?: unread)?"}[unread]
    return len(re.findall(rf'class="notification{state}" id="notification-\d+" data-kind="{kind}"', html))


def unread_ids(member, kind="reply") -> list[int]:
    return list(_db.session.scalars(select(Notification.id).where(
        Notification.member_id == member.id, Notification.kind == kind, Notification.read_at.is_(None))
        .order_by(Notification.id)))


def unread_total(member) -> int:
    return len(_db.session.scalars(select(Notification.id).where(
        Notification.member_id == member.id, Notification.read_at.is_(None))).all())


def page_of(client, url="/notifications") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def text_of(client, url="/notifications") -> str:
    """The page as a reader sees it: markup dropped, so "<a>bob</a> replied" reads "bob replied"."""
    return re.sub(r"<[^>]+>", "", page_of(client, url))


def test_reply_notifies_the_thread_author_but_not_the_replier(client, auth, make):
    alice, bob = make.member("alice"), make.member("bob")
    thread = make.thread(author=alice, title="Router keeps rebooting")
    make.post(thread, author=bob, body="Try a factory reset first.")
    assert kinds_of(alice) == ["reply"]
    assert kinds_of(bob) == []
    auth.login(alice)
    page = page_of(client)
    assert "bob" in page and "replied in" in page and "Router keeps rebooting" in page


def test_reply_to_a_post_notifies_its_author_and_a_quote_says_so(client, auth, make):
    alice, bob, carol = make.member("alice"), make.member("bob"), make.member("carol")
    thread = make.thread(author=alice)
    bobs = make.post(thread, author=bob, body="Mine blinks red twice.")
    make.post(thread, author=carol, body="Same here, after the update.", reply_to=bobs)
    make.post(thread, author=carol, body=quote(bobs.body_source, "bob", f"/t/{thread.id}#post-2") + "Which firmware?",
              reply_to=bobs)
    assert kinds_of(bob) == ["reply", "quote"]
    auth.login(bob)
    page = text_of(client)
    assert "carol replied to your post in" in page and "carol quoted you in" in page


def test_mention_notifies_the_mentioned_member_once(client, auth, make):
    alice, bob, dave = make.member("alice"), make.member("bob"), make.member("dave")
    thread = make.thread(author=alice, body="Opening post that asks @dave for help.")
    # alice follows her thread and is mentioned: one notification for the post, the mention
    make.post(thread, author=bob, body="I think @alice and @dave both know this.")
    assert kinds_of(dave) == ["mention", "mention"]
    assert kinds_of(alice) == ["mention"]
    auth.login(dave)
    assert "alice mentioned you in" in text_of(client)


def test_no_notification_about_a_thread_the_member_cannot_see(make):
    staffer, member = make.member("staffer", role=Role.staff), make.member("mia")
    secret = make.board(visibility=Visibility.staff)
    make.thread(board=secret, author=staffer, body="Ask @mia about the leak, quietly.")
    assert kinds_of(member) == []


def test_staff_reply_is_an_official_answer_for_the_author(client, auth, make):
    alice, staffer = make.member("alice"), make.member("sam", role=Role.staff)
    thread = make.thread(author=alice, title="Warranty for the X200?")
    make.post(thread, author=staffer, body="Two years, from the date of purchase.")
    assert kinds_of(alice) == ["official_answer"]
    auth.login(alice)
    assert "sam (staff) answered in" in text_of(client)


def test_notify_never_notifies_the_actor_and_announces_each_row(make, db):
    alice, bob = make.member("alice"), make.member("bob")
    sent = []

    def receiver(sender, **_kw):
        sent.append(sender)

    with notification_created.connected_to(receiver):
        assert notifications.notify(alice, "badge", actor=alice, data={"badge": "First post"}) is None
        row = notifications.notify(alice, "badge", actor=bob, data={"badge": "First post"})
    db.session.commit()
    assert sent == [row] and row.id is not None and row.data == {"badge": "First post"}
    with pytest.raises(ValueError):
        notifications.notify(alice, "Not A Kind!")


def test_follow_and_unfollow_decide_who_hears_of_replies(client, auth, make, db):
    alice, fiona, bob = make.member("alice"), make.member("fiona"), make.member("bob")
    thread = make.thread(author=alice)
    auth.login(fiona)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert f'action="/t/{thread.id}/follow"' in page
    assert client.post(f"/t/{thread.id}/follow").status_code == 302
    assert client.post(f"/t/{thread.id}/follow").status_code == 302  # twice is harmless
    assert f'action="/t/{thread.id}/unfollow"' in client.get(f"/t/{thread.id}").get_data(as_text=True)
    make.post(thread, author=bob, body="First reply.")
    assert kinds_of(fiona) == ["reply"]
    client.post(f"/t/{thread.id}/unfollow")
    auth.logout()
    auth.login(alice)  # the author follows from the start, and may stop too
    client.post(f"/t/{thread.id}/unfollow")
    make.post(thread, author=bob, body="Second reply.")
    assert kinds_of(fiona) == ["reply"]
    assert kinds_of(alice) == ["reply"]
    assert db.session.scalar(select(ThreadFollow).where(ThreadFollow.thread_id == thread.id)) is None


def test_guest_cannot_follow_and_nobody_follows_what_they_cannot_see(client, auth, make):
    thread = make.thread(board=make.board(visibility=Visibility.staff), author=make.member(role=Role.staff))
    response = client.post(f"/t/{thread.id}/follow")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login(make.member())
    assert client.post(f"/t/{thread.id}/follow").status_code == 404


def test_notifications_page_is_for_members_only(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_mark_one_and_all_read_and_the_header_count(client, auth, make):
    alice, bob = make.member("alice"), make.member("bob")
    thread = make.thread(author=alice)
    for i in range(3):
        make.post(thread, author=bob, body=f"Reply number {i}")
    auth.login(alice)
    before = unread_total(alice)
    assert before >= 3
    badge = r'class="notifications-link">Notifications <span class="badge badge-unread"[^>]*>%d</span>'
    assert re.search(badge % before, page_of(client, "/"))
    first = unread_ids(alice)[0]
    assert client.post(f"/notifications/{first}/read").status_code == 302
    assert re.search(badge % (before - 1), page_of(client, "/"))
    unread_page = page_of(client, "/notifications?filter=unread")
    assert rows(unread_page, unread=True) == 2 and rows(unread_page) == 2
    assert rows(page_of(client), unread=False) == 1
    assert client.post("/notifications/read-all").status_code == 302
    page = page_of(client)
    assert "badge-unread" not in page and rows(page, unread=False) == 3
    assert "No unread notifications." in page_of(client, "/notifications?filter=unread")


def test_open_marks_read_and_leads_to_the_post(client, auth, make):
    alice, bob = make.member("alice"), make.member("bob")
    thread = make.thread(author=alice)
    reply = make.post(thread, author=bob)
    auth.login(alice)
    (nid,) = unread_ids(alice)
    response = client.post(f"/notifications/{nid}/open")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{thread.id}#post-{reply.number}")
    page = page_of(client)
    assert rows(page, unread=False) == 1 and rows(page, unread=True) == 0


def test_someone_elses_notification_does_not_exist_for_you(client, auth, make):
    alice, bob = make.member("alice"), make.member("bob")
    make.post(make.thread(author=alice), author=bob)
    (nid,) = unread_ids(alice)
    auth.login(bob)
    assert client.post(f"/notifications/{nid}/read").status_code == 404
    assert client.post(f"/notifications/{nid}/open").status_code == 404
    assert client.post("/notifications/999999/read").status_code == 404
    _db.session.expire_all()
    assert _db.session.get(Notification, nid).read_at is None


def test_notifications_are_paginated(app, client, auth, make):
    alice, bob = make.member("alice"), make.member("bob")
    thread = make.thread(author=alice)
    for i in range(5):
        make.post(thread, author=bob, body=f"Reply {i} here")
    app.config["NOTIFICATIONS_PER_PAGE"] = 2
    try:
        auth.login(alice)
        total = unread_total(alice)  # five replies, and perhaps a badge for the first thread
        pages = (total + 1) // 2
        assert len(re.findall(r'class="notification unread"', page_of(client))) == 2
        assert f"Page 1 of {pages}" in page_of(client)
        last = page_of(client, f"/notifications?page={pages}")
        assert len(re.findall(r'class="notification unread"', last)) == total - 2 * (pages - 1)
        assert client.get(f"/notifications?page={pages + 1}").status_code == 404
        assert client.get("/notifications?page=x").status_code == 400
        body = client.get("/notifications", headers={"Accept": "application/json"}).get_json()
        assert len(body["items"]) == 2 and body["next"] and body["unread"] == total
    finally:
        app.config["NOTIFICATIONS_PER_PAGE"] = 30


def test_notifications_about_a_thread_moved_out_of_sight_disappear(client, auth, make, db):
    alice, bob = make.member("alice"), make.member("bob")
    board = make.board()
    thread = make.thread(board=board, author=alice)
    make.post(thread, author=bob)
    board.visibility = Visibility.staff  # the board became staff-only after the reply
    db.session.commit()
    auth.login(alice)
    page = page_of(client)
    assert rows(page) == 0 and "Thread number" not in page


def test_the_unread_count_costs_one_query_per_page(client, auth, make, count_queries):
    alice, bob = make.member("alice"), make.member("bob")
    make.post(make.thread(author=alice), author=bob)
    auth.login(alice)
    client.get("/notifications")  # warm up: last-seen bookkeeping
    with count_queries() as statements:
        page = page_of(client)  # this page asks for the count three times (header, tab, button)
    assert "badge-unread" in page
    counts = [s for s in statements if re.search(r"count\(notifications\.id\)", s, re.I)]
    assert len(counts) == 1, counts


def test_the_headers_unread_notifications_and_messages_come_from_one_statement(client, auth, make, count_queries):
    alice, bob = make.member("alice"), make.member("bob")
    bob.trust_level = 1  # may write to members
    thread = make.thread(author=alice)
    make.post(thread, author=bob)
    make.post(thread, author=bob)
    conversations.start_conversation(bob, [alice], "", "A private word for you.")
    _db.session.commit()
    auth.login(alice)
    client.get("/")  # warm up: last-seen bookkeeping
    with count_queries() as statements:
        page = page_of(client, "/")
    assert unread_total(alice) >= 2  # the two replies (and a word of the message, if notified)
    unread = unread_total(alice)
    assert re.search(rf'class="notifications-link">Notifications <span class="badge badge-unread"[^>]*>{unread}</span>',
                     page)
    assert re.search(r'class="messages-link">Messages <span class="badge badge-unread" data-messages-unread>1</span>',
                     page)
    counts = [s for s in statements if re.search(r"count\(notifications\.id\)|conversation_participants", s, re.I)]
    assert len(counts) == 1 and "conversation_participants" in counts[0], counts


def test_json_clients_mark_read_and_get_the_new_count(client, auth, make):
    alice, bob = make.member("alice"), make.member("bob")
    make.post(make.thread(author=alice), author=bob)
    auth.login(alice)
    (nid,) = unread_ids(alice)
    before = unread_total(alice)
    body = client.post(f"/notifications/{nid}/read", headers={"Accept": "application/json"}).get_json()
    assert body["notification"]["read"] is True and body["unread"] == before - 1
