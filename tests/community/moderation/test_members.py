"""Silence and suspension: what the member notices, sessions ending, lifting early, who may act on whom."""
from flask_babel import format_datetime
from sqlalchemy import func, select

from community.forum.models import Post
from community.members.models import Member
from community.moderation.models import ModerationAction
from tests import factories
from tests.conftest import Auth

JSON = {"Accept": "application/json"}


def test_a_silenced_member_reads_but_cannot_post_and_is_told_why(make, login, mod, db):
    thread = make.thread()
    loud = make.member("loud")
    client = login(loud)
    response = login(mod).post("/u/loud/silence", data={"days": "2", "reason": "Shouting at newcomers"})
    assert response.status_code == 302
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Shouting at newcomers" in page and 'id="reply"' not in page
    assert client.post(f"/t/{thread.id}/reply", data={"body": "LET ME SPEAK"}).status_code == 403
    assert client.get("/notifications").get_data(as_text=True).count("Shouting at newcomers") == 1
    assert "Shouting at newcomers" in client.get("/u/loud").get_data(as_text=True)
    login(mod).post("/u/loud/unsilence", data={"reason": "Apologised"})
    assert client.post(f"/t/{thread.id}/reply", data={"body": "Sorry, everyone."}).status_code == 302


def test_silence_needs_a_reason_and_a_duration(make, login, mod, db):
    make.member("quiet")
    moderator = login(mod)
    assert moderator.post("/u/quiet/silence", data={"days": "2", "reason": ""}, headers=JSON).status_code == 422
    assert moderator.post("/u/quiet/silence", data={"days": "forever", "reason": "x"}, headers=JSON).status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(Member).where(Member.username == "quiet")).silenced_until is None


def test_suspension_ends_every_session_and_refuses_sign_in_with_the_reason(app, make, login, mod, db):
    gone = make.member("gone")
    first, second = login(gone), app.test_client()
    Auth(second).login(gone, remember=True)
    assert first.get("/settings").status_code == 200
    login(mod).post("/u/gone/suspend", data={"days": "7", "reason": "Repeated spam"})
    assert first.get("/settings").status_code == 302 and second.get("/settings").status_code == 302
    third = app.test_client()
    response = third.post("/login", data={"login": "gone", "password": factories.PASSWORD})
    assert response.status_code == 422 and "Repeated spam" in response.get_data(as_text=True)
    login(mod).post("/u/gone/unsuspend")
    assert third.post("/login", data={"login": "gone", "password": factories.PASSWORD}).status_code == 302


def test_moderators_may_not_act_on_admins_but_admins_may_act_on_moderators(make, login, mod, db):
    make.member("boss", role="admin")
    moderator = login(mod)
    assert moderator.post("/u/boss/suspend", data={"days": "1", "reason": "Coup"}).status_code == 403
    assert moderator.post("/u/boss/silence", data={"days": "1", "reason": "Coup"}).status_code == 403
    admin = login(db.session.scalar(select(Member).where(Member.username == "boss")))
    assert admin.post("/u/mona/silence", data={"days": "1", "reason": "Cool off"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, mod.id).silenced_until is not None
    assert db.session.scalar(select(Member).where(Member.username == "boss")).suspended_until is None


def test_members_and_staff_cannot_silence_or_suspend_by_crafting_requests(make, login, db):
    make.member("victim")
    for role in ("member", "staff"):
        client = login(make.member(f"some{role}", role=role))
        for action in ("silence", "suspend", "unsilence", "unsuspend"):
            assert client.post(f"/u/victim/{action}", data={"days": "1", "reason": "x"}).status_code == 403
    assert db.session.scalar(select(ModerationAction)) is None


def test_a_silenced_members_post_is_refused_with_the_reason_and_their_text_kept(app, make, login, mod, db):
    board = make.board(slug="talk")
    thread = make.thread(board=board)
    loud = make.member("loud")
    client = login(loud)
    login(mod).post("/u/loud/silence", data={"days": "3", "reason": "Shouting at newcomers"})
    db.session.expire_all()
    with app.test_request_context():
        until = format_datetime(db.session.get(Member, loud.id).silenced_until, "short")

    response = client.post(f"/t/{thread.id}/reply", data={"body": "My carefully written reply"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You are silenced until" in page and "Shouting at newcomers" in page and until in page
    assert "My carefully written reply" in page and "<textarea" in page

    response = client.post("/b/talk/new", data={"title": "A thread I wrote at length", "body": "Long body text here"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Shouting at newcomers" in page and "You are silenced until" in page
    assert "A thread I wrote at length" in page and "Long body text here" in page
    assert "Only staff start threads" not in page

    got = client.post(f"/t/{thread.id}/reply", data={"body": "again"}, headers={"Accept": "application/json"})
    assert got.status_code == 403
    assert got.get_json()["error"]["code"] == "silenced" and "Shouting at newcomers" in got.get_json()["error"]["message"]
    assert "Shouting at newcomers" in client.get(f"/t/{thread.id}/reply").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Post).where(Post.author_id == loud.id)) == 0
