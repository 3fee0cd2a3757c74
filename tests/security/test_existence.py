"""What a reader may not see does not exist for them: 404, never a redirect or a 200 (issue 13, item 8)."""
from __future__ import annotations

import pytest

from community.extensions import db
from community.forum import services as forum
from community.members.models import Role
from tests.conftest import Auth


def _client(app, member=None):
    client = app.test_client()
    if member is not None:
        Auth(client).login(member)
    return client


def test_tag_used_only_on_staff_boards_is_404_for_those_who_cannot_read_them(app, make):
    staff_board = make.board(visibility="staff")
    sam = make.member("sam", role=Role.staff)
    thread = forum.start_thread(sam, staff_board, "Launch plan for next quarter", "Internal.", tags=["codename"])
    db.session.commit()
    assert thread.tags
    mia = make.member("mia")
    for who in (None, mia):
        client = _client(app, who)
        assert client.get("/tag/codename").status_code == 404
        assert client.get("/tag/codename?page=2").status_code == 404
        assert client.get("/tag/never-used").status_code == 404
    page = _client(app, sam).get("/tag/codename")
    assert page.status_code == 200 and "Launch plan for next quarter" in page.get_data(as_text=True)


def test_tag_on_a_public_thread_still_answers(app, make):
    mia = make.member("mia")
    forum.start_thread(mia, make.board(), "Router keeps rebooting", "Help please.", tags=["router"])
    db.session.commit()
    assert _client(app).get("/tag/router").status_code == 200


@pytest.fixture
def whispered(make):
    board = make.board()
    thread = make.thread(board=board)
    sam = make.member("sam", role=Role.staff)
    whisper = forum.reply(sam, thread, "Staff-only note about this customer.", whisper=True)
    deleted_whisper = forum.reply(sam, thread, "Another staff-only note, then withdrawn.", whisper=True)
    db.session.commit()
    forum.delete_post(sam, deleted_whisper)
    db.session.commit()
    return thread, whisper, deleted_whisper, sam


@pytest.mark.parametrize("path", ["/p/{id}", "/p/{id}/history", "/live/posts/{id}"])
def test_whisper_permalinks_are_404_for_readers_who_cannot_see_whispers(app, make, whispered, path):
    thread, whisper, deleted_whisper, sam = whispered
    mia = make.member("mia")
    for who in (None, mia):
        client = _client(app, who)
        for post in (whisper, deleted_whisper):
            response = client.get(path.format(id=post.id))
            assert response.status_code == 404, (who, post.id, response.headers.get("Location"))
    staff = _client(app, sam).get(path.format(id=whisper.id))
    assert staff.status_code in (200, 302)


@pytest.mark.parametrize("method, path", [("get", "/p/{id}/edit"), ("post", "/p/{id}/delete"),
                                          ("post", "/p/{id}/vote")])
def test_whisper_tools_are_404_not_403_for_members(app, make, whispered, method, path):
    thread, whisper, _deleted, _sam = whispered
    client = _client(app, make.member("mia"))
    response = getattr(client, method)(path.format(id=whisper.id), data={"value": "1"})
    assert response.status_code == 404


def test_pending_post_permalink_is_404_for_others_and_found_by_its_author(app, make):
    thread = make.thread(board=make.board())
    newbie = make.member("newbie")
    post = forum.reply(newbie, thread, "My first reply, waiting for a moderator.")
    post.pending = True
    db.session.commit()
    assert _client(app).get(f"/p/{post.id}").status_code == 404
    assert _client(app, make.member("mia")).get(f"/p/{post.id}").status_code == 404
    assert _client(app, newbie).get(f"/p/{post.id}").status_code == 302


def test_pending_thread_is_404_not_410(app, make):
    board = make.board()
    newbie = make.member("newbie")
    thread = forum.start_thread(newbie, board, "A first thread awaiting approval", "Hello all.")
    thread.pending = True
    db.session.commit()
    assert _client(app).get(f"/t/{thread.id}").status_code == 404
    assert _client(app, newbie).get(f"/t/{thread.id}").status_code == 200


def test_a_deleted_public_reply_still_leads_to_its_marker(app, make):
    thread = make.thread(board=make.board())
    author = make.member("mia")
    post = make.post(thread, author=author)
    forum.delete_post(author, post)
    db.session.commit()
    assert _client(app).get(f"/p/{post.id}").status_code == 302


def test_a_whisper_cannot_become_the_accepted_answer(app, make):
    """The thread shows its accepted answer's id to every reader (Solved badge, API, live events)."""
    board = make.board(kind="question")
    thread = make.thread(board=board)
    mona = make.member("mona", role=Role.moderator)
    whisper = forum.reply(mona, thread, "Staff-only: the real fix is the beta firmware.", whisper=True)
    db.session.commit()
    response = _client(app, mona).post(f"/t/{thread.id}/accept", data={"post_id": str(whisper.id)},
                                       headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert "whisper" in response.get_json()["error"]["message"]
    api = _client(app).get(f"/api/v1/threads/{thread.id}").get_json()
    assert api["thread"]["accepted_post_id"] is None
