"""Whispers and posts waiting for approval leave no trace for those who may not see them.

No bump of the thread's last post (time, poster), no place in the order of the latest list, the board
list or the feeds, no reply count, no empty extra page, no read marker past what the reader was shown.
"""
import pytest
from sqlalchemy import select

from community.forum.models import Board, Thread
from community.moderation.models import ReviewItem
from community.trust.models import ThreadRead


@pytest.fixture
def approval(app):
    app.config["MODERATION_APPROVE_FIRST_POSTS"] = 1
    yield
    app.config["MODERATION_APPROVE_FIRST_POSTS"] = 0


@pytest.fixture
def small_pages(app):
    before = app.config["POSTS_PER_PAGE"]
    app.config["POSTS_PER_PAGE"] = 2
    yield
    app.config["POSTS_PER_PAGE"] = before


def _order(page: str, first: str, second: str) -> bool:
    return page.index(first) < page.index(second)


def _fresh(db, model, id_):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, id_)


def _two_threads(make):
    board = make.board(slug="talk")
    older = make.thread(board=board, title="Older thread about batteries")
    make.post(older)  # one public reply: #2
    newer = make.thread(board=board, title="Newer thread about chargers")
    return board, older, newer


def _lists(client):
    return {"latest": client.get("/latest").get_data(as_text=True),
            "board": client.get("/b/talk").get_data(as_text=True)}


def _feeds(client):
    """The feeds (ordered by start; each entry says when its thread last changed)."""
    return client.get("/latest.atom").get_data(as_text=True) + client.get("/b/talk.atom").get_data(as_text=True)


def test_a_whisper_does_not_bump_the_thread_for_readers(make, login, client, db, small_pages):
    board, older, newer = _two_threads(make)
    last_poster = _fresh(db, Thread, older.id).last_poster_id
    last_time = _fresh(db, Thread, older.id).last_posted_at
    feeds = _feeds(client)
    staff = login(make.member("brandrep", role="staff"))
    assert staff.post(f"/t/{older.id}/reply", data={"body": "Internal: ticket 4411", "whisper": "y"}).status_code == 302

    thread = _fresh(db, Thread, older.id)
    assert thread.last_poster_id == last_poster and thread.last_posted_at == last_time
    assert _feeds(client) == feeds
    reader = make.member("reader")
    member = login(reader)
    for who in (client, member):
        for name, page in _lists(who).items():
            assert _order(page, "Newer thread about chargers", "Older thread about batteries"), name
    assert "1 reply" in client.get("/b/talk").get_data(as_text=True)
    # The whisper is #3 with two posts a page: readers get one page, with the reply form on it.
    page = member.get(f"/t/{older.id}").get_data(as_text=True)
    assert "page=2" not in page and 'id="reply"' in page
    assert "page=2" not in client.get(f"/t/{older.id}").get_data(as_text=True)
    assert member.get(f"/t/{older.id}?page=2").status_code == 404
    # What the reader was shown ends at #2.
    read = db.session.scalar(select(ThreadRead).where(ThreadRead.thread_id == older.id,
                                                     ThreadRead.member_id == reader.id))
    assert read.last_read_number == 2
    # Staff see the whisper's page.
    assert "ticket 4411" in staff.get(f"/t/{older.id}?page=2").get_data(as_text=True)


def test_a_post_waiting_for_approval_does_not_bump_the_thread_until_approved(
        approval, make, login, mod, client, db):
    board, older, newer = _two_threads(make)
    last_poster = _fresh(db, Thread, older.id).last_poster_id
    feeds = _feeds(client)
    newbie = make.member("newbie")
    assert login(newbie).post(f"/t/{older.id}/reply", data={"body": "My very first words"}).status_code == 302

    assert _fresh(db, Thread, older.id).last_poster_id == last_poster
    assert _feeds(client) == feeds
    for name, page in _lists(client).items():
        assert _order(page, "Newer thread about chargers", "Older thread about batteries"), name
    assert "1 reply" in client.get("/b/talk").get_data(as_text=True)

    item = db.session.scalar(select(ReviewItem))
    assert login(mod).post(f"/review/{item.id}", data={"outcome": "approved"}).status_code == 302
    thread = _fresh(db, Thread, older.id)
    assert thread.last_poster_id == newbie.id
    assert _fresh(db, Board, board.id).last_posted_at == thread.last_posted_at
    for name, page in _lists(client).items():
        assert _order(page, "Older thread about batteries", "Newer thread about chargers"), name
    assert "2 replies" in client.get("/b/talk").get_data(as_text=True)
    assert _feeds(client) != feeds and thread.last_posted_at.isoformat() in _feeds(client)


def test_a_pending_thread_does_not_bump_its_board_for_readers(approval, make, login, client, db):
    board = make.board(slug="talk")
    make.thread(board=board)
    before = _fresh(db, Board, board.id).last_posted_at
    newbie = login(make.member("newbie"))
    response = newbie.post("/b/talk/new", data={"title": "Buy cheap watches here", "body": "Totally legit offer"})
    assert response.status_code == 302
    assert _fresh(db, Board, board.id).last_posted_at == before
    assert "Buy cheap watches" not in client.get("/latest.atom").get_data(as_text=True)


def test_hiding_the_last_reply_gives_the_thread_back_its_previous_last_post(make, login, mod, db):
    board = make.board(slug="talk")
    opener = make.member("opener")
    thread = make.thread(board=board, author=opener)
    reply = make.post(thread, author=make.member("rude"), body="Something rude")
    assert _fresh(db, Thread, thread.id).last_poster_id != opener.id
    login(mod).post(f"/p/{reply.id}/hide", data={"reason": "Rude"})
    assert _fresh(db, Thread, thread.id).last_poster_id == opener.id
    login(mod).post(f"/p/{reply.id}/unhide")
    assert _fresh(db, Thread, thread.id).last_poster_id == reply.author_id
