"""Questions and answers: the asker (or a moderator) marks one reply as the accepted answer; it shows
right under the question, the thread is listed as solved, and it can be replaced or undone."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import select, update

from community.dbtypes import utcnow
from community.forum.models import Post, Thread
from community.members.models import Member, Role
from community.signals import answer_accepted, answer_unaccepted
from tests.conftest import csrf_token_from

JSON = {"Accept": "application/json"}


# ---- helpers -------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _unlink_answers(db):
    """threads.accepted_post_id and posts.thread_id point at each other: unlink before the tables are emptied."""
    yield
    db.session.rollback()
    db.session.execute(update(Thread).values(accepted_post_id=None))
    db.session.commit()


@pytest.fixture
def question(make):
    """A question by "asker" with two replies, by "helper" and "other_helper"."""
    board = make.board(slug="help", kind="question", name="Help")
    asker = make.member("asker")
    thread = make.thread(board=board, author=asker, title="How do I reset my router?",
                         body="It keeps dropping the connection.")
    first = make.post(thread, author=make.member("helper"), body="Hold the reset button for ten seconds.")
    second = make.post(thread, author=make.member("other_helper"), body="Unplug it for a minute.")
    return thread, first, second


def accepted_id(db, thread):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Thread, thread.id).accepted_post_id


def _plain(value):
    """A signal argument as the assertions compare it: an object's id, "now" for the time of the event."""
    if isinstance(value, datetime):
        return "now" if abs((utcnow() - value).total_seconds()) < 60 else value
    return getattr(value, "id", value)


@contextmanager
def captured(signal):
    calls = []

    def receiver(sender, **kwargs):  # plain values: the objects are gone with the request's session
        calls.append((sender.id, {key: _plain(value) for key, value in kwargs.items()}))

    signal.connect(receiver)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)


def login_as(auth, db, username):
    auth.login(db.session.scalar(select(Member).where(Member.username == username)))


# ---- the asker -------------------------------------------------------------------------------

def test_asker_accepts_a_reply_and_it_shows_right_under_the_question(client, auth, db, question):
    thread, first, second = question
    login_as(auth, db, "asker")
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": str(second.id)})
    assert response.status_code == 302 and response.headers["Location"].endswith("#post-3")
    assert accepted_id(db, thread) == second.id
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Marked as the accepted answer." in page
    # the answer is repeated between the question and the first reply
    question_at, answer_at, first_reply_at = (page.index('id="post-1"'), page.index('class="accepted-answer"'),
                                              page.index('id="post-2"'))
    assert question_at < answer_at < first_reply_at
    assert "Unplug it for a minute." in page[answer_at:first_reply_at]
    assert "other_helper" in page[answer_at:first_reply_at]
    # the thread head says solved, the answer itself is marked
    assert page.count("✓ Solved") == 1 and 'class="accepted-mark"' in page[page.index('id="post-3"'):]


def test_solved_questions_carry_a_badge_and_the_unsolved_filter_leaves_them_out(client, auth, db, make, question):
    thread, first, _second = question
    open_question = make.thread(board=thread.board, title="Why is the light blinking orange?")
    unanswered = make.thread(board=thread.board, title="Does it support WPA3?")
    make.post(open_question)
    login_as(auth, db, "asker")
    client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)})
    listing = client.get("/b/help").get_data(as_text=True)
    row = listing[listing.index("How do I reset my router?"):]
    assert row[:row.index("</li>")].count("badge-solved") == 1
    assert listing.count("badge-solved") == 1
    unsolved = client.get("/b/help?filter=unsolved").get_data(as_text=True)
    assert "How do I reset my router?" not in unsolved
    assert open_question.title in unsolved and unanswered.title in unsolved
    assert 'aria-current="page">Unsolved' in unsolved
    only_unanswered = client.get("/b/help?filter=unanswered").get_data(as_text=True)
    assert unanswered.title in only_unanswered and open_question.title not in only_unanswered


