"""Boards, threads, posts, votes, flags, accepted answers, idea status and notifications, per role."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.forum.models import BoardKind, Post, Thread, Visibility
from community.members.models import Role
from community.moderation.models import Flag
from community.polls.models import Poll
from tests.community.api.conftest import error_of


@pytest.fixture
def people(make):
    return {"member": make.member("mia"), "moderator": make.member("mod", role=Role.moderator),
            "staff": make.member("stan", role=Role.staff)}


def caller(api, people, role):
    return api(people[role]) if role != "guest" else api()


# ---- boards ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, slugs", [("guest", {"open"}), ("member", {"open", "club"}),
                                         ("moderator", {"open", "club"}), ("staff", {"open", "club", "team"})])
def test_each_role_lists_the_boards_it_may_read(api, make, people, role, slugs):
    make.board("open", name="Open")
    make.board("club", visibility=Visibility.members)
    make.board("team", visibility=Visibility.staff)
    body = caller(api, people, role).get("boards").get_json()
    assert {b["slug"] for b in body["items"]} == slugs and body["next"] is None
    first = body["items"][0]
    assert {"id", "slug", "name", "kind", "visibility", "url"} <= set(first)


@pytest.mark.parametrize("role, status", [("guest", 404), ("member", 404), ("moderator", 404), ("staff", 200)])
def test_a_staff_board_is_invisible_to_others(api, make, people, role, status):
    board = make.board("team", visibility=Visibility.staff)
    make.thread(board)
    assert caller(api, people, role).get("boards/team/threads").status_code == status


def test_board_threads_are_paged_with_next_links_and_sorts(api, app, make):
    board = make.board("open")
    author = make.member("writer")
    for n in range(3):
        make.thread(board, author=author, title=f"Thread number {n}")
    app.config["THREADS_PER_PAGE"] = 2
    try:
        guest = api()
        first = guest.get("boards/open/threads?sort=new").get_json()
        assert [t["title"] for t in first["items"]] == ["Thread number 2", "Thread number 1"]
        assert first["next"] == "/api/v1/boards/open/threads?sort=new&page=2"
        second = guest.get(first["next"]).get_json()
        assert [t["title"] for t in second["items"]] == ["Thread number 0"] and second["next"] is None
        assert guest.get("boards/open/threads?page=3").status_code == 404
        bad = guest.get("boards/open/threads?sort=sideways")
        assert bad.status_code == 400 and "sort" in error_of(bad)["fields"]
    finally:
        app.config["THREADS_PER_PAGE"] = 25


# ---- threads ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("guest", 401), ("member", 201), ("moderator", 201), ("staff", 201)])
def test_starting_a_thread_per_role(api, make, people, role, status, db):
    make.board("open")
    response = caller(api, people, role).post("boards/open/threads",
                                              json={"title": "How do I reset it?", "body": "It is stuck.",
                                                    "tags": ["help", "reset"]})
    assert response.status_code == status
    if status == 201:
        body = response.get_json()
        assert body["thread"]["title"] == "How do I reset it?" and body["thread"]["tags"] == ["help", "reset"]
        assert body["thread"]["url"] == f"/t/{body['thread']['id']}"
        assert body["posts"][0]["body"] == "It is stuck." and body["posts"][0]["my_vote"] == 0


@pytest.mark.parametrize("role, status", [("member", 403), ("moderator", 403), ("staff", 201)])
def test_only_staff_start_announcements(api, make, people, role, status):
    make.board("news", kind=BoardKind.announcement)
    response = caller(api, people, role).post("boards/news/threads", json={"title": "Version 2 is out",
                                                                            "body": "Go get it."})
    assert response.status_code == status


def test_a_thread_with_a_poll_and_bad_input(api, make, people, db):
    make.board("open")
    mia = api(people["member"])
    response = mia.post("boards/open/threads", json={"title": "Which colour?", "body": "Vote please.",
                                                     "poll": {"question": "Colour?", "options": ["Red", "Blue"]}})
    assert response.status_code == 201
    assert db.session.scalar(select(Poll.question)) == "Colour?"
    response = mia.post("boards/open/threads", json={"title": "Another poll", "body": "A different question.",
                                                     "poll": {"question": "Colour?", "options": ["Only one"]}})
    assert response.status_code == 422 and "poll.options" in error_of(response)["fields"]
    response = mia.post("boards/open/threads", json={"title": "Hi", "body": ""})
    assert response.status_code == 422 and {"title", "body"} <= set(error_of(response)["fields"])
    response = mia.post("boards/open/threads", json={"title": ["not", "text"], "body": 12})
    assert response.status_code == 422 and set(error_of(response)["fields"]) == {"title", "body"}
    response = mia.post("boards/open/threads", json={})
    assert response.status_code == 422 and set(error_of(response)["fields"]) == {"title", "body"}
    assert mia.post("boards/nope/threads", json={"title": "Hello world", "body": "x y"}).status_code == 404
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 1  # nothing half-saved


def test_a_thread_page_shows_posts_with_score_and_my_vote(api, make, people, db):
    thread = make.thread()
    reply = make.post(thread, author=make.member("ann"), body="The answer is 42.")
    mia = api(people["member"])
    assert mia.put(f"posts/{reply.id}/vote", json={"value": 1}).get_json() == {"score": 1, "my_vote": 1}
    body = mia.get(f"threads/{thread.id}").get_json()
    assert set(body) == {"thread", "posts", "next"}
    post = body["posts"][1]
    assert post["body"] == "The answer is 42." and post["score"] == 1 and post["my_vote"] == 1
    assert post["url"] == f"/t/{thread.id}#post-2"
    assert api().get(f"threads/{thread.id}").get_json()["posts"][1]["my_vote"] == 0


def test_a_deleted_thread_is_gone_and_an_unknown_one_is_404(api, make, people):
    thread = make.thread(author=people["member"])
    opening = thread.id
    mia = api(people["member"])
    first_post = mia.get(f"threads/{opening}").get_json()["posts"][0]["id"]
    assert mia.delete(f"posts/{first_post}").status_code == 204
    assert api().get(f"threads/{opening}").status_code == 410
    assert api(people["moderator"]).get(f"threads/{opening}").status_code == 200
    assert api().get("threads/424242").status_code == 404


# ---- replies, edits, deletes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("guest", 401), ("member", 201), ("moderator", 201), ("staff", 201)])
def test_replying_per_role(api, make, people, role, status):
    thread = make.thread()
    response = caller(api, people, role).post(f"threads/{thread.id}/posts", json={"body": "Me too, same here."})
    assert response.status_code == status
    if status == 201:
        assert response.get_json()["body"] == "Me too, same here."


def test_replying_to_a_locked_thread_is_for_moderators(api, make, people):
    thread = make.thread()
    mod = api(people["moderator"])
    assert mod.post(f"threads/{thread.id}/moderation", json={"action": "lock", "reason": "done"}).status_code == 200
    assert api(people["member"]).post(f"threads/{thread.id}/posts", json={"body": "Wait!"}).status_code == 403
    assert mod.post(f"threads/{thread.id}/posts", json={"body": "Closing words."}).status_code == 201


def test_reply_to_must_be_in_the_thread(api, make, people):
    thread, other = make.thread(), make.thread()
    elsewhere = make.post(other)
    mia = api(people["member"])
    response = mia.post(f"threads/{thread.id}/posts", json={"body": "Answering", "reply_to": elsewhere.id})
    assert response.status_code == 422 and "reply_to" in error_of(response)["fields"]
    response = mia.post(f"threads/{thread.id}/posts", json={"body": "Answering", "reply_to": "one"})
    assert response.status_code == 422


@pytest.mark.parametrize("role, status", [("guest", 401), ("member", 403), ("moderator", 200), ("staff", 403)])
def test_editing_someone_elses_post_per_role(api, make, people, role, status):
    thread = make.thread()
    post = make.post(thread, author=make.member("ann"))
    response = caller(api, people, role).patch(f"posts/{post.id}", json={"body": "Rewritten by someone."})
    assert response.status_code == status


def test_the_author_edits_and_deletes_their_post(api, make, people, db):
    thread = make.thread()
    post = make.post(thread, author=people["member"])
    mia = api(people["member"])
    response = mia.patch(f"posts/{post.id}", json={"body": "Better words now.", "reason": "typo"})
    assert response.status_code == 200 and response.get_json()["body"] == "Better words now."
    assert mia.patch(f"posts/{post.id}", json={"body": ""}).status_code == 422
    assert mia.delete(f"posts/{post.id}").status_code == 204
    assert api().get(f"posts/{post.id}").status_code == 404
    assert mia.delete("posts/999999").status_code == 404


# ---- votes and flags -----------------------------------------------------------------------------------------

def test_votes_move_the_score_and_are_checked(api, make, people):
    thread = make.thread()
    post = make.post(thread, author=make.member("ann"))
    mia = api(people["member"])
    assert mia.put(f"posts/{post.id}/vote", json={"value": -1}).get_json() == {"score": -1, "my_vote": -1}
    assert mia.put(f"posts/{post.id}/vote", json={"value": 0}).get_json() == {"score": 0, "my_vote": 0}
    for bad in ({"value": 2}, {"value": "1"}, {"value": True}, {}):
        response = mia.put(f"posts/{post.id}/vote", json=bad)
        assert response.status_code == 422 and "value" in error_of(response)["fields"]
    assert api().put(f"posts/{post.id}/vote", json={"value": 1}).status_code == 401
    own = make.post(thread, author=people["member"])
    assert mia.put(f"posts/{own.id}/vote", json={"value": 1}).status_code == 403


@pytest.mark.parametrize("role, status", [("guest", 401), ("member", 403), ("moderator", 201), ("staff", 201)])
def test_flagging_per_role(api, make, people, role, status, db):
    # a new member (trust level 0) may not flag yet; moderators and staff always may
    post = make.post(make.thread(), author=make.member("ann"))
    response = caller(api, people, role).post(f"posts/{post.id}/flags", json={"reason": "spam"})
    assert response.status_code == status
    if status == 201:
        assert response.get_json()["reason"] == "spam"
        assert db.session.scalar(select(func.count()).select_from(Flag)) == 1
        again = caller(api, people, role).post(f"posts/{post.id}/flags", json={"reason": "spam"})
        # a staff flag hides the post at once; staff do not moderate, so to them it is gone
        assert again.status_code == (409 if role == "moderator" else 404)


def test_a_flag_needs_a_known_reason(api, make, people):
    post = make.post(make.thread(), author=make.member("ann"))
    response = api(people["staff"]).post(f"posts/{post.id}/flags", json={"reason": "boring"})
    assert response.status_code == 422 and "reason" in error_of(response)["fields"]


# ---- accepted answers and ideas ------------------------------------------------------------------------------

def test_the_asker_accepts_and_clears_an_answer(api, make, people):
    board = make.board("help", kind=BoardKind.question)
    thread = make.thread(board, author=people["member"])
    answer = make.post(thread, author=make.member("ann"))
    mia = api(people["member"])
    response = mia.post(f"threads/{thread.id}/accepted-answer", json={"post_id": answer.id})
    assert response.status_code == 200 and response.get_json() == {"thread_id": thread.id,
                                                                    "accepted_post_id": answer.id}
    assert api().get(f"threads/{thread.id}").get_json()["thread"]["solved"] is True
    stranger = api(make.member("zed"))
    assert stranger.post(f"threads/{thread.id}/accepted-answer", json={"post_id": None}).status_code == 403
    assert mia.post(f"threads/{thread.id}/accepted-answer", json={"post_id": 999999}).status_code == 422
    assert mia.post(f"threads/{thread.id}/accepted-answer", json={"post_id": None}).get_json()[
        "accepted_post_id"] is None


@pytest.mark.parametrize("role, status", [("guest", 401), ("member", 403), ("moderator", 403), ("staff", 200)])
def test_idea_status_is_for_staff(api, make, people, role, status):
    board = make.board("ideas", kind=BoardKind.idea)
    idea = make.thread(board)
    response = caller(api, people, role).put(f"threads/{idea.id}/idea-status",
                                             json={"status": "planned", "reason": "Next quarter."})
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["thread"]["idea_status"] == "planned"


def test_idea_status_must_be_known(api, make, people):
    idea = make.thread(make.board("ideas", kind=BoardKind.idea))
    response = api(people["staff"]).put(f"threads/{idea.id}/idea-status", json={"status": "someday"})
    assert response.status_code == 422 and "status" in error_of(response)["fields"]


# ---- notifications ---------------------------------------------------------------------------------------------

def test_a_reply_notifies_the_author_through_the_api(api, make, people):
    thread = make.thread(author=people["member"])
    make.post(thread, author=make.member("ann"), body="Have you tried turning it off?")
    body = api(people["member"]).get("notifications").get_json()
    assert body["next"] is None and body["items"][0]["thread_id"] == thread.id
    assert body["items"][0]["url"].startswith(f"/t/{thread.id}")
    assert api().get("notifications").status_code == 401
    assert api(people["member"]).get("notifications?filter=odd").status_code == 400


# ---- search -----------------------------------------------------------------------------------------------------

def test_search_follows_the_api_conventions(api, make, people):
    assert error_of(api().get("search?q=hello&page=0"))["code"] in ("bad_query", "bad_request")
    assert api(people["staff"], ["crm"]).get("search?q=hello").status_code == 403  # a crm-only token
    response = api().get("search?q=hello&board=open")
    assert response.status_code in (200, 503)
    if response.status_code == 200:
        assert set(response.get_json()) >= {"items", "next"}


def test_a_post_by_id_shows_my_vote(api, make, people, db):
    post = make.post(make.thread(), author=make.member("ann"))
    mia = api(people["member"])
    mia.put(f"posts/{post.id}/vote", json={"value": 1})
    body = mia.get(f"posts/{post.id}").get_json()
    assert body["id"] == post.id and body["my_vote"] == 1 and body["score"] == 1
    db.session.rollback()
    assert db.session.get(Post, post.id).score == 1


def test_a_thread_costs_the_same_queries_with_3_or_15_posts(api, app, make, people, count_queries):
    short, long = make.thread(), make.thread()
    for n in range(2):
        make.post(short, author=make.member(), body=f"Short reply {n}")
    for n in range(14):
        make.post(long, author=make.member(), body=f"Long reply {n}")
    mia = api(people["member"])
    ids = [short.id, long.id]  # read now: inside the count the test's own session must not refresh them
    mia.get(f"threads/{ids[0]}")  # the token's last use is recorded once a minute: not in the counts
    counts = []
    for thread_id in ids:
        with count_queries() as statements:
            assert mia.get(f"threads/{thread_id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    with count_queries() as statements:
        assert mia.get("boards").status_code == 200
    few = len(statements)
    make.board("more-1"), make.board("more-2")
    with count_queries() as statements:
        assert mia.get("boards").status_code == 200
    assert len(statements) == few
