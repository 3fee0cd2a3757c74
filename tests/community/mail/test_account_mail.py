"""Verification, address change and password reset, through a real SMTP server and the real pages."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from community.members.models import Member
from tests.community.mail.conftest import links, parts, path_of, queued
from tests.factories import PASSWORD

NEW_PASSWORD = "a-brand-new-secret-42"
ROOT = Path(__file__).resolve().parents[3]


def _register(client, username="newcomer", email="newcomer@example.net", language="en"):
    response = client.post("/register", data={"username": username, "email": email,
                                              "password": "a-long-enough-pass-9"},
                           headers={"Accept-Language": language})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _follow(client, url: str, expect: int = 200):
    """Open a link from a mail (GET), then press the page's button (POST): what a person does."""
    page = client.get(path_of(url))
    assert page.status_code == expect, page.get_data(as_text=True)[:300]
    if expect != 200:
        return page
    return client.post(path_of(url))


def test_a_new_member_gets_a_verification_mail_in_text_and_html_with_a_working_link(app, client, smtp, deliver, db):
    _register(client)
    member = db.session.scalar(select(Member).where(Member.username == "newcomer"))
    assert member.email_verified is False
    assert deliver()["sent"] == 1

    [message] = smtp.inbox.to("newcomer@example.net")
    assert message["Subject"] == "[Acme Community] Please verify your email address"
    assert message["From"] == "Acme <hello@example.org>"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Content-Language"] == "en"
    text, html = parts(message)
    assert "Please confirm that newcomer@example.net is your address" in text
    assert "<a href=\"https://community.example.org/email/verify/" in html
    [url] = [link for link in links(text) if "/email/verify/" in link]
    assert url in html  # the same absolute link in both parts

    # A scanner that only fetches the link changes nothing; the person presses the button.
    assert client.get(path_of(url)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Member, member.id).email_verified is False
    response = client.post(path_of(url))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, member.id).email_verified is True

    # Reused: a clear page, not an error.
    again = client.get(path_of(url))
    assert again.status_code == 410 and "used already" in again.get_data(as_text=True)


def test_a_chinese_member_gets_the_mail_in_simplified_chinese(app, client, smtp, deliver, db):
    _register(client, "xiaoming", "xiaoming@example.net", language="zh-CN")
    deliver()
    [message] = smtp.inbox.to("xiaoming@example.net")
    assert message["Content-Language"] == "zh-Hans"
    text, html = parts(message)
    assert "验证" in message["Subject"]
    assert "你好" in text and "你好" in html
    assert 'lang="zh-Hans"' in html


