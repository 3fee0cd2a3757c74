"""Flags on an opening post that others answered: that post alone is hidden, the thread and the other
members' replies stay readable ("hidden pending review", never "deleted"), moderators see it under review."""
from sqlalchemy import select

from community.forum.models import Board, Thread
from community.moderation.models import ReviewItem


def _reload(db, model, id_):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, id_)


def _answered_thread(make):
    board = make.board(slug="help")
    author = make.member("opener")
    thread = make.thread(board=board, author=author, title="Router keeps dropping", body="Rude words in the opener")
    make.post(thread, author=make.member("helper"), body="Try channel 6, it fixed mine")
    return board, thread


def _flag_away(login, level, thread):
    login(level("flagger1", 3)).post(f"/p/{thread.id}/flag", data={"reason": "abusive"})  # weight 2
    login(level("flagger2", 1)).post(f"/p/{thread.id}/flag", data={"reason": "abusive"})  # weight 1: 3 in all


def test_flags_on_an_answered_opening_post_hide_it_alone_and_keep_the_replies(make, login, level, client, db):
    board, thread = _answered_thread(make)
    _flag_away(login, level, thread)
    page = client.get(f"/t/{thread.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200  # not "This thread has been deleted"
    assert "Router keeps dropping" in html and "Try channel 6, it fixed mine" in html
    assert "Rude words in the opener" not in html and "Hidden pending review" in html
    assert "This post was deleted" not in html and "has been deleted" not in html
    assert "Under review" not in html  # that mark is for moderators
    assert "Router keeps dropping" in client.get("/b/help").get_data(as_text=True)
    assert _reload(db, Thread, thread.id).hidden_at is None


def test_moderators_see_the_thread_under_review_on_its_page_and_in_lists(make, login, level, mod, db):
    board, thread = _answered_thread(make)
    _flag_away(login, level, thread)
    staff = login(mod)
    html = staff.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Under review" in html and "Rude words in the opener" in html and "Try channel 6" in html
    assert "Under review" in staff.get("/b/help").get_data(as_text=True)
    own = login(thread.author).get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Rude words in the opener" in own and "Hidden by the community" in own


def test_restoring_the_post_in_review_ends_under_review(make, login, level, mod, db):
    board, thread = _answered_thread(make)
    _flag_away(login, level, thread)
    item = db.session.scalar(select(ReviewItem))
    staff = login(mod)
    assert staff.post(f"/review/{item.id}", data={"outcome": "disagreed"}).status_code == 302
    reloaded = _reload(db, Thread, thread.id)
    assert reloaded.under_review_at is None and reloaded.hidden_at is None
    assert "Under review" not in staff.get(f"/t/{thread.id}").get_data(as_text=True)
    assert _reload(db, Board, board.id).thread_count == 1  # back in the counts


def test_a_thread_a_moderator_hid_tells_guests_hidden_pending_review_not_deleted(make, login, mod, client):
    thread = make.thread(title="Lonely spam", body="Buy now")
    login(mod).post(f"/p/{thread.id}/flag", data={"reason": "spam"})  # nobody else replied: the thread goes
    page = client.get(f"/t/{thread.id}")
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "hidden pending review" in text and "has been deleted" not in text
