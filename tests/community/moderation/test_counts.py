"""Reply, board and member counts stay right through every tool: after each step they equal a recount.

A recount from the rows: a thread's replies are its public replies (not deleted, hidden, pending or
whispers); a board counts its listed threads (not deleted, hidden or pending) and their public posts;
a member counts their public posts and the listed threads they opened.
"""
import pytest
from sqlalchemy import func, select

from community.forum import services as forum
from community.forum.models import Board, Post, Thread
from community.members.models import Member
from community.moderation.posts import hide_post, restore_post, unhide_post
from community.moderation.thread_tools import merge_threads, move_thread, split_thread
from community.permissions import public_post_clause, public_thread_clause

from .conftest import at_level


def _opening(db, thread):
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


def _recount(db) -> dict:
    found = {}
    for thread in db.session.scalars(select(Thread).where(Thread.deleted_at.is_(None))):
        found[f"thread {thread.title} replies"] = db.session.scalar(
            select(func.count()).select_from(Post).where(Post.thread_id == thread.id, Post.number > 1,
                                                         public_post_clause()))
    for board in db.session.scalars(select(Board)):
        found[f"board {board.slug} threads"] = db.session.scalar(
            select(func.count()).select_from(Thread).where(Thread.board_id == board.id, public_thread_clause()))
        found[f"board {board.slug} posts"] = db.session.scalar(
            select(func.count()).select_from(Post).join(Thread, Post.thread_id == Thread.id)
            .where(Thread.board_id == board.id, public_thread_clause(), public_post_clause()))
    for member in db.session.scalars(select(Member)):
        found[f"member {member.username} posts"] = db.session.scalar(
            select(func.count()).select_from(Post).where(Post.author_id == member.id, public_post_clause()))
        found[f"member {member.username} threads"] = db.session.scalar(
            select(func.count()).select_from(Thread).where(Thread.author_id == member.id, public_thread_clause()))
    return found


def _stored(db) -> dict:
    found = {}
    for thread in db.session.scalars(select(Thread).where(Thread.deleted_at.is_(None))):
        found[f"thread {thread.title} replies"] = thread.reply_count
    for board in db.session.scalars(select(Board)):
        found[f"board {board.slug} threads"] = board.thread_count
        found[f"board {board.slug} posts"] = board.post_count
    for member in db.session.scalars(select(Member)):
        found[f"member {member.username} posts"] = member.post_count
        found[f"member {member.username} threads"] = member.thread_count
    return found


@pytest.fixture
def check(db):
    def assert_counts_right(step: str):
        db.session.commit()
        db.session.expire_all()
        stored, truth = _stored(db), _recount(db)
        wrong = {key: (stored[key], truth[key]) for key in truth if stored[key] != truth[key]}
        assert not wrong, f"after {step}: (stored, recounted) {wrong}"

    return assert_counts_right


@pytest.fixture
def world(make, mod):
    alpha, beta = make.board(slug="alpha"), make.board(slug="beta")
    ann, bob, cy = (at_level(make.member(name), 3) for name in ("annie", "bobby", "cyril"))
    one = make.thread(board=alpha, author=ann, title="The first thread here")
    replies = [make.post(one, author=who, body=f"reply {i} to one") for i, who in enumerate((bob, cy, bob))]
    two = make.thread(board=alpha, author=bob, title="The second thread here")
    make.post(two, author=cy, body="reply to two")
    three = make.thread(board=beta, author=cy, title="The third thread here")
    return {"alpha": alpha, "beta": beta, "ann": ann, "bob": bob, "cy": cy, "one": one, "two": two,
            "three": three, "replies": replies, "mod": mod}


def test_counts_survive_hide_reply_and_unhide_of_a_thread(world, check, db):
    w = world
    check("setup")
    opening = _opening(db, w["one"])
    hide_post(w["mod"], opening)
    check("hiding the thread")
    forum.reply(w["ann"], w["one"], "The author replies in their hidden thread")
    check("a reply in a hidden thread")
    unhide_post(w["mod"], opening)
    check("unhiding the thread")


def test_counts_survive_hide_delete_restore_of_replies_and_threads(world, check, db):
    w = world
    reply = w["replies"][0]
    hide_post(w["mod"], reply)
    check("hiding a reply")
    forum.delete_post(w["mod"], reply)
    check("deleting a hidden reply")
    restore_post(w["mod"], reply)
    check("restoring it (still hidden)")
    unhide_post(w["mod"], reply)
    check("unhiding it")
    opening = _opening(db, w["one"])
    hide_post(w["mod"], opening)
    check("hiding the thread")
    forum.delete_post(w["mod"], opening)
    check("deleting the hidden thread")
    restore_post(w["mod"], opening)
    check("restoring it (still hidden)")
    unhide_post(w["mod"], opening)
    check("unhiding it")
    forum.delete_post(w["mod"], opening)
    check("deleting the thread")
    restore_post(w["mod"], opening)
    check("restoring the thread")


def test_counts_survive_moves_of_live_hidden_and_deleted_threads(world, check, db):
    w = world
    move_thread(w["mod"], w["one"], w["beta"])
    check("moving a live thread")
    opening = _opening(db, w["one"])
    hide_post(w["mod"], opening)
    check("hiding it")
    move_thread(w["mod"], w["one"], w["alpha"])
    check("moving the hidden thread")
    unhide_post(w["mod"], opening)
    check("unhiding it on its new board")
    hidden_reply = db.session.scalar(select(Post).where(Post.thread_id == w["two"].id, Post.number == 2))
    hide_post(w["mod"], hidden_reply)
    move_thread(w["mod"], w["two"], w["beta"])
    check("moving a thread with a hidden reply")
    unhide_post(w["mod"], hidden_reply)
    check("unhiding the reply on its new board")


def test_counts_survive_merge_and_split_with_hidden_posts_and_whispers(world, check, db, make):
    w = world
    staff = make.member("rep", role="staff")
    forum.reply(staff, w["two"], "A staff-only note", whisper=True)
    hide_post(w["mod"], w["replies"][1])
    check("a whisper and a hidden reply")
    merge_threads(w["mod"], w["two"], w["one"])
    check("merging two into one")
    ids = [w["replies"][0].id, w["replies"][2].id]
    split_thread(w["mod"], w["one"], ids, "Split off replies", board=w["beta"])
    check("splitting to another board")
    hide_post(w["mod"], _opening(db, w["three"]))
    merge_threads(w["mod"], w["three"], w["one"])
    check("merging a hidden thread")
