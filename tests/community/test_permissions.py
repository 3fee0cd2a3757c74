"""The permission predicates as a truth table: role x board visibility/kind x action, and over HTTP."""
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from community import permissions as can
from community.dbtypes import utcnow
from community.extensions import db
from community.forum.models import Post
from community.forum.services import delete_post
from community.members.models import Role

ROLES = ["guest", "member", "moderator", "staff", "admin"]

# visibility -> roles that may read
READERS = {
    "public": {"guest", "member", "moderator", "staff", "admin"},
    "members": {"member", "moderator", "staff", "admin"},
    "staff": {"staff", "admin"},
}


def _actor(make, role):
    if role == "guest":
        return AnonymousUserMixin()
    return make.member(role=Role(role))


@pytest.mark.parametrize("visibility", READERS)
@pytest.mark.parametrize("role", ROLES)
def test_read_and_write_truth_table(make, role, visibility):
    board = make.board(visibility=visibility)
    thread = make.thread(board=board, author=make.member(role=Role.admin))
    actor = _actor(make, role)
    may_read = role in READERS[visibility]
    assert can.can_view_board(actor, board) is may_read
    assert can.can_view_thread(actor, thread) is may_read
    assert can.can_start_thread(actor, board) is (may_read and role != "guest")
    assert can.can_reply(actor, thread) is (may_read and role != "guest")
    assert can.can_moderate(actor, board) is (may_read and role in {"moderator", "admin"})


@pytest.mark.parametrize("role,allowed", [("guest", False), ("member", False), ("moderator", False),
                                          ("staff", True), ("admin", True)])
def test_only_staff_start_announcements_but_members_reply(make, role, allowed):
    board = make.board(kind="announcement")
    thread = make.thread(board=board)
    actor = _actor(make, role)
    assert can.can_start_thread(actor, board) is allowed
    assert can.can_reply(actor, thread) is (role != "guest")


@pytest.mark.parametrize("role", ROLES)
def test_deleted_thread_visible_only_to_moderators(make, role):
    board = make.board()
    thread = make.thread(board=board)

    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    delete_post(thread.author, opening)
    db.session.commit()
    actor = _actor(make, role)
    assert can.can_view_thread(actor, thread) is (role in {"moderator", "admin"})
    assert can.can_reply(actor, thread) is False


def test_author_edits_within_window_moderator_always(app, make):
    thread = make.thread()
    post = make.post(thread)
    author = post.author
    later = utcnow() + timedelta(minutes=app.config["EDIT_WINDOW_MINUTES"] + 1)
    assert can.can_edit_post(author, post)
    assert not can.can_edit_post(author, post, now=later)
    assert can.can_edit_post(make.member(role=Role.moderator), post, now=later)
    assert not can.can_edit_post(make.member(), post)
    assert not can.can_edit_post(make.member(role=Role.staff), post)
    assert can.can_delete_post(author, post)
    assert not can.can_delete_post(make.member(), post)


# ---- the same rules over HTTP: a page someone may not see is a 404, never a 403 ---------------

@pytest.mark.parametrize("visibility", READERS)
@pytest.mark.parametrize("role", ROLES)
def test_pages_answer_404_to_those_who_may_not_see(client, auth, make, role, visibility):
    board = make.board(slug=f"b-{visibility}", name=f"Board {visibility}", visibility=visibility)
    thread = make.thread(board=board, title=f"Secret plans for {visibility}", author=make.member(role=Role.admin))
    if role != "guest":
        auth.login(_actor(make, role))
    may_read = role in READERS[visibility]
    expected = 200 if may_read else 404
    assert client.get(f"/b/{board.slug}").status_code == expected
    assert client.get(f"/t/{thread.id}").status_code == expected
    first_post = client.get(f"/p/{thread.id}")  # the opening post's id equals the thread's in a fresh db
    assert first_post.status_code in ((302,) if may_read else (404,))
    for path in ("/", "/latest"):
        page = client.get(path).get_data(as_text=True)
        assert (f"Secret plans for {visibility}" in page) is may_read
        assert (f"Board {visibility}" in page) is may_read
    feed = client.get("/latest.atom").get_data(as_text=True)
    assert (f"Secret plans for {visibility}" in feed) is (visibility == "public")
    assert client.get(f"/b/{board.slug}.atom").status_code == (200 if visibility == "public" else 404)
    new_page = client.get(f"/b/{board.slug}/new")
    if role == "guest":
        assert new_page.status_code == 302 and "/login" in new_page.headers["Location"]
    else:
        assert new_page.status_code == expected


@pytest.mark.parametrize("role,to_other,to_self", [("guest", False, False), ("member", False, False),
                                                   ("moderator", False, False), ("staff", True, False),
                                                   ("admin", True, True)])
def test_grant_to_truth_table(make, role, to_other, to_self):
    actor = _actor(make, role)
    other = make.member()
    assert can.can_grant_to(actor, other) is to_other
    assert can.can_grant_to(actor, actor if role != "guest" else None) is to_self


@pytest.mark.parametrize("role", ROLES)
def test_see_source_follows_view_post_and_view_thread(make, role):
    """A derived row's source is visible exactly when the post (or the thread) is: one rule for every channel."""

    board = make.board(visibility="members")
    thread = make.thread(board=board, author=make.member(role=Role.admin))
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    actor = _actor(make, role)
    assert can.can_see_source(actor) is True  # derived from no content
    assert can.can_see_source(actor, thread=thread) is can.can_view_thread(actor, thread) is (role != "guest")
    assert can.can_see_source(actor, thread=thread, post=post) is can.can_view_post(actor, post)
    post.is_whisper = True
    assert can.can_see_source(actor, post=post) is (role in {"moderator", "staff", "admin"})
    db.session.rollback()


@pytest.mark.parametrize("who", ["guest", "member", "author", "staff", "moderator"])
def test_the_bound_visible_post_clause_selects_what_visible_post_clause_selects(make, who):
    """A thread page's statement is built once per `visible_post_shape` with the reader's id bound: same posts."""
    author, moderator = make.member(), make.member(role=Role.moderator)
    thread = make.thread()
    plain, own = make.post(thread), make.post(thread, author=author)
    hidden, own_pending, deleted = make.post(thread), make.post(thread, author=author), make.post(thread)
    whisper = make.post(thread, author=moderator)
    whisper.is_whisper = True
    own_pending.pending = True
    hidden.hidden_at = deleted.deleted_at = utcnow()
    db.session.commit()
    member = {"guest": AnonymousUserMixin(), "member": make.member(), "author": author,
              "staff": make.member(role=Role.staff), "moderator": moderator}[who]
    expected = set(db.session.scalars(select(Post.id).where(Post.thread_id == thread.id,
                                                            can.visible_post_clause(member))))
    shape = can.visible_post_shape(member)
    if shape is None:
        assert who == "moderator" and {plain.id, hidden.id, deleted.id, whisper.id, own_pending.id} <= expected
        return
    bound = set(db.session.scalars(select(Post.id).where(Post.thread_id == thread.id,
                                                         can.visible_post_bound_clause(*shape)),
                                   {"member_id": getattr(member, "id", None)}))
    assert bound == expected and plain.id in bound and hidden.id not in bound and deleted.id not in bound
    assert (own.id in bound and own_pending.id in bound) == (who == "author")
