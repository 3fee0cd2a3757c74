"""New members' first posts wait for approval; the same text twice is refused; the registration honeypot."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community.forum.models import Board, Post, Thread
from community.members.models import Member
from community.moderation.models import ReviewItem
from community.notifications.models import Notification

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def approval(app):
    app.config["MODERATION_APPROVE_FIRST_POSTS"] = 1
    yield
    app.config["MODERATION_APPROVE_FIRST_POSTS"] = 0


def test_a_new_members_first_post_waits_for_approval(approval, make, login, mod, client, db):
    board = make.board(slug="help")
    thread = make.thread(board=board)
    newbie = login(make.member("newbie"))
    assert newbie.post(f"/t/{thread.id}/reply", data={"body": "Hello, my first post!"}).status_code == 302
    assert "Hello, my first post!" not in client.get(f"/t/{thread.id}").get_data(as_text=True)
    own = newbie.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Hello, my first post!" in own and "waiting for a moderator" in own
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).reply_count == 0 and db.session.get(Board, board.id).post_count == 1
    item = db.session.scalar(select(ReviewItem))
    assert "Hello, my first post!" in login(mod).get("/review").get_data(as_text=True)
    login(mod).post(f"/review/{item.id}", data={"outcome": "approved"})
    assert "Hello, my first post!" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).reply_count == 1 and db.session.get(Board, board.id).post_count == 2
    # the thread's author hears of the reply once it is published
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.member_id == thread.author_id, Notification.kind == "reply")) == 1
    # the second post goes straight out
    newbie.post(f"/t/{thread.id}/reply", data={"body": "And my second one."})
    assert "And my second one." in client.get(f"/t/{thread.id}").get_data(as_text=True)


def test_a_rejected_thread_never_appears(approval, make, login, mod, client, db):
    make.board(slug="help")
    newbie = login(make.member("newbie"))
    newbie.post("/b/help/new", data={"title": "Cheap pills online", "body": "Buy now"})
    assert "Cheap pills online" not in client.get("/b/help").get_data(as_text=True)
    assert "Cheap pills online" not in client.get("/latest").get_data(as_text=True)
    item = db.session.scalar(select(ReviewItem))
    login(mod).post(f"/review/{item.id}", data={"outcome": "rejected"})
    assert "Cheap pills online" not in client.get("/b/help").get_data(as_text=True)
    db.session.expire_all()
    board = db.session.scalar(select(Board))
    assert (board.thread_count, board.post_count) == (0, 0)
    assert db.session.scalar(select(Member).where(Member.username == "newbie")).post_count == 0


def test_the_same_text_twice_within_minutes_is_refused(make, login, db):
    thread = make.thread()
    client = login(make.member("echo"))
    assert client.post(f"/t/{thread.id}/reply", data={"body": "Same words here"}).status_code == 302
    response = client.post(f"/t/{thread.id}/reply", data={"body": "Same words here"})
    assert response.status_code == 422 and "exactly this a moment ago" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Post).where(Post.body_source == "Same words here")) == 1


def test_posting_too_fast_is_refused_when_rate_limits_are_on(app, make, login, db):
    thread = make.thread()
    client = login(make.member("speedy"))
    app.config["RATELIMIT_ENABLED"] = True
    try:
        assert client.post(f"/t/{thread.id}/reply", data={"body": "First quick reply"}).status_code == 302
        response = client.post(f"/t/{thread.id}/reply", data={"body": "Second quick reply"})
        assert response.status_code == 422 and "post again in" in response.get_data(as_text=True)
        board = db.session.get(Thread, thread.id).board.slug
        assert client.post(f"/b/{board}/new", data={"title": "My first own thread",
                                                     "body": "Opening words"}).status_code == 302
        response = client.post(f"/b/{board}/new", data={"title": "My second own thread", "body": "More words"})
        assert response.status_code == 422 and "start a new thread in" in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(Thread)) == 2
    finally:
        app.config["RATELIMIT_ENABLED"] = False


def test_the_registration_honeypot_turns_bots_away(client, db):
    response = client.post("/register", data={"username": "botty", "email": "bot@example.com",
                                              "password": "a-long-enough-pass-9", "website": "http://spam"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0
    ok = client.post("/register", data={"username": "human", "email": "human@example.com",
                                        "password": "a-long-enough-pass-9", "website": ""})
    assert ok.status_code == 302


RATE_LIMIT_SCRIPT = textwrap.dedent("""
    import json, sys
    from application import create_app
    from community.extensions import db
    from community.members.models import Member
    from tests import factories

    app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1], "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/rl.db",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "MODERATION_FLAG_LIMIT": "2 per minute",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        db.create_all()
        thread = factories.thread()
        ids = [factories.post(thread, body=f"reply number {i}").id for i in range(3)]
        flagger = factories.member("eager")
        flagger.trust_level, flagger.trust_level_locked = 1, True
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"login": "eager", "password": factories.PASSWORD})
    codes = [client.post(f"/p/{i}/flag", data={"reason": "spam"}).status_code for i in ids]
    print(json.dumps(codes))
""")


def test_flagging_is_rate_limited_per_member(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", RATE_LIMIT_SCRIPT, str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [302, 302, 429]