def test_asker_replaces_the_accepted_answer_and_can_undo_it(client, auth, db, question):
    thread, first, second = question
    login_as(auth, db, "asker")
    with captured(answer_accepted) as accepted, captured(answer_unaccepted) as undone:
        client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)})
        client.post(f"/t/{thread.id}/accept", data={"post_id": str(second.id)})
        assert accepted_id(db, thread) == second.id
        page = client.get(f"/t/{thread.id}").get_data(as_text=True)
        answer = page[page.index('class="accepted-answer"'):page.index('id="post-2"')]
        assert "Unplug it for a minute." in answer and "Hold the reset button" not in answer
        response = client.post(f"/t/{thread.id}/unaccept")
        assert response.status_code == 302
    assert accepted_id(db, thread) is None
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "The thread no longer has an accepted answer." in page
    assert 'class="accepted-answer"' not in page and "✓ Solved" not in page
    assert "badge-solved" not in client.get("/b/help").get_data(as_text=True)
    asker_id = thread.author_id
    assert accepted == [(first.id, {"thread": thread.id, "by": asker_id, "previous": None, "at": "now"}),
                        (second.id, {"thread": thread.id, "by": asker_id, "previous": first.id, "at": "now"})]
    assert undone == [(second.id, {"thread": thread.id, "by": asker_id})]


def test_accepting_the_same_reply_twice_announces_it_once(client, auth, db, question):
    thread, first, _second = question
    login_as(auth, db, "asker")
    with captured(answer_accepted) as accepted:
        for _ in range(2):
            assert client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)}, headers=JSON).get_json() \
                == {"thread_id": thread.id, "accepted_post_id": first.id}
    assert len(accepted) == 1


def test_the_accept_button_is_shown_to_the_asker_only(client, auth, db, make, question):
    thread, _first, _second = question
    login_as(auth, db, "asker")
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert page.count("Accept as answer") == 2  # one per reply, none on the question
    auth.logout()
    login_as(auth, db, "helper")
    assert "Accept as answer" not in client.get(f"/t/{thread.id}").get_data(as_text=True)
    auth.logout()
    assert "Accept as answer" not in client.get(f"/t/{thread.id}").get_data(as_text=True)


# ---- other people ---------------------------------------------------------------------------

def test_another_member_cannot_accept_or_undo(client, auth, db, question):
    thread, first, second = question
    login_as(auth, db, "helper")  # even the author of the reply
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)}, headers=JSON)
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == \
        "Only the person who asked, or a moderator, can choose the accepted answer."
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)})
    assert response.status_code == 403 and "Only the person who asked" in response.get_data(as_text=True)
    assert accepted_id(db, thread) is None
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(accepted_post_id=second.id))
    db.session.commit()
    assert client.post(f"/t/{thread.id}/unaccept", headers=JSON).status_code == 403
    assert accepted_id(db, thread) == second.id


def test_guests_are_sent_to_sign_in(client, db, question):
    thread, first, _second = question
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post(f"/t/{thread.id}/unaccept").status_code == 302
    assert accepted_id(db, thread) is None


def test_a_moderator_may_choose_the_answer_even_in_a_closed_thread(client, auth, db, make, question):
    thread, first, second = question
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(locked_at=utcnow()))
    db.session.commit()
    # the asker no longer can, once the thread is closed
    login_as(auth, db, "asker")
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)}, headers=JSON)
    assert response.status_code == 403 and "closed" in response.get_json()["error"]["message"]
    auth.logout()
    moderator = make.member("mod", role=Role.moderator)
    auth.login(moderator)
    with captured(answer_accepted) as accepted:
        assert client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)}).status_code == 302
    assert accepted_id(db, thread) == first.id and accepted[0][1]["by"] == moderator.id
    assert client.post(f"/t/{thread.id}/accept", data={"post_id": str(second.id)}).status_code == 302
    assert accepted_id(db, thread) == second.id
    assert client.post(f"/t/{thread.id}/unaccept").status_code == 302
    assert accepted_id(db, thread) is None


def test_staff_who_are_not_moderators_cannot_choose_for_the_asker(client, auth, db, make, question):
    thread, first, _second = question
    auth.login(make.member("brand_rep", role=Role.staff))
    assert client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)}, headers=JSON).status_code == 403
    assert accepted_id(db, thread) is None


# ---- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["", "abc", "-3", "1" * 20])
def test_a_missing_or_malformed_post_id_is_a_clear_error(client, auth, db, question, raw):
    thread, _first, _second = question
    login_as(auth, db, "asker")
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": raw}, headers=JSON)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["message"] == "Choose the reply to accept." and "post_id" in error["fields"]
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": raw})
    assert response.status_code == 400 and "Choose the reply to accept." in response.get_data(as_text=True)
    assert accepted_id(db, thread) is None


