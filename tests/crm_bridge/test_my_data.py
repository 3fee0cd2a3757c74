"""My data (/me/data, /me/data.json): complete, and never a window on content the member may not read."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from community.api import services as api_services
from community.extensions import db as _db
from community.forum.models import Post
from community.mail import preferences as mail
from community.members.models import Role
from community.moderation.thread_tools import move_thread
from community.rewards import services as rewards
from crm_bridge.contacts import import_contacts
from tests.conftest import Auth
from tests.crm_bridge.test_contacts import verify


@pytest.fixture
def login(app):
    def sign_in(member):
        client = app.test_client()
        Auth(client).login(member)
        return client
    return sign_in


@pytest.fixture
def ivy(make):
    """The member whose data these tests read."""
    return make.member("ivy")


@pytest.fixture
def me(login, ivy):
    """Ivy, signed in on a client of her own."""
    return login(ivy)


@pytest.fixture
def sam(make):
    """A staff member, who answers Ivy and reads her CRM profile."""
    return make.member("sam", role=Role.staff)


@pytest.fixture
def staff(login, sam):
    """Sam, signed in on a client of his own."""
    return login(sam)


def _my_data(client) -> tuple[str, str]:
    page, download = client.get("/me/data"), client.get("/me/data.json")
    assert page.status_code == 200 and download.status_code == 200
    return page.get_data(as_text=True), download.get_data(as_text=True)


def test_a_staff_whisper_in_my_own_thread_never_reaches_my_data(make, ivy, me, staff):
    thread = make.thread(author=ivy, title="Router keeps rebooting")
    assert staff.post(f"/t/{thread.id}/reply", data={"body": "Internal: WHISPERMARK ticket 4411",
                                                      "whisper": "y"}).status_code == 302
    assert staff.post(f"/t/{thread.id}/reply", data={"body": "Please try firmware PUBLICMARK 2.1"}).status_code == 302
    assert "WHISPERMARK" not in me.get(f"/t/{thread.id}").get_data(as_text=True)
    page, download = _my_data(me)
    assert "WHISPERMARK" not in page and "WHISPERMARK" not in download
    # the public staff answer is hers to see, in both
    assert "PUBLICMARK" in page and "PUBLICMARK" in download
    kinds = [e["kind"] for e in json.loads(download)["timeline"]]
    assert kinds.count("staff_reply") == 1
    # staff still have the full record on the CRM profile
    assert "WHISPERMARK" in staff.get("/crm/members/ivy").get_data(as_text=True)


def test_a_staff_reply_in_a_thread_moved_to_the_staff_board_disappears_from_my_data(make, ivy, me, staff):
    thread = make.thread(author=ivy, title="MOVEDTITLE warranty question", body="My own words about the warranty.")
    staff_board = make.board("internal", visibility="staff")
    assert staff.post(f"/t/{thread.id}/reply", data={"body": "Escalated: MOVEDMARK refund approved"}).status_code == 302
    page, download = _my_data(me)
    assert "MOVEDMARK" in download  # before the move she could read it
    admin = make.member("ada", role=Role.admin)
    move_thread(admin, thread, staff_board)
    _db.session.commit()
    assert me.get(f"/t/{thread.id}").status_code == 404
    page, download = _my_data(me)
    for marker in ("MOVEDMARK", "MOVEDTITLE"):
        assert marker not in page and marker not in download, marker
    # her own text stays hers: the post is listed, without the thread she can no longer read
    posts = json.loads(download)["posts"]
    assert [p["body"] for p in posts] == ["My own words about the warranty."] and posts[0]["thread"] is None


def test_a_hidden_staff_reply_disappears_from_my_data(make, login, ivy, me, sam):
    thread = make.thread(author=ivy)
    make.post(thread, author=sam, body="Wrong customer: HIDDENMARK order 77")
    post = _db.session.scalar(select(Post).where(Post.body_source.like("%HIDDENMARK%")))
    mod = login(make.member("mona", role=Role.moderator))
    assert mod.post(f"/p/{post.id}/hide", data={"reason": "wrong customer"}).status_code in (302, 200)
    page, download = _my_data(me)
    assert "HIDDENMARK" not in page and "HIDDENMARK" not in download


def test_my_data_is_complete(make, login, sam):
    ivy = make.member("ivy", email="ivy@acme.example", display_name="Ivy Chen")
    verify(ivy)
    import_contacts("id,email,name,company,phone\nC9,ivy@acme.example,Ivy Chen-Li,Acme Routers Ltd,+44 20 7946 0958\n")
    thread = make.thread(author=ivy, title="Dark mode please", body="Opening words of FULLTEXT " + "x" * 400)
    make.post(thread, author=make.member("pat"), body="Yes please, @ivy")  # a mention: a notification
    rewards.grant_points(sam, ivy, 120, "Meetup host")
    mail.set_preferences(ivy, ["mention"], "weekly")
    api_services.create_personal_token(ivy, "my script", ["read"])
    _db.session.commit()
    me = login(ivy)
    page, download = _my_data(me)
    data = json.loads(download)
    assert data["contacts"][0] | {"status": None} == {"external_id": "C9", "name": "Ivy Chen-Li",
                                                       "company": "Acme Routers Ltd", "phone": "+44 20 7946 0958",
                                                       "email": "ivy@acme.example", "status": None}
    for shown in ("Ivy Chen-Li", "Acme Routers Ltd", "+44 20 7946 0958", "Meetup host"):
        assert shown in page, shown
    assert data["posts"][0]["body"].endswith("x" * 400) and "x" * 400 in page  # full text, not an excerpt
    assert [n["actor"] for n in data["notifications"] if n["kind"] == "mention"] == ["pat"]
    assert [(e["delta"], e["reason"], e["note"]) for e in data["points_history"]] == [(120, "staff_grant", "Meetup host")]
    assert isinstance(data["reputation_history"], list)
    assert data["mail_preferences"] == {"kinds": ["mention"], "digest": "weekly"}
    assert [t["name"] for t in data["tokens"]] == ["my script"]


def test_my_data_lists_tokens_without_their_secrets(client, auth, ivy):
    token, secret = api_services.create_personal_token(ivy, "backup script", ["read"])
    _db.session.commit()
    auth.login(ivy)
    download = client.get("/me/data.json").get_data(as_text=True)
    page = client.get("/me/data").get_data(as_text=True)
    tokens = json.loads(download)["tokens"]
    assert [t["name"] for t in tokens] == ["backup script"] and tokens[0]["scopes"] == ["read"]
    assert "backup script" in page
    for text in (download, page):
        assert secret not in text and token.token_hash not in text and token.prefix not in text


def test_personal_data_is_never_cached(client, auth, ivy):
    auth.login(ivy)
    for url in ("/me/data", "/me/data.json", "/api/v1/me"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers.get("Cache-Control") == "private, no-store", url


def test_staff_crm_timeline_stops_showing_a_post_its_author_deleted(make, ivy, me, staff):
    thread = make.thread(author=ivy)
    post = make.post(thread, author=ivy, body="My serial number is DELETEDMARK-9931, oops")
    profile_id = next(p["id"] for p in staff.get("/api/v1/crm/profiles").get_json()["items"]
                      if p["member"]["username"] == "ivy")
    assert "DELETEDMARK" in staff.get("/crm/members/ivy").get_data(as_text=True)
    assert me.post(f"/p/{post.id}/delete").status_code in (200, 302)
    assert "DELETEDMARK" not in staff.get("/crm/members/ivy").get_data(as_text=True)
    timeline = staff.get(f"/api/v1/crm/profiles/{profile_id}/timeline").get_data(as_text=True)
    assert "DELETEDMARK" not in timeline, timeline
    assert "\"replied\"" in timeline, [i["kind"] for i in json.loads(timeline)["items"]]  # the event stays, not its text
