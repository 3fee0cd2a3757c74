"""Who may vote in, add and hide polls: guests, members on boards they cannot see, deleted or locked
threads, the permission truth table, and the CSRF token."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select, update

from community import permissions
from community.dbtypes import utcnow
from community.forum import services as forum
from community.forum.models import Post, Thread
from community.polls.models import PollBallot
from tests.community.polls.conftest import add_poll, option_ids, row_count
from tests.conftest import csrf_token_from

# ---- permissions ---------------------------------------------------------------------------

def test_guest_cannot_vote(client, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    response = client.post(f"/polls/{poll.id}/vote", data={"option": str(option_ids(poll)[0])})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    answer = client.post(f"/polls/{poll.id}/vote", json={"option_ids": [option_ids(poll)[0]]},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthorized"
    assert row_count(db, PollBallot) == 0


def test_member_cannot_see_or_vote_in_staff_board_poll(client, auth, make, db):
    staff = make.member(role="staff")
    thread = make.thread(board=make.board(visibility="staff"), author=staff)
    poll = add_poll(thread, staff)
    auth.login(make.member())
    assert client.post(f"/polls/{poll.id}/vote", data={"option": str(option_ids(poll)[0])}).status_code == 404
    assert client.get(f"/polls/{poll.id}", headers={"Accept": "application/json"}).status_code == 404
    assert client.post(f"/polls/{poll.id}/close").status_code == 404
    assert client.get(f"/t/{thread.id}/poll").status_code == 404
    assert row_count(db, PollBallot) == 0
    auth.logout()
    auth.login(staff)
    assert client.post(f"/polls/{poll.id}/vote", data={"option": str(option_ids(poll)[0])}).status_code == 302


def test_unknown_poll_is_404(client, auth, make):
    auth.login(make.member())
    assert client.post("/polls/999/vote", data={"option": "1"}).status_code == 404


def test_no_votes_in_deleted_or_locked_threads(client, auth, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red = str(option_ids(poll)[0])
    moderator, member = make.member(role="moderator"), make.member()
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(locked_at=utcnow()))
    db.session.commit()
    auth.login(member)
    assert client.post(f"/polls/{poll.id}/vote", data={"option": red}).status_code == 403
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(locked_at=None))
    db.session.commit()
    forum.delete_post(moderator, thread_opening_post(db, thread))  # deletes the thread
    db.session.commit()
    assert client.post(f"/polls/{poll.id}/vote", data={"option": red}).status_code == 410
    auth.logout()
    auth.login(moderator)  # sees the deleted thread, still cannot vote in it
    assert client.post(f"/polls/{poll.id}/vote", data={"option": red}).status_code == 403
    assert row_count(db, PollBallot) == 0


def thread_opening_post(db, thread):
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


@pytest.mark.parametrize("role, may_add, may_hide", [
    (None, False, False), ("member", False, False), ("author", True, False),
    ("moderator", True, False), ("staff", False, True), ("admin", True, True)])
def test_poll_permission_truth_table(make, db, role, may_add, may_hide):
    author = make.member()
    thread = make.thread(author=author)
    poll = add_poll(thread, author)
    who = {None: AnonymousUserMixin(), "author": author}.get(role) or make.member(role=role)
    assert permissions.can_add_poll(who, thread) is may_add
    assert permissions.can_hide_poll_results(who) is may_hide
    assert permissions.can_vote_in_poll(who, poll) is (role is not None)
    assert permissions.can_close_poll(who, poll) is may_add


# ---- CSRF ----------------------------------------------------------------------------------

def test_vote_needs_csrf_token(app, client, auth, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red = str(option_ids(poll)[0])
    auth.login(make.member())
    app.config["WTF_CSRF_ENABLED"] = True
    forged = client.post(f"/polls/{poll.id}/vote", data={"option": red})
    assert forged.status_code == 400 and "form expired" in forged.get_data(as_text=True)
    assert row_count(db, PollBallot) == 0
    token = csrf_token_from(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert client.post(f"/polls/{poll.id}/vote", data={"option": red, "csrf_token": token}).status_code == 302
    assert client.post(f"/polls/{poll.id}/vote", json={"option_ids": [int(red)]},
                       headers={"Accept": "application/json"}).status_code == 400
    assert client.post(f"/polls/{poll.id}/vote", json={"option_ids": [int(red)]},
                       headers={"Accept": "application/json", "X-CSRFToken": token}).status_code == 200
    assert row_count(db, PollBallot) == 1