def test_a_post_of_another_thread_or_no_thread_is_not_found(client, auth, db, make, question):
    thread, first, _second = question
    elsewhere = make.post(make.thread(board=thread.board))
    login_as(auth, db, "asker")
    assert client.post(f"/t/{thread.id}/accept", data={"post_id": str(elsewhere.id)}, headers=JSON).status_code == 404
    assert client.post(f"/t/{thread.id}/accept", data={"post_id": "999999"}, headers=JSON).status_code == 404
    assert client.post("/t/999999/accept", data={"post_id": str(first.id)}, headers=JSON).status_code == 404
    assert client.post("/t/999999/unaccept", headers=JSON).status_code == 404
    assert client.get(f"/t/{thread.id}/accept").status_code == 405
    assert accepted_id(db, thread) is None


def test_the_question_itself_cannot_be_its_answer(client, auth, db, question):
    thread, _first, _second = question
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    login_as(auth, db, "asker")
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": str(opening.id)}, headers=JSON)
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "The question itself cannot be its answer; choose a reply."
    assert accepted_id(db, thread) is None


def test_discussion_boards_have_no_accepted_answers(client, auth, make, db):
    asker = make.member()
    thread = make.thread(author=asker)
    reply = make.post(thread)
    auth.login(asker)
    assert "Accept as answer" not in client.get(f"/t/{thread.id}").get_data(as_text=True)
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": str(reply.id)}, headers=JSON)
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "Only threads on question boards have accepted answers."
    assert accepted_id(db, thread) is None


def test_accepting_needs_the_csrf_token(app, client, auth, db, question):
    thread, first, _second = question
    login_as(auth, db, "asker")
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)}, headers=JSON)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    assert client.post(f"/t/{thread.id}/unaccept", headers=JSON).status_code == 400
    assert accepted_id(db, thread) is None
    token = csrf_token_from(client.get(f"/t/{thread.id}").get_data(as_text=True))
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id), "csrf_token": token})
    assert response.status_code == 302 and accepted_id(db, thread) == first.id


def test_a_deleted_reply_stops_being_the_accepted_answer(client, auth, db, question):
    thread, first, _second = question
    login_as(auth, db, "asker")
    client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)})
    with captured(answer_unaccepted) as undone:
        auth.logout()
        login_as(auth, db, "helper")
        assert client.post(f"/p/{first.id}/delete").status_code == 302
    assert accepted_id(db, thread) is None and [sender for sender, _ in undone] == [first.id]
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'class="accepted-answer"' not in page and "✓ Solved" not in page
    # and a deleted reply cannot be accepted
    auth.logout()
    login_as(auth, db, "asker")
    response = client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)}, headers=JSON)
    assert response.status_code in (403, 404) and accepted_id(db, thread) is None


# ---- query counts -----------------------------------------------------------------------------

@pytest.mark.parametrize("threads", [3, 25])
def test_question_board_with_solved_badges_has_a_fixed_query_budget(app, client, auth, db, make, count_queries,
                                                                   threads):
    board = make.board(slug="qa", kind="question")
    asker = make.member("asker")
    for n in range(threads):
        thread = make.thread(board=board, author=asker)
        if n % 2:
            reply = make.post(thread)
            db.session.execute(update(Thread).where(Thread.id == thread.id).values(accepted_post_id=reply.id))
    db.session.commit()
    auth.login(asker)
    client.get("/b/qa?sort=new")  # warm up
    with count_queries() as statements:
        page = client.get("/b/qa?sort=new").get_data(as_text=True)
    shown = min(threads, app.config["THREADS_PER_PAGE"])  # the newest first: every other one is solved
    assert page.count("badge-solved") == sum(1 for n in range(threads - shown, threads) if n % 2)
    assert len(statements) <= 12, "\n".join(statements)  # +1: the list's read states (community/unread); +1: the header's Boards menu (site.nav_boards)


def test_question_page_with_an_accepted_answer_on_another_page_costs_one_more_query(app, client, auth, db, make,
                                                                                    count_queries, question):
    thread, first, _second = question
    for _ in range(4):
        make.post(thread)
    login_as(auth, db, "asker")
    client.post(f"/t/{thread.id}/accept", data={"post_id": str(first.id)})

    def cost(url):
        client.get(url)
        with count_queries() as statements:
            page = client.get(url).get_data(as_text=True)
        assert 'class="accepted-answer"' in page and "Hold the reset button" in page
        return len(statements)

    app.config["POSTS_PER_PAGE"] = 2
    try:
        on_page = cost(f"/t/{thread.id}")  # the answer (#2) is on page 1
        app.config["POSTS_PER_PAGE"] = 1
        elsewhere = cost(f"/t/{thread.id}")  # only the question is on page 1
    finally:
        app.config["POSTS_PER_PAGE"] = 20
    assert elsewhere <= on_page + 1