@pytest.mark.parametrize("damage", ["tampered", "truncated", "garbage"])
def test_tampered_verification_links_get_a_clear_page(client, smtp, deliver, damage):
    _register(client)
    deliver()
    [url] = [link for link in links(parts(smtp.inbox.messages[0])[0]) if "/email/verify/" in link]
    token = url.rsplit("/", 1)[1]
    bad = {"tampered": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
           "truncated": token[: len(token) // 2], "garbage": "not-a-token"}[damage]
    for method in (client.get, client.post):
        response = method(f"/email/verify/{bad}")
        assert response.status_code == 400
        assert "This link is not valid" in response.get_data(as_text=True)


def test_an_expired_verification_link_gets_a_clear_page(app, client, smtp, deliver, monkeypatch):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 4 * 24 * 3600)
    _register(client)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    deliver()
    [url] = [link for link in links(parts(smtp.inbox.messages[0])[0]) if "/email/verify/" in link]
    response = client.post(path_of(url))
    assert response.status_code == 410 and "This link has expired" in response.get_data(as_text=True)


def test_resending_the_verification_link_is_throttled(client, auth, make, smtp, deliver, db):
    member = make.member("waiting", email="waiting@example.net")
    auth.login(member)
    page = client.get("/settings")
    assert "not verified yet" in page.get_data(as_text=True)
    assert client.post("/settings/email/verify").status_code == 302
    assert len(queued(db, member_id=member.id, kind="verification")) == 1  # the registration's link, within the interval
    deliver()
    assert len(smtp.inbox.to("waiting@example.net")) == 1


# ---- password reset -------------------------------------------------------------------------

def _reset_link(smtp, address):
    [message] = [m for m in smtp.inbox.to(address) if "/password/reset/" in parts(m)[0]]
    text, html = parts(message)
    [url] = [link for link in links(text) if "/password/reset/" in link]
    assert url in html
    return message, url


@pytest.mark.parametrize("login_with", ["username", "email", "EMAIL in capitals"])
def test_forgot_password_by_username_or_email_mails_a_single_use_link(app, make, smtp, deliver, db, login_with):
    member = make.member("forgetful", email="forgetful@example.net")
    login = {"username": "forgetful", "email": "forgetful@example.net",
             "EMAIL in capitals": "Forgetful@Example.NET"}[login_with]
    client = app.test_client()
    response = client.post("/password/forgot", data={"login": login}, follow_redirects=True)
    assert "If an account matches" in response.get_data(as_text=True)
    db.session.query(Member).update({"email_verified_at": None})  # reset also proves the address
    deliver()
    message, url = _reset_link(smtp, "forgetful@example.net")
    assert "Choose a new password" in message["Subject"]
    assert "60 minutes" in parts(message)[0]

    page = client.get(path_of(url))
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post(path_of(url), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, member.id).email_verified is True
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": "forgetful", "password": NEW_PASSWORD}).status_code == 302

    # Used once: the link is spent, with a clear page for both GET and POST.
    for response in (client.get(path_of(url)),
                     client.post(path_of(url), data={"password": "another-secret-77", "confirm": "another-secret-77"})):
        assert response.status_code == 410 and "used already" in response.get_data(as_text=True)


def test_forgot_password_answers_the_same_whether_or_not_the_account_exists(app, make, smtp, deliver):
    make.member("realone", email="realone@example.net")
    answers = []
    for login in ("realone", "nobody-here", "nobody@example.net"):
        client = app.test_client()
        response = client.post("/password/forgot", data={"login": login})
        page = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"],
                        page.get_data(as_text=True).split("<main", 1)[1]))
    assert answers[0] == answers[1] == answers[2]
    deliver()
    assert [m["To"] for m in smtp.inbox.messages if "password" in m["Subject"]] == ["realone@example.net"]


def test_repeated_reset_requests_for_one_account_send_one_mail(app, make, smtp, deliver):
    make.member("victim", email="victim@example.net")
    for login in ("victim", "victim@example.net", "VICTIM"):
        response = app.test_client().post("/password/forgot", data={"login": login})
        assert response.status_code == 302
    deliver()
    assert len([m for m in smtp.inbox.to("victim@example.net") if "/password/reset/" in parts(m)[0]]) == 1


RATE_LIMIT_SCRIPT = textwrap.dedent("""
    import json, sys
    from application import create_app
    from community.extensions import db
    from tests import factories

    app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1], "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/rl.db",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        db.create_all()
        factories.member("someone")
    client = app.test_client()
    codes = [client.post("/password/forgot", data={"login": login}).status_code
             for login in ("someone", "nobody-1", "nobody-2", "nobody-3")]
    print(json.dumps(codes))
""")


