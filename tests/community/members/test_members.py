"""Registering, signing in and out, profiles, settings and the language a member reads in."""
import pytest
from sqlalchemy import func, select

from community.mail.models import MailMessage
from community.members.models import Member
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD


def register(client, username="newbie", email="newbie@example.com", password="a-long-unusual-pass-7"):
    return client.post("/register", data={"username": username, "email": email, "password": password})


def test_register_signs_in_and_hashes_with_argon2id(client, db):
    response = register(client)
    assert response.status_code == 302
    assert "newbie" in client.get("/").get_data(as_text=True)  # header shows the member
    member = db.session.scalar(select(Member).where(Member.username == "newbie"))
    assert member.password_hash.startswith("$argon2id$")
    assert "a-long-unusual-pass-7" not in member.password_hash


def test_usernames_are_unique_ignoring_case(client, make):
    make.member("alice", email="alice@example.com")
    response = register(client, username="Alice", email="other@example.com")
    assert response.status_code == 422
    assert "taken" in response.get_data(as_text=True)


def test_registration_does_not_tell_that_an_email_exists_and_mails_its_owner(app, client, make, db):
    make.member("alice", email="alice@example.com")
    fresh = register(app.test_client(), username="brandnew", email="brandnew@example.com")
    probe = register(client, username="someone", email="ALICE@Example.com")
    assert (probe.status_code, probe.headers["Location"]) == (fresh.status_code, fresh.headers["Location"]) == (302, "/")
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, someone! Your account is ready." in page
    assert "exists already" not in page
    assert db.session.scalar(select(Member).where(Member.username == "someone")) is None  # nothing was created
    mails = db.session.scalars(select(MailMessage).where(MailMessage.to_address == "alice@example.com",
                                                         MailMessage.kind == "registration_attempt")).all()
    assert len(mails) == 1
    assert "tried to create a new account" in mails[0].text_body and "/password/forgot" in mails[0].text_body
    register(app.test_client(), username="someone2", email="alice@example.com")  # again: no second mail at once
    assert db.session.scalar(select(func.count()).select_from(MailMessage)
                             .where(MailMessage.kind == "registration_attempt")) == 1


@pytest.mark.parametrize("password,message", [
    ("short", "at least 8 characters"),
    ("password123", "too common"),
    ("qwertyuiop", "too common"),
])
def test_weak_passwords_are_refused_with_a_reason(client, db, password, message):
    response = register(client, password=password)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Member).where(Member.username == "newbie")) is None


@pytest.mark.parametrize("data,field_message", [
    ({"username": "a", "email": "a@example.com"}, "3 to 20 letters"),
    ({"username": "bad name!", "email": "a@example.com"}, "3 to 20 letters"),
    ({"username": "fine_name", "email": "not-an-email"}, "not a valid email"),
    ({"username": "admin", "email": "a@example.com"}, "reserved"),
])
def test_registration_form_errors_are_shown_inline(client, data, field_message):
    response = client.post("/register", data={**data, "password": "a-long-unusual-pass-7"})
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)


def test_sign_in_with_username_or_email_any_case_and_sign_out(client, make):
    make.member("carol", email="carol@example.com")
    for login in ("carol", "CAROL", "Carol@Example.com"):
        response = client.post("/login", data={"login": login, "password": PASSWORD})
        assert response.status_code == 302, login
        assert "Sign out" in client.get("/").get_data(as_text=True)
        client.post("/logout")
        assert "Sign out" not in client.get("/").get_data(as_text=True)


def test_wrong_password_gets_one_vague_message(client, make):
    make.member("dave")
    for login in ("dave", "nobody-here"):
        response = client.post("/login", data={"login": login, "password": "wrong-password-1"})
        assert response.status_code == 422
        assert "do not match" in response.get_data(as_text=True)


def test_remember_me_sets_a_lasting_cookie(client, make):
    make.member("erin")
    response = client.post("/login", data={"login": "erin", "password": PASSWORD, "remember": "y"})
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_login_next_only_goes_to_this_site(client, make):
    make.member("fred")
    response = client.post("/login?next=https://evil.example/", data={"login": "fred", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/latest", data={"login": "fred", "password": PASSWORD})
    assert response.headers["Location"] == "/latest"


def test_profile_shows_name_join_date_posts_and_reputation(client, make):
    gina = make.member("gina", display_name="Gina Li")
    make.thread(author=gina, title="Gina's first thread here")
    page = client.get("/u/GINA").get_data(as_text=True)
    assert "Gina Li" in page and "Joined" in page and "Reputation" in page
    assert "Gina&#39;s first thread here" in page
    assert client.get("/u/nobody").status_code == 404


def test_profile_hides_threads_from_boards_the_reader_cannot_see(client, make):
    hank = make.member("hank")
    make.thread(author=hank, board=make.board(visibility="members"), title="Members only musings")
    assert "Members only musings" not in client.get("/u/hank").get_data(as_text=True)


def test_settings_change_profile_and_language(client, auth, make, db):
    ivy = make.member("ivy")
    auth.login(ivy)
    response = client.post("/settings", data={"form": "profile", "profile-display_name": "Ivy 王",
                                              "profile-bio": "Loves routers", "profile-locale": "zh_CN"})
    assert response.status_code == 302
    page = client.get("/settings").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "设置" in page
    assert "Ivy 王" in client.get("/u/ivy").get_data(as_text=True)


def test_password_change_needs_old_password_and_ends_other_sessions(app, make):
    make.member("jack")
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        assert device.post("/login", data={"login": "jack", "password": PASSWORD}).status_code == 302
    wrong = laptop.post("/settings", data={"form": "password", "password-old_password": "nope-nope-1",
                                           "password-new_password": "brand-new-secret-42"})
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    ok = laptop.post("/settings", data={"form": "password", "password-old_password": PASSWORD,
                                        "password-new_password": "brand-new-secret-42"})
    assert ok.status_code == 302
    assert "Sign out" in laptop.get("/").get_data(as_text=True)  # this session goes on
    assert "Sign out" not in phone.get("/").get_data(as_text=True)  # the other one ended
    assert phone.post("/login", data={"login": "jack", "password": "brand-new-secret-42"}).status_code == 302


@pytest.mark.parametrize("header,expected", [("zh-CN,zh;q=0.9,en;q=0.8", "登录"), ("en-US,en;q=0.9", "Sign in"),
                                             ("fr-FR", "Sign in")])
def test_guests_get_the_language_their_browser_asks_for(client, header, expected):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert expected in page


def test_member_setting_beats_the_browser(client, auth, make):
    auth.login(make.member("kim", locale="en"))
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Sign out" in page


def test_forms_reject_a_wrong_csrf_token_with_a_clear_message(app, client, make):
    app.config["WTF_CSRF_ENABLED"] = True
    make.member("lee")
    page = client.get("/login").get_data(as_text=True)
    token = csrf_token_from(page)
    bad = client.post("/login", data={"login": "lee", "password": PASSWORD, "csrf_token": "forged"})
    assert bad.status_code == 400 and "reload the page" in bad.get_data(as_text=True)
    good = client.post("/login", data={"login": "lee", "password": PASSWORD, "csrf_token": token})
    assert good.status_code == 302
    assert client.post("/logout").status_code == 400  # signing out is a state change too
