"""Display names cannot imitate the team or hide text direction tricks (issue 13, item 10)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.extensions import db
from community.members.models import Member
from community.members.services import update_profile


def _settings(client, name):
    return client.post("/settings", data={"form": "profile", "profile-display_name": name, "profile-bio": "",
                                          "profile-locale": ""})


@pytest.fixture
def grace(make):
    staff = make.member("grace.liu", role="staff")
    update_profile(staff, display_name="Grace Liu", bio="", locale=None)
    admin = make.member("boss", role="admin")
    update_profile(admin, display_name="Dana Whitfield", bio="", locale=None)
    db.session.commit()
    return staff


@pytest.mark.parametrize("name", [
    "Grace Liu", "grace  liu", "GRACE-LIU", "Grace L\u0456u",  # Cyrillic і
    "Gr\u0430ce Liu",  # Cyrillic а
    "Grace\u200b Liu", "\u202eGrace Liu", "Ｇｒａｃｅ Ｌｉｕ",  # zero-width, RTL override, full-width
    "Dana Whitfield", "dana.whitfield", "D4na Wh1tfield",  # the admin's own display name
    "Bob (Acme)", "Acme Support", "Bob [Staff]", "Official Bob", "Admin",
])
def test_a_member_cannot_take_a_team_name_or_the_brand(client, auth, make, db, grace, name):
    member = make.member("bob")
    auth.login(member)
    response = _settings(client, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "kept for the team" in page or "belongs to a member of the team" in page
    db.session.expire_all()
    assert db.session.get(Member, member.id).display_name == ""


def test_ordinary_names_are_fine_and_keep_their_letters(client, auth, make, db, grace):
    member = make.member("bob")
    auth.login(member)
    for name in ("Grace Lim", "李华", "Badminton fan", "Zoë Müller"):
        assert _settings(client, name).status_code == 302, name
        db.session.expire_all()
        assert db.session.get(Member, member.id).display_name == name


def test_bidi_controls_and_invisible_characters_are_stripped(client, auth, make, db):
    member = make.member("trickster")
    auth.login(member)
    name = "\u202eevil\u202c \u2066Name\u2069\u200e\u200f\u061c\u200d\u2060\ufeff\u00ad\u3164"
    assert _settings(client, name).status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, member.id).display_name == "evil Name"
    page = client.get("/u/trickster").get_data(as_text=True)
    assert "\u202e" not in page and "\u200d" not in page


def test_names_stored_before_the_fix_are_shown_clean(client, make, db):
    member = make.member("oldtimer")
    member.display_name = "Old\u202e Timer\u200b"
    db.session.commit()
    assert "Old Timer" in client.get("/u/oldtimer").get_data(as_text=True)
    assert "\u202e" not in client.get("/u/oldtimer").get_data(as_text=True)


def test_registration_refuses_usernames_that_imitate_the_team(client, db, grace):
    for username in ("grace_liu", "GraceLiu", "acme_support", "staff", "boss"):
        response = client.post("/register", data={"username": username, "email": f"{username}@example.net",
                                                  "password": "a-long-unusual-pass-7"})
        assert response.status_code == 422, username
    assert db.session.scalar(select(Member).where(Member.username == "grace_liu")) is None


def test_the_api_refuses_usernames_that_imitate_the_team(client, db, grace):
    response = client.post("/api/v1/members", json={"username": "grace-liu", "email": "gl@example.net",
                                                     "password": "a-long-unusual-pass-7"})
    assert response.status_code == 422
    assert "username" in response.get_json()["error"]["fields"]


def test_staff_carry_a_badge_from_their_role_that_a_name_cannot_fake(client, make, grace):
    thread = make.thread()
    make.post(thread, author=grace, body="Staff answer here.")
    impostor = make.member("impostor")
    make.post(thread, author=impostor, body="Member reply here.")
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    staff_post = page[page.index("Staff answer here.") - 3000:page.index("Staff answer here.")]
    member_post = page[page.index("Member reply here.") - 3000:page.index("Member reply here.")]
    assert 'class="badge badge-team"' in staff_post.split('<article')[-1]
    assert 'class="badge badge-team"' not in member_post.split('<article')[-1]
    profile = client.get("/u/grace.liu").get_data(as_text=True)
    assert ">Staff<" in profile
    assert ">Staff<" not in client.get("/u/impostor").get_data(as_text=True)
