"""The queue: the sender thread, retries while SMTP is down (delivered exactly once), the file fallback
with its admin page, and the admin's mail settings."""
from __future__ import annotations

import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import update

from community import settings
from community.dbtypes import utcnow
from community.mail.models import MailMessage
from community.mail.transport import SmtpTransport
from tests.community.mail.conftest import links, parts, path_of, queued


def _register(client, username):
    response = client.post("/register", data={"username": username, "email": f"{username}@example.net",
                                              "password": "a-long-enough-pass-9"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_mail_queued_while_smtp_is_down_is_delivered_once_it_is_back_exactly_once(app, smtp, sender_thread, db):
    app.config.update(MAIL_POLL_SECONDS=0.2, MAIL_RETRY_BASE_SECONDS=0.5, MAIL_RETRY_MAX_SECONDS=1)
    try:
        _register(app.test_client(), "early")
        smtp.inbox.wait_for(1)  # the sender thread delivered it after the commit, outside the request

        smtp.stop()  # the server goes away mid-queue
        for name in ("during1", "during2", "during3"):
            _register(app.test_client(), name)  # a dead SMTP server never fails a page

        def tried_and_failed():
            db.session.expire_all()
            rows = queued(db, kind="verification")
            waiting = [row for row in rows if row.to_address.startswith("during")]
            return any(row.attempts >= 1 and row.last_error for row in waiting)

        assert _wait(tried_and_failed)
        time.sleep(1.5)  # several more polls and retries while it is down
        db.session.expire_all()
        assert all(row.sent_at is None for row in queued(db) if row.to_address.startswith("during"))
        assert len(smtp.inbox.messages) == 1

        smtp.start()  # back, on the same port
        smtp.inbox.wait_for(4, timeout=30)
        time.sleep(2.0)  # more passes: nothing is sent twice
        received = [m["To"] for m in smtp.inbox.messages]
        assert sorted(received) == sorted(f"{n}@example.net" for n in ("early", "during1", "during2", "during3"))
        assert len({m["Message-ID"] for m in smtp.inbox.messages}) == 4
        db.session.expire_all()
        rows = queued(db)
        assert all(row.sent_at is not None and row.locked_until is None for row in rows)
        assert max(row.attempts for row in rows) >= 2
    finally:
        app.config.update(MAIL_POLL_SECONDS=15, MAIL_RETRY_BASE_SECONDS=30, MAIL_RETRY_MAX_SECONDS=3600)


def test_a_failed_try_backs_off_exponentially_and_gives_up_after_the_last_attempt(app, deliver, db, make):
    app.config.update(SMTP_URL="smtp://127.0.0.1:9?timeout=1", MAIL_MAX_ATTEMPTS=3)  # nothing listens on port 9
    try:
        make.member("unlucky", email="unlucky@example.net")
        waits = []
        for attempt in (1, 2, 3):
            db.session.execute(update(MailMessage).values(next_try_at=MailMessage.created_at))
            db.session.commit()
            before = time.time()
            deliver()
            db.session.expire_all()
            [row] = queued(db)
            assert row.attempts == attempt and row.sent_at is None and row.last_error
            waits.append(round(row.next_try_at.timestamp() - before))
        assert waits[:2] == [30, 60]  # doubling from MAIL_RETRY_BASE_SECONDS
        assert row.failed_at is not None  # the third failure was the last attempt
    finally:
        app.config.update(SMTP_URL=None, MAIL_MAX_ATTEMPTS=15)


def test_smtp_urls_are_read_as_documented():
    plain = SmtpTransport("smtp://user%40x:p%3Ass@mail.example.com:587?starttls=1")
    assert (plain.host, plain.port, plain.username, plain.password, plain.starttls, plain.ssl) == \
        ("mail.example.com", 587, "user@x", "p:ss", True, False)
    tls = SmtpTransport("smtps://mail.example.com")
    assert (tls.port, tls.ssl, tls.username) == (465, True, None)


# ---- without SMTP_URL: files and the admin page ----------------------------------------------

def test_without_smtp_mail_is_written_to_the_instance_folder_and_shown_to_admins(app, make, deliver, db, auth, client):
    assert not app.config.get("SMTP_URL")
    admin = make.member("boss", role="admin")
    _register(app.test_client(), "localtrial")
    deliver()
    [row] = queued(db, to_address="localtrial@example.net")
    assert row.sent_at is not None
    path = Path(app.config["MAIL_FOLDER"]) / (row.message_id.strip("<>").replace("@", "_") + ".eml")
    stored = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert stored["To"] == "localtrial@example.net"
    text, html = parts(stored)
    [verify_url] = [link for link in links(text, "http://127.0.0.1:5000") if "/email/verify/" in link]

    auth.login(admin)
    listing = client.get("/admin/mail").get_data(as_text=True)
    assert "localtrial@example.net" in listing and "Please verify your email address" in listing
    page = client.get(f"/admin/mail/{row.id}").get_data(as_text=True)
    assert verify_url in page and str(path) in page
    frame = client.get(f"/admin/mail/{row.id}/html")
    assert frame.status_code == 200 and "sandbox" in frame.headers["Content-Security-Policy"]
    assert verify_url in frame.get_data(as_text=True)

    # The link from the file works like one from a mailbox.
    trial = app.test_client()
    assert trial.post(path_of(verify_url)).status_code == 302


def test_only_admins_see_the_mail_pages(app, make, auth, client):
    staff = make.member("staffer", role="staff")
    auth.login(staff)
    assert client.get("/admin/mail").status_code == 404
    assert client.get("/admin/mail/1").status_code == 404
    guest = app.test_client()
    assert guest.get("/admin/mail").status_code == 302  # sign in first


def test_admin_settings_change_the_name_links_and_which_mails_go_out(app, make, smtp, deliver, db, auth, client):
    admin = make.member("boss", role="admin")
    auth.login(admin)
    bad = client.post("/admin/mail", data={"base_url": "ftp://nope", "mail_from": "",
                                           "enabled": ["password_reset"]})
    assert bad.status_code == 422 and "absolute http" in bad.get_data(as_text=True)
    settings.save({"site.name": "Beta Club"})  # mails carry the site's one name (community/site/branding.py)
    db.session.commit()
    response = client.post("/admin/mail", data={
        "base_url": "https://beta.example.com/forum",
        "mail_from": "Beta Club <club@beta.example.com>",
        "enabled": ["password_reset", "notification", "digest", "email_change"]})  # verification off
    assert response.status_code == 302
    _register(app.test_client(), "quiet")
    assert queued(db, to_address="quiet@example.net") == []

    app.test_client().post("/password/forgot", data={"login": "quiet"})
    deliver()
    [message] = smtp.inbox.to("quiet@example.net")
    assert message["Subject"].startswith("[Beta Club] ")
    assert message["From"] == "Beta Club <club@beta.example.com>"
    text, html = parts(message)
    [url] = links(text, "https://beta.example.com/forum/password/reset/")
    assert url in html
    assert app.test_client().get(url.replace("https://beta.example.com/forum", "")).status_code == 200


def test_a_message_leased_by_another_sender_is_left_alone(app, make, smtp, deliver, db):
    make.member("single", email="single@example.net")
    db.session.execute(update(MailMessage).values(locked_until=utcnow() + timedelta(minutes=1)))
    db.session.commit()
    assert deliver().get("sent") == 0  # another process holds the lease
    assert smtp.inbox.messages == []
    db.session.execute(update(MailMessage).values(locked_until=utcnow() - timedelta(seconds=1)))  # it died
    db.session.commit()
    assert deliver()["sent"] == 1
    assert deliver().get("sent") == 0
    assert len(smtp.inbox.messages) == 1


def test_the_send_command_empties_the_queue_left_by_a_command_line_signup(app, smtp, db):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["community", "create-admin", "--username", "rootadmin",
                                  "--email", "root@example.net", "--password", "a-long-enough-pass-9"])
    assert created.exit_code == 0, created.output
    assert smtp.inbox.messages == []  # a CLI process starts no sender thread; the row waits
    result = runner.invoke(args=["community", "mail", "send"])
    assert result.exit_code == 0 and "sent: 1" in result.output
    [message] = smtp.inbox.to("root@example.net")
    assert "verify" in message["Subject"].lower()
