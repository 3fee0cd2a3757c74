"""The language switcher in every page's footer: a guest's choice is a cookie, a member's their setting."""
from __future__ import annotations

from sqlalchemy import select

from community.extensions import db
from community.mail.models import MailMessage
from community.members.models import Member


def test_a_guest_switches_to_chinese_and_the_next_pages_stay_chinese(client, make):
    make.board("lounge", name="Lounge")
    response = client.post("/language", data={"language": "zh_CN", "next": "/latest?sort=new"},
                           headers={"Origin": "http://localhost"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/latest?sort=new")
    assert "lang=zh_CN" in response.headers["Set-Cookie"]
    for url in ("/latest", "/", "/roadmap"):
        page = client.get(url).get_data(as_text=True)
        assert '<html lang="zh-CN">' in page and "最新" in page, url
    client.post("/language", data={"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_the_cookie_wins_over_the_browser_and_a_members_setting_over_both(client, auth, make):
    client.set_cookie("lang", "en")
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    member = make.member("reader", locale="zh_CN")
    auth.login(member)
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_a_member_switching_saves_it_as_their_setting(app, client, auth, make):
    member = make.member("reader")
    auth.login(member)
    client.post("/language", data={"language": "zh_CN", "next": "/settings"})
    db.session.expire_all()
    assert db.session.get(Member, member.id).locale == "zh_CN"
    other = app.test_client()  # another browser, no cookie: the setting follows the member
    other.post("/login", data={"login": "reader", "password": make.PASSWORD})
    assert '<html lang="zh-CN">' in other.get("/latest").get_data(as_text=True)


def test_a_members_switch_needs_the_csrf_token(app, client, auth, make):
    member = make.member("reader")
    auth.login(member)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/language", data={"language": "zh_CN"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Member, member.id).locale is None


def test_another_site_cannot_switch_a_guests_language(client):
    response = client.post("/language", data={"language": "zh_CN"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 400 and "lang=" not in response.headers.get("Set-Cookie", "")
    response = client.post("/language", data={"language": "zh_CN"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 400


def test_the_switch_never_redirects_off_the_site_and_refuses_unknown_languages(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/language", data={"language": "en", "next": target})
        assert response.status_code == 302 and response.headers["Location"] in ("/", "http://localhost/"), target
    assert client.post("/language", data={"language": "fr"}).status_code == 400
    assert client.post("/language", data={"language": "\x00"}).status_code == 400


def test_the_guest_page_cache_keeps_serving_pages_with_the_switcher(app, client, make):
    """The switcher puts no CSRF token in a guest's page, so thread pages stay shareable."""
    thread = make.thread()
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    footer = page[page.index('<footer class="site-footer">'):]
    assert 'action="/language"' in footer and "csrf_token" not in footer


def test_mails_follow_the_language_a_member_switched_to(app, client, auth, make):
    member = make.member("reader")
    auth.login(member)
    client.post("/language", data={"language": "zh_CN", "next": "/"})
    auth.logout()
    browser = app.test_client()  # an English browser asks for the reset: the mail still goes out in Chinese
    browser.set_cookie("lang", "en")
    browser.post("/password/forgot", data={"login": "reader"})
    mail = db.session.scalars(select(MailMessage).where(MailMessage.to_address == "reader@example.com")
                              .order_by(MailMessage.id.desc())).first()  # the newest: the reset mail
    assert mail.locale == "zh_CN" and any("\u4e00" <= ch <= "\u9fff" for ch in mail.subject)
