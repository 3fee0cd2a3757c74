"""Created, edited, moved, retagged, answered, voted and deleted content shows up as it is after commit."""
from __future__ import annotations

from sqlalchemy import select

from community import search
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Post
from community.members.models import Role
from community.moderation.thread_tools import move_thread, retag_thread
from community.signals import member_updated
from tests.community.search.conftest import titles


def _opening(thread) -> Post:
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


def test_new_threads_and_replies_are_found_after_commit(make, find):
    thread = make.thread(title="Kettle whistles too early")
    assert titles(find("kettle")) == ["Kettle whistles too early"]
    make.post(thread, body="Mine does that too: descale the kettle.")
    assert find("descale")["items"][0]["number"] == 2


def test_a_rolled_back_thread_is_never_indexed(make, find, app):
    author, board = make.member(), make.board()
    forum.start_thread(author, board, "Toaster never committed", "This transaction is rolled back.")
    db.session.rollback()
    make.thread(title="Another commit afterwards")  # a later commit must not carry the rolled-back change
    assert find("toaster")["total"] == 0


def test_edits_replace_the_old_words(make, find):
    thread = make.thread(title="Blender is loud", body="The blender sounds like a jet engine.")
    forum.edit_post(thread.author, _opening(thread), "Now it purrs quietly.", title="Blender is quiet now")
    db.session.commit()
    assert find("engine")["total"] == 0
    assert titles(find("purrs")) == ["Blender is quiet now"]
    assert titles(find("quiet")) == ["Blender is quiet now"]
    assert find("loud")["total"] == 0


def test_moved_and_retagged_threads_follow_their_new_board_and_tags(make, find):
    first, second = make.board(slug="first"), make.board(slug="second")
    thread = make.thread(board=first, title="Fridge hums at night")
    make.post(thread, body="The fridge hums here too.")
    mod = make.member(role=Role.moderator)
    move_thread(mod, thread, second)
    retag_thread(mod, thread, "appliances")
    db.session.commit()
    assert find("fridge board:first")["total"] == 0
    assert find("fridge board:second")["total"] == 2
    assert find("fridge tag:appliances")["total"] == 2


def test_deleting_a_reply_or_a_thread_removes_it_from_results(make, find):
    thread = make.thread(title="Oven light broken", body="The oven light stays dark.")
    reply = make.post(thread, body="Replace the oven bulb.")
    forum.delete_post(reply.author, reply)
    db.session.commit()
    assert find("bulb")["total"] == 0
    assert find("oven")["total"] == 1
    forum.delete_post(thread.author, _opening(thread))
    db.session.commit()
    assert find("oven")["total"] == 0


def test_a_reply_makes_a_thread_answered(make, find):
    thread = make.thread(title="Dishwasher leaves spots")
    assert titles(find("dishwasher is:unanswered")) == ["Dishwasher leaves spots"]
    make.post(thread, body="Use rinse aid.")
    assert find("dishwasher is:unanswered")["total"] == 0


def test_renamed_member_is_found_under_the_new_name(make, find, app):
    member = make.member("oldname")
    make.thread(author=member, title="Vacuum loses suction")
    member.username, member.username_key = "newname", "newname"
    member_updated.send(member, fields=["username"])
    db.session.commit()
    assert find("author:newname")["total"] == 1
    assert find("author:oldname")["total"] == 0


def test_wait_reports_an_empty_queue(app):
    assert search.wait(1)


def test_a_vote_on_a_reply_rewrites_that_reply_only_not_its_threads_opening(make, app, monkeypatch):
    """The opening post's document carries nothing a reply's vote moves (its score is the reply's own)."""
    from community.search.backends import backend  # noqa: PLC0415
    from community.votes.services import cast_vote  # noqa: PLC0415
    thread = make.thread()
    reply = make.post(thread)
    db.session.commit()
    assert search.wait()
    handed = []
    index = backend(app)
    plain = index.changed
    monkeypatch.setattr(index, "changed", lambda session, changed: (handed.append(changed), plain(session, changed)))
    cast_vote(make.member(), reply, 1)
    db.session.commit()
    assert [(set(c["posts"]), set(c["openings"]), set(c["threads"])) for c in handed] == [({reply.id}, set(), set())]