def test_the_forgot_password_form_is_rate_limited(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", RATE_LIMIT_SCRIPT, str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [302, 302, 429, 429]


def test_resetting_the_password_ends_every_other_session(app, make, smtp, deliver):
    member = make.member("twodevices", email="twodevices@example.net")
    laptop = app.test_client()
    assert laptop.post("/login", data={"login": "twodevices", "password": PASSWORD, "remember": "y"}).status_code == 302
    assert laptop.get("/settings").status_code == 200
    phone = app.test_client()
    phone.post("/password/forgot", data={"login": "twodevices@example.net"})
    deliver()
    _message, url = _reset_link(smtp, "twodevices@example.net")
    assert phone.post(path_of(url), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert phone.get("/settings").status_code == 200  # the browser that reset is signed in
    response = laptop.get("/settings")  # the other session (and its remember-me cookie) is over
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert member.id


def test_an_expired_reset_link_gets_a_clear_page(app, make, smtp, deliver, monkeypatch):
    make.member("slowpoke", email="slowpoke@example.net")
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3601)
    app.test_client().post("/password/forgot", data={"login": "slowpoke"})
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    deliver()
    _message, url = _reset_link(smtp, "slowpoke@example.net")
    response = app.test_client().get(path_of(url))
    assert response.status_code == 410 and "This link has expired" in response.get_data(as_text=True)
    response = app.test_client().post(path_of(url), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410


def test_a_tampered_reset_link_changes_nothing(app, make, smtp, deliver, db):
    member = make.member("target", email="target@example.net")
    app.test_client().post("/password/forgot", data={"login": "target"})
    deliver()
    _message, url = _reset_link(smtp, "target@example.net")
    token = url.rsplit("/", 1)[1]
    payload, _sep, rest = token.partition(".")
    forged = "eyJtIjoxfQ." + rest  # another payload under the old signature
    for bad in (forged, token + "x", "x" * 3000):
        response = app.test_client().post(f"/password/reset/{bad}", data={"password": NEW_PASSWORD,
                                                                          "confirm": NEW_PASSWORD})
        assert response.status_code in (400, 404) and response.status_code != 500
    db.session.expire_all()
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": "target", "password": PASSWORD}).status_code == 302
    assert member.id


def test_a_weak_new_password_is_refused_on_the_form_and_the_link_stays_usable(app, make, smtp, deliver):
    make.member("careful", email="careful@example.net")
    client = app.test_client()
    client.post("/password/forgot", data={"login": "careful"})
    deliver()
    _message, url = _reset_link(smtp, "careful@example.net")
    response = client.post(path_of(url), data={"password": "short", "confirm": "short"})
    assert response.status_code == 422 and 'class="error"' in response.get_data(as_text=True)
    response = client.post(path_of(url), data={"password": NEW_PASSWORD, "confirm": "different-one-99"})
    assert response.status_code == 422 and "The two passwords differ" in response.get_data(as_text=True)
    assert client.post(path_of(url), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


# ---- changing the address -------------------------------------------------------------------

def test_changing_the_address_verifies_the_new_one_and_tells_the_old_one(app, client, auth, make, smtp, deliver, db):
    member = make.member("mover", email="old@example.net")
    auth.login(member)
    response = client.post("/settings/email", data={"email": "New@Example.net", "password": PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, member.id).email == "old@example.net"  # nothing changes before the link
    deliver()
    [confirm] = smtp.inbox.to("New@example.net")
    text, html = parts(confirm)
    [url] = [link for link in links(text) if "/email/change/" in link]
    assert url in html

    other_browser = app.test_client()  # the link works without signing in
    assert other_browser.get(path_of(url)).status_code == 200
    assert other_browser.post(path_of(url)).status_code == 302
    db.session.expire_all()
    moved = db.session.get(Member, member.id)
    assert moved.email == "New@example.net" and moved.email_key == "new@example.net" and moved.email_verified

    deliver()
    [notice] = [m for m in smtp.inbox.to("old@example.net") if "changed" in m["Subject"]]
    old_text, old_html = parts(notice)
    assert "changed from old@example.net to New@example.net" in old_text
    assert "https://community.example.org/password/forgot" in old_html
    reused = other_browser.post(path_of(url))
    assert reused.status_code == 410 and "used already" in reused.get_data(as_text=True)


def test_changing_the_address_needs_the_password_and_a_free_address(client, auth, make, db):
    make.member("holder", email="taken@example.net")
    member = make.member("mover2", email="mover2@example.net")
    auth.login(member)
    wrong = client.post("/settings/email", data={"email": "fresh@example.net", "password": "not-my-password"})
    assert wrong.status_code == 422 and "That is not your current password" in wrong.get_data(as_text=True)
    taken = client.post("/settings/email", data={"email": "TAKEN@example.net", "password": PASSWORD})
    assert taken.status_code == 422 and "exists already" in taken.get_data(as_text=True)
    bad = client.post("/settings/email", data={"email": "not an address", "password": PASSWORD})
    assert bad.status_code == 422
    assert queued(db, kind="email_change") == []
