"""What a level unlocks: flagging (with a weight by level, never one's own post) and the thread tools
(retag and move at three, close and pin at four; moderators at any level)."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from community.forum.models import Board, Post, Thread
from community.members.models import Member, Role
from community.permissions import can_flag, flag_weight
from tests.community.trust.conftest import at_level

# ---- flags -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role, level, may_flag, weight", [
    (None, 0, False, 0.0),
    (Role.member, 0, False, 1.0),
    (Role.member, 1, True, 1.0),
    (Role.member, 2, True, 1.0),
    (Role.member, 3, True, 2.0),
    (Role.member, 4, True, 2.0),
    (Role.moderator, 0, True, 2.0),
    (Role.staff, 0, True, 2.0),
])
def test_flag_privilege_and_weight_by_level(make, db, role, level, may_flag, weight):
    thread = make.thread()
    post = db.session.get(Post, thread.id)
    member = AnonymousUserMixin() if role is None else at_level(db, make.member(role=role), level)
    assert can_flag(member, post) is may_flag
    assert flag_weight(member) == weight


def test_nobody_flags_their_own_post(make, db):
    author = at_level(db, make.member(), 3)
    post = db.session.get(Post, make.thread(author=author).id)
    assert not can_flag(author, post)


# ---- thread tools by level -------------------------------------------------------------------

def test_level_three_retags_and_the_tags_show(client, auth, make, db):
    thread = make.thread(title="Battery drains overnight")
    auth.login(at_level(db, make.member("regular"), 3))
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Thread tools" in page and "Save tags" in page and "Pin thread" not in page
    response = client.post(f"/t/{thread.id}/tags", data={"tags": "battery, firmware"})
    assert response.status_code == 302
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "The tags have been changed." in page
    assert "/tag/battery" in page and "/tag/firmware" in page


def test_level_two_cannot_retag_or_move(client, auth, make, db):
    thread = make.thread()
    other = make.board(slug="elsewhere")
    auth.login(at_level(db, make.member("member2"), 2))
    assert "Thread tools" not in client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert client.post(f"/t/{thread.id}/tags", data={"tags": "spam"}).status_code == 403
    assert client.post(f"/t/{thread.id}/move", data={"board": other.slug}).status_code == 403
    db.session.rollback()
    assert db.session.get(Thread, thread.id).tags == []
    assert db.session.get(Thread, thread.id).board_id != other.id


def test_guests_are_sent_to_sign_in_and_unseen_threads_are_404(client, auth, make, db):
    staff_board = make.board(slug="staff-room", visibility="staff")
    hidden = make.thread(board=staff_board)
    public = make.thread()
    assert client.post(f"/t/{public.id}/tags", data={"tags": "x"}).status_code == 302
    auth.login(at_level(db, make.member(), 4))
    for action in ("tags", "move", "lock", "pin"):
        assert client.post(f"/t/{hidden.id}/{action}", data={"tags": "x"}).status_code == 404


def test_level_three_moves_a_thread_to_a_board_they_can_see(client, auth, make, db):
    source, target = make.board(slug="general"), make.board(slug="help", name="Help desk")
    make.board(slug="staff-only", visibility="staff", name="Staff only")
    thread = make.thread(board=source)
    make.post(thread)
    auth.login(at_level(db, make.member("mover"), 3))
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Help desk" in page and "Staff only" not in page
    assert client.post(f"/t/{thread.id}/move", data={"board": "staff-only"}).status_code == 422
    response = client.post(f"/t/{thread.id}/move", data={"board": "help"})
    assert response.status_code == 302
    assert "The thread has been moved to Help desk." in client.get(f"/t/{thread.id}").get_data(as_text=True)
    db.session.rollback()
    source, target = db.session.get(Board, source.id), db.session.get(Board, target.id)
    assert (source.thread_count, source.post_count) == (0, 0)
    assert (target.thread_count, target.post_count) == (1, 2)
    assert db.session.get(Thread, thread.id).board_id == target.id


def test_moving_to_an_unknown_board_is_a_clear_error_as_json(client, auth, make, db):
    thread = make.thread()
    auth.login(at_level(db, make.member(), 3))
    response = client.post(f"/t/{thread.id}/move", data={"board": "nowhere"}, headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "Please choose a board you can post in."


def test_level_four_closes_and_pins_level_three_cannot(client, auth, make, db):
    board = make.board(slug="general")
    older = make.thread(board=board, title="The pinned one")
    make.thread(board=board, title="A newer thread")
    auth.login(at_level(db, make.member("regular3"), 3))
    assert client.post(f"/t/{older.id}/lock", data={"reason": "x"}).status_code == 403
    assert client.post(f"/t/{older.id}/pin").status_code == 403
    auth.logout()

    auth.login(at_level(db, make.member("leader"), 4))
    assert client.post(f"/t/{older.id}/pin", data={"days": "7"}).status_code == 302
    listing = client.get("/b/general").get_data(as_text=True)
    assert listing.index("The pinned one") < listing.index("A newer thread")
    assert "Pinned" in listing
    assert client.post(f"/t/{older.id}/lock", data={"reason": "Solved, thanks all"}).status_code == 302
    page = client.get(f"/t/{older.id}").get_data(as_text=True)
    assert "Closed" in page and "Solved, thanks all" in page and "Reopen thread" in page
    auth.logout()

    auth.login(make.member("replier"))
    assert client.post(f"/t/{older.id}/reply", data={"body": "One more thing"}).status_code == 403
    auth.logout()

    auth.login(db.session.scalar(select(Member).where(Member.username == "leader")))
    assert client.post(f"/t/{older.id}/unlock").status_code == 302
    assert client.post(f"/t/{older.id}/unpin").status_code == 302
    listing = client.get("/b/general").get_data(as_text=True)
    assert listing.index("A newer thread") < listing.index("The pinned one")


def test_bad_pin_duration_and_double_close_are_clear_errors(client, auth, make, db):
    thread = make.thread()
    auth.login(at_level(db, make.member(), 4))
    json = {"Accept": "application/json"}
    response = client.post(f"/t/{thread.id}/pin", data={"days": "forever"}, headers=json)
    assert response.status_code == 422 and "days" in response.get_json()["error"]["fields"]
    assert client.post(f"/t/{thread.id}/lock", headers=json).status_code == 200
    response = client.post(f"/t/{thread.id}/lock", headers=json)
    assert response.status_code == 409 and "closed already" in response.get_json()["error"]["message"]


def test_moderators_have_every_thread_tool_at_level_zero(client, auth, make, db):
    thread = make.thread()
    auth.login(make.member("mod", role=Role.moderator))
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    for label in ("Save tags", "Close thread", "Pin thread"):
        assert label in page
