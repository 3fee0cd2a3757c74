"""Votes need the CSRF token, vote_cast announces what happened (and nothing for refused votes), and a
thread page with vote buttons costs the same queries at any length."""
from __future__ import annotations

import pytest

from community.signals import vote_cast
from community.votes import services as votes
from tests.community.votes.conftest import JSON, captured, set_trust_level, vote_rows
from tests.conftest import csrf_token_from

# ---- CSRF, signals, query count ------------------------------------------------------------------

def test_votes_need_the_csrf_token_from_the_page_or_the_header(app, client, auth, make, db):
    thread = make.thread()
    reply = make.post(thread)
    auth.login(make.member())
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    assert vote_rows(db) == {}
    token = csrf_token_from(client.get(f"/t/{thread.id}").get_data(as_text=True))
    # the form posts the token as a field; votes.js sends it as the X-CSRFToken header too
    assert client.post(f"/p/{reply.id}/vote", data={"value": "1", "csrf_token": token}).status_code == 302
    response = client.post(f"/p/{reply.id}/vote", data={"value": "-1"}, headers={**JSON, "X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["score"] == -1


def test_vote_cast_announces_casting_changing_and_taking_back(client, auth, make):
    reply = make.post(make.thread())
    voter = make.member("signaller")
    auth.login(voter)
    with captured(vote_cast) as calls:
        for value in ("1", "1", "-1", "0"):
            client.post(f"/p/{reply.id}/vote", data={"value": value}, headers=JSON)
    seen = [(sender, kwargs["voter"], kwargs["previous"], kwargs["value"]) for sender, kwargs in calls]
    # the repeated upvote changed nothing and announced nothing
    assert seen == [(reply.id, voter.id, 0, 1), (reply.id, voter.id, 1, -1), (reply.id, voter.id, -1, 0)]


def test_refused_votes_announce_nothing(client, auth, make):
    author = make.member()
    reply = make.post(make.thread(), author=author)
    auth.login(author)
    with captured(vote_cast) as calls:
        client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
        client.post(f"/p/{reply.id}/vote", data={"value": "7"}, headers=JSON)
    assert calls == []


@pytest.mark.parametrize("posts", [5, 40])
def test_thread_page_with_vote_buttons_costs_the_same_queries_for_any_length(app, client, auth, make, db,
                                                                            count_queries, posts):
    thread = make.thread()
    authors = [make.member() for _ in range(3)]
    replies = [make.post(thread, author=authors[i % 3]) for i in range(posts - 1)]
    reader = make.member("reader")
    set_trust_level(db, reader, 4)
    for reply in replies[::2]:
        votes.cast_vote(reader, reply, 1)
    db.session.commit()
    app.config["POSTS_PER_PAGE"] = 100
    try:
        auth.login(reader)
        client.get(f"/t/{thread.id}")  # warm up
        with count_queries() as statements:
            page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    finally:
        app.config["POSTS_PER_PAGE"] = 20
    assert page.count('class="vote-up" aria-pressed="true"') == len(replies[::2])
    # with the site settings, group badges, reactions (counts and the reader's own) and the reader's bookmarks, unread messages
    assert len(statements) <= 17, "\n".join(statements)  # +1: the boards of the header's Boards menu (site.nav_boards)
