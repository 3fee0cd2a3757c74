"""Who may vote on what: never on one's own post, guests asked to sign in, bad values refused, posts not
there or not visible not found, deleted posts closed to votes, closed threads still open to them."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from community.dbtypes import utcnow
from community.forum import services as forum
from community.forum.models import Post, Thread
from community.members.models import Role
from tests.community.votes.conftest import JSON, fresh, score_on_page, vote_rows

# ---- who may vote ----------------------------------------------------------------------------

def test_nobody_votes_on_their_own_post(client, auth, make, db):
    author = make.member("self_voter")
    thread = make.thread(author=author)
    reply = make.post(thread, author=author)
    auth.login(author)
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 403
    assert response.get_json()["error"] == {"code": "forbidden", "message": "You cannot vote on your own posts."}
    # without JavaScript: back to the post with the same message
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You cannot vote on your own posts." in page
    # and the author sees the score but no vote buttons on their own posts
    assert 'class="vote-up"' not in page and score_on_page(page, 2) == "0"
    assert vote_rows(db) == {} and fresh(db, Post, reply.id).score == 0


def test_guests_are_asked_to_sign_in(client, make, db):
    thread = make.thread()
    reply = make.post(thread)
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'class="vote-up"' not in page and score_on_page(page, 2) == "0"
    assert vote_rows(db) == {}


@pytest.mark.parametrize("raw", ["5", "up", "", "1.5", "-2"])
def test_a_bad_vote_value_is_a_clear_error_and_saves_nothing(client, auth, make, db, raw):
    reply = make.post(make.thread())
    auth.login(make.member())
    response = client.post(f"/p/{reply.id}/vote", data={"value": raw}, headers=JSON)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and "1 (up), -1 (down) or 0" in error["message"]
    assert "value" in error["fields"]
    assert vote_rows(db) == {} and fresh(db, Post, reply.id).score == 0


def test_voting_on_a_post_that_is_not_there_or_not_visible_is_not_found(client, auth, make):
    staff_thread = make.thread(board=make.board(visibility="staff"))
    hidden_reply = make.post(staff_thread, author=make.member(role=Role.staff))
    auth.login(make.member())
    assert client.post("/p/999999/vote", data={"value": "1"}, headers=JSON).status_code == 404
    assert client.post(f"/p/{hidden_reply.id}/vote", data={"value": "1"}, headers=JSON).status_code == 404
    assert client.get(f"/p/{hidden_reply.id}/vote").status_code == 405


def test_deleted_posts_take_no_votes(client, auth, make, db):
    thread = make.thread()
    reply = make.post(thread)
    forum.delete_post(reply.author, reply)
    db.session.commit()
    auth.login(make.member())
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code in (403, 404) and vote_rows(db) == {}


def test_votes_are_welcome_in_threads_closed_to_replies(client, auth, make, db):
    thread = make.thread()
    reply = make.post(thread)
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(locked_at=utcnow()))
    db.session.commit()
    auth.login(make.member())
    assert client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON).get_json()["score"] == 1
