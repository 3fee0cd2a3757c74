"""New members' limits: links, images and mentions per post, posts per day; basic members and
moderators are not held to them; limits from config."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from community.dbtypes import utcnow
from community.forum.models import Board, Post, Thread
from community.members.models import Role
from tests.community.trust.conftest import at_level, links, post_count

# ---- new members' limits ---------------------------------------------------------------------

def test_new_member_reply_with_too_many_links_is_refused_and_nothing_saved(client, auth, make, db):
    thread = make.thread()
    auth.login(make.member("fresh"))
    before = post_count(db)
    response = client.post(f"/t/{thread.id}/reply", data={"body": links(3)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "At your trust level a post may contain at most 2 links; this one has 3." in page
    assert "https://example.com/2" in page  # what was typed is kept in the form
    assert post_count(db) == before
    assert client.post(f"/t/{thread.id}/reply", data={"body": links(2)}).status_code == 302


def test_new_member_thread_with_too_many_images_or_mentions_is_refused(client, auth, make, db):
    board = make.board(slug="talk")
    for name in ("ann", "bob", "cyd"):
        make.member(name)
    auth.login(make.member("fresh"))
    images = "![a](https://example.com/a.png) ![b](https://example.com/b.png)"
    response = client.post("/b/talk/new", data={"title": "Two pictures here", "body": images})
    assert response.status_code == 422
    assert "may contain at most 1 images; this one has 2" in response.get_data(as_text=True)
    response = client.post("/b/talk/new", data={"title": "Hello to three", "body": "@ann @bob @cyd hi"})
    assert response.status_code == 422
    assert "may mention at most 2 members; this one mentions 3" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 0
    assert db.session.get(Board, board.id).thread_count == 0


def test_editing_into_too_many_links_is_refused_and_the_post_unchanged(client, auth, make, db):
    member = make.member("editor")
    thread = make.thread(author=member, body="Plain text.")
    auth.login(member)
    response = client.post(f"/p/{thread.id}/edit", data={"body": links(5), "title": thread.title})
    assert response.status_code == 422 and "at most 2 links" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Post, thread.id).body_source == "Plain text."


def test_basic_members_and_moderators_are_not_held_to_new_member_limits(client, auth, make, db):
    thread = make.thread()
    auth.login(at_level(db, make.member("basic"), 1))
    assert client.post(f"/t/{thread.id}/reply", data={"body": links(5)}).status_code == 302
    auth.logout()
    auth.login(make.member("mod", role=Role.moderator))
    assert client.post(f"/t/{thread.id}/reply", data={"body": links(5)}).status_code == 302


def test_new_member_daily_post_limit(client, auth, make, db):
    member = make.member("busy")
    thread = make.thread()
    for _n in range(9):
        make.post(thread, author=member)  # operator-made posts (no request) are not limited
    auth.login(member)
    assert client.post(f"/t/{thread.id}/reply", data={"body": "Number ten."}).status_code == 302
    before = post_count(db)
    response = client.post(f"/t/{thread.id}/reply", data={"body": "Number eleven."})
    assert response.status_code == 422
    assert "you may write 10 posts a day" in response.get_data(as_text=True)
    assert post_count(db) == before
    db.session.execute(update(Post).where(Post.author_id == member.id)
                       .values(created_at=utcnow() - timedelta(days=1, minutes=1)))
    db.session.commit()
    assert client.post(f"/t/{thread.id}/reply", data={"body": "A new day."}).status_code == 302


def test_limits_and_privilege_levels_come_from_config_also_as_json(app, client, auth, make, db):
    thread = make.thread()
    saved = {key: app.config[key] for key in ("TRUST_POST_CONTENT_LIMITS", "TRUST_POSTS_PER_DAY",
                                              "TRUST_RETAG_MIN_LEVEL")}
    app.config.update(TRUST_POST_CONTENT_LIMITS={"1": {"links": 0}}, TRUST_POSTS_PER_DAY={"1": 1},
                      TRUST_RETAG_MIN_LEVEL=1)
    try:
        auth.login(at_level(db, make.member("basic"), 1))
        response = client.post(f"/t/{thread.id}/reply", data={"body": links(1)})
        assert response.status_code == 422 and "at most 0 links" in response.get_data(as_text=True)
        assert client.post(f"/t/{thread.id}/reply", data={"body": "No links."}).status_code == 302
        assert "posts a day" in client.post(f"/t/{thread.id}/reply", data={"body": "Again."}).get_data(as_text=True)
        assert client.post(f"/t/{thread.id}/tags", data={"tags": "configured"}).status_code == 302
    finally:
        app.config.update(saved)
