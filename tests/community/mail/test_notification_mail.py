"""Notification emails (after a delay, only when unseen), digests, preferences and one-click unsubscribe."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from community.dbtypes import utcnow
from community.extensions import db
from community.mail import delivery
from community.mail.models import MailPreference, PendingNotificationMail
from community.members.models import Member
from community.notifications.models import BoardFollow, Notification
from tests.community.mail.conftest import links, parts, path_of


def _verified(make, username, **kwargs):
    member = make.member(username, email=f"{username}@example.net", **kwargs)

    db.session.execute(update(Member).where(Member.id == member.id).values(email_verified_at=utcnow()))
    db.session.commit()
    return member


def _make_due(db):
    db.session.execute(update(PendingNotificationMail).values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def _notification_mails(smtp, address):
    return [m for m in smtp.inbox.to(address) if "/email/verify/" not in parts(m)[0]]


def test_a_mention_is_mailed_after_the_delay_with_unsubscribe_headers_and_working_links(app, make, smtp, deliver, db):
    _verified(make, "alice")
    bob = make.member("bob")
    thread = make.thread(author=bob, title="Battery life after the update")
    reply = make.post(thread, author=bob, body="What do you think, @alice?")
    deliver()
    assert _notification_mails(smtp, "alice@example.net") == []  # within the delay: nothing yet

    _make_due(db)
    deliver()
    [message] = _notification_mails(smtp, "alice@example.net")
    assert message["Subject"] == "[Acme Community] bob mentioned you in Battery life after the update"
    unsubscribe_url = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url.startswith("https://community.example.org/email/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    post_url = f"https://community.example.org/p/{reply.id}"
    assert post_url in text and f'href="{post_url}"' in html
    assert unsubscribe_url in text and unsubscribe_url in html

    client = app.test_client()
    opened = client.get(path_of(post_url))
    assert opened.status_code == 302 and f"/t/{thread.id}" in opened.headers["Location"]
    assert client.get(opened.headers["Location"]).status_code == 200

    # A second pass sends nothing more: the notification was taken off the waiting list.
    deliver()
    assert len(_notification_mails(smtp, "alice@example.net")) == 1


def test_one_click_unsubscribe_works_without_signing_in_or_a_form_token(app, make, smtp, deliver, db):
    alice = _verified(make, "alice")
    bob = make.member("bob")
    thread = make.thread(author=bob)
    make.post(thread, author=bob, body="Ping @alice")
    _make_due(db)
    deliver()
    [message] = _notification_mails(smtp, "alice@example.net")
    url = message["List-Unsubscribe"].strip("<>")

    app.config["WTF_CSRF_ENABLED"] = True  # what a mail provider's POST meets in production
    client = app.test_client()
    page = client.get(path_of(url))  # a link scanner's GET changes nothing
    assert page.status_code == 200 and "@mentions" in page.get_data(as_text=True)
    assert db.session.get(MailPreference, alice.id) is None
    response = client.post(path_of(url), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "gets no more mails" in response.get_data(as_text=True)
    assert "mention" not in db.session.get(MailPreference, alice.id).kinds
    assert "reply" in db.session.get(MailPreference, alice.id).kinds  # only that kind
    assert client.post(path_of(url)).status_code == 200  # twice is harmless

    make.post(thread, author=bob, body="Ping again @alice")
    _make_due(db)
    deliver()
    assert len(_notification_mails(smtp, "alice@example.net")) == 1
    assert client.post("/email/unsubscribe/forged-token").status_code == 400


def test_a_notification_seen_on_the_site_within_the_delay_is_not_mailed(app, make, smtp, deliver, db, auth, client):
    alice = _verified(make, "alice")
    bob = make.member("bob")
    thread = make.thread(author=alice)
    make.post(thread, author=bob, body="A reply to alice's thread")
    notifications = db.session.scalars(select(Notification).where(Notification.member_id == alice.id)).all()
    assert "reply" in {n.kind for n in notifications}
    auth.login(alice)
    for notification in notifications:
        assert client.post(f"/notifications/{notification.id}/read").status_code == 302
    _make_due(db)
    deliver()
    assert _notification_mails(smtp, "alice@example.net") == []


def test_a_visit_after_the_notification_counts_as_seen(app, make, smtp, deliver, db, auth, client):
    alice = _verified(make, "alice")
    bob = make.member("bob")
    thread = make.thread(author=alice)
    make.post(thread, author=bob, body="A reply while alice is on the site")
    db.session.execute(update(Member).where(Member.id == alice.id).values(last_seen_at=None))
    db.session.commit()
    auth.login(alice)
    assert client.get("/").status_code == 200  # the header shows the count: she has seen it
    _make_due(db)
    deliver()
    assert _notification_mails(smtp, "alice@example.net") == []


def test_kinds_turned_off_and_unverified_addresses_get_no_notification_mail(app, make, smtp, deliver, db, auth, client):
    alice = _verified(make, "alice")
    carol = make.member("carol", email="carol@example.net")  # never verified
    bob = make.member("bob")
    auth.login(alice)
    page = client.get("/settings")
    assert 'name="kinds" value="mention" checked' in page.get_data(as_text=True)
    assert client.post("/settings/email-notifications", data={"kinds": ["reply"], "digest": "off"}).status_code == 302
    thread = make.thread(author=bob)
    make.post(thread, author=bob, body="Hello @alice and @carol")
    _make_due(db)
    deliver()
    assert _notification_mails(smtp, "alice@example.net") == []
    assert _notification_mails(smtp, "carol@example.net") == []
    assert carol.id


def test_several_notifications_of_a_pass_come_in_one_mail(app, make, smtp, deliver, db):
    alice = _verified(make, "alice")
    bob = make.member("bob")
    thread = make.thread(author=alice, title="Alice asks about firmware")
    make.post(thread, author=bob, body="First answer for alice")
    make.post(thread, author=bob, body="And @alice, one more thing")
    _make_due(db)
    deliver()
    [message] = _notification_mails(smtp, "alice@example.net")
    assert message["Subject"] == "[Acme Community] 2 new notifications"
    text, _html = parts(message)
    assert "bob replied in Alice asks about firmware" in text and "bob mentioned you in" in text
    assert "/email/unsubscribe/" in message["List-Unsubscribe"]  # two kinds: the link leaves all of them


def test_a_chinese_member_gets_notification_mails_in_chinese(app, make, smtp, deliver, db):
    _verified(make, "xiaohong", locale="zh_CN")
    bob = make.member("bob")
    thread = make.thread(author=bob, title="固件更新以后的电池续航")
    make.post(thread, author=bob, body="你怎么看 @xiaohong")
    _make_due(db)
    deliver()
    [message] = _notification_mails(smtp, "xiaohong@example.net")
    assert message["Content-Language"] == "zh-Hans"
    text, html = parts(message)
    assert "提及了你" in message["Subject"] and "固件更新以后的电池续航" in message["Subject"]
    assert "退订" in text and "退订" in html


# ---- digests ---------------------------------------------------------------------------------

def test_a_daily_digest_tells_of_new_replies_in_followed_threads(app, make, smtp, deliver, db, auth, client):
    alice = _verified(make, "alice")
    bob = make.member("bob")
    auth.login(alice)
    assert client.post("/settings/email-notifications",
                       data={"kinds": [], "digest": "daily"}).status_code == 302
    followed = make.thread(author=bob, title="Charging case rattles")
    assert client.post(f"/t/{followed.id}/follow").status_code == 302
    db.session.execute(update(MailPreference).values(last_digest_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    first_new = make.post(followed, author=bob, body="Mine rattles too")
    make.post(followed, author=bob, body="Fixed with a sticker")

    runner = app.test_cli_runner()
    result = runner.invoke(args=["community", "mail", "digest"])
    assert result.exit_code == 0, result.output
    assert "Digests queued: 1" in result.output
    [message] = [m for m in smtp.inbox.to("alice@example.net") if "digest" in m["Subject"]]
    assert message["Subject"] == "[Acme Community] Your daily digest"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert "Charging case rattles (2 new replies)" in text
    url = f"https://community.example.org/p/{first_new.id}"
    assert url in text and url in html
    assert app.test_client().get(path_of(url)).status_code == 302

    # Not due again until a day has passed.
    result = runner.invoke(args=["community", "mail", "digest"])
    assert "Digests queued: 0" in result.output

    # Its unsubscribe link turns the digest off.
    unsubscribe = [link for link in links(text) if "/email/unsubscribe/" in link][0]
    assert app.test_client().post(path_of(unsubscribe)).status_code == 200
    assert db.session.get(MailPreference, alice.id).digest == "off"


def test_a_digest_never_shows_threads_the_member_cannot_read(app, make, smtp, deliver, db):
    alice = _verified(make, "alice")
    staff_board = make.board(visibility="staff")
    public_board = make.board()
    make.thread(board=staff_board, title="Secret launch plans")
    make.thread(board=public_board, title="Public chatter thread")
    content = delivery.digest_content(alice, utcnow() - timedelta(days=1), utcnow())
    titles = [row["thread"].title for row in content["popular"]]
    assert "Public chatter thread" in titles and "Secret launch plans" not in titles


def test_a_digest_tells_of_new_threads_in_followed_boards(app, make, smtp, deliver, db, auth, client):
    alice = _verified(make, "alice")
    bob = make.member("bob")
    routers = make.board("routers")
    make.board("printers")
    auth.login(alice)
    assert client.post("/settings/email-notifications", data={"kinds": [], "digest": "daily"}).status_code == 302
    board_page = client.get("/b/routers").get_data(as_text=True)
    assert "Follow board" in board_page
    assert client.post("/b/routers/follow").status_code == 302
    assert "Unfollow" in client.get("/b/routers").get_data(as_text=True)
    db.session.execute(update(MailPreference).values(last_digest_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    make.thread(board=routers, author=bob, title="Mesh node drops at night")
    make.thread(board=db.session.scalar(select(type(routers)).where(type(routers).slug == "printers")),
                author=bob, title="Printer jams on envelopes")
    result = app.test_cli_runner().invoke(args=["community", "mail", "digest"])
    assert "Digests queued: 1" in result.output, result.output
    [message] = [m for m in smtp.inbox.to("alice@example.net") if "digest" in m["Subject"]]
    text, html = parts(message)
    section = text[text.index("New threads in boards you follow:"):]
    assert "Mesh node drops at night" in section.split("Popular new threads:")[0]
    assert "Mesh node drops at night" in html
    # each thread once: the followed board's thread is not repeated among the popular ones
    assert text.count("Mesh node drops at night") == 1
    # a board the member may not read is never followed; unfollowing stops it
    staff_board = make.board("secret", visibility="staff")
    assert client.post(f"/b/{staff_board.slug}/follow").status_code == 404
    assert client.post("/b/routers/unfollow").status_code == 302
    assert db.session.scalar(select(BoardFollow).where(BoardFollow.member_id == alice.id)) is None
