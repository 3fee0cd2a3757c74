"""Casting votes on posts: up and down, with and without JavaScript, changed, taken back, counted once,
the opening post's score as the thread's, each reader seeing only their own vote."""
from __future__ import annotations

import re

from sqlalchemy import select

from community.forum.models import Post, Thread
from tests.community.votes.conftest import JSON, fresh, score_on_page, vote_rows

# ---- casting, changing, taking back ---------------------------------------------------------

def test_upvote_without_javascript_redirects_back_and_the_page_shows_it(client, auth, make, db):
    thread = make.thread()
    reply = make.post(thread, author=make.member("ann"))
    auth.login(make.member("bob"))
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/t/{thread.id}#post-2")
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert score_on_page(page, 2) == "1"
    # the upvote button is shown pressed, and pressing it again takes the vote back (value 0)
    box = page[page.index('id="post-2"'):]
    assert re.search(r'name="value" value="0" class="vote-up" aria-pressed="true"', box)
    assert fresh(db, Post, reply.id).score == 1


def test_fetch_gets_the_new_score_and_my_vote_as_json(client, auth, make):
    thread = make.thread()
    reply = make.post(thread)
    auth.login(make.member())
    response = client.post(f"/p/{reply.id}/vote", data={"value": "-1"}, headers=JSON)
    assert response.status_code == 200 and response.get_json() == {"score": -1, "my_vote": -1}


def test_opening_post_score_is_the_thread_score(client, auth, make, db):
    thread = make.thread()
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    for value in ("1", "1", "1", "-1"):
        auth.logout()
        auth.login(make.member())
        assert client.post(f"/p/{opening.id}/vote", data={"value": value}, headers=JSON).status_code == 200
    assert fresh(db, Thread, thread.id).score == 2 and fresh(db, Post, opening.id).score == 2
    # a reply's votes do not move the thread's score
    reply = make.post(thread)
    client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert fresh(db, Thread, thread.id).score == 2 and fresh(db, Post, reply.id).score == 1


def test_changing_a_vote_moves_the_score_by_two_and_keeps_one_row(client, auth, make, db):
    reply = make.post(make.thread())
    voter = make.member()
    auth.login(voter)
    assert client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON).get_json()["score"] == 1
    assert client.post(f"/p/{reply.id}/vote", data={"value": "-1"}, headers=JSON).get_json() == \
        {"score": -1, "my_vote": -1}
    assert vote_rows(db, reply.id) == {voter.id: -1}


def test_taking_a_vote_back_deletes_it_and_restores_the_score(client, auth, make, db):
    reply = make.post(make.thread())
    auth.login(make.member())
    client.post(f"/p/{reply.id}/vote", data={"value": "-1"}, headers=JSON)
    assert client.post(f"/p/{reply.id}/vote", data={"value": "0"}, headers=JSON).get_json() == \
        {"score": 0, "my_vote": 0}
    assert vote_rows(db, reply.id) == {}
    # taking back a vote that is not there changes nothing and is no error
    assert client.post(f"/p/{reply.id}/vote", data={"value": "0"}, headers=JSON).get_json() == \
        {"score": 0, "my_vote": 0}


def test_voting_the_same_way_twice_counts_once(client, auth, make, db):
    reply = make.post(make.thread())
    auth.login(make.member())
    client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON).get_json() == \
        {"score": 1, "my_vote": 1}
    assert len(vote_rows(db, reply.id)) == 1


def test_my_vote_is_shown_per_post_for_the_viewer_only(client, auth, make):
    thread = make.thread()
    first, second = make.post(thread), make.post(thread)
    voter = make.member("voter")
    auth.login(voter)
    client.post(f"/p/{first.id}/vote", data={"value": "1"})
    client.post(f"/p/{second.id}/vote", data={"value": "-1"})
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    post2, post3 = page[page.index('id="post-2"'):page.index('id="post-3"')], page[page.index('id="post-3"'):]
    assert 'class="vote-up" aria-pressed="true"' in post2 and 'class="vote-down" aria-pressed="false"' in post2
    assert 'class="vote-down" aria-pressed="true"' in post3
    auth.logout()
    auth.login(make.member("other"))
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'aria-pressed="true"' not in page
    assert score_on_page(page, 2) == "1" and score_on_page(page, 3) == "-1"
