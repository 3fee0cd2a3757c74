"""What reactions give: reputation per reaction received as admins set it, reversed exactly when a reaction
is changed or taken back; the admins' page; live counts reaching the thread's readers."""
from __future__ import annotations

from community import settings
from community.extensions import db as _db
from community.forum import services as forum
from community.forum.models import Visibility
from community.members.models import Member, Role
from community.reactions import services as reactions
from community.reputation.services import ledger_total
from tests.community.reactions.conftest import fresh
from tests.community.realtime.conftest import received, sockets  # noqa: F401  (the fixture)
from tests.conftest import Auth


def _reputation(db, member_id):
    member = fresh(db, Member, member_id)
    assert member.reputation == ledger_total(member_id)  # the column is always the sum of the ledger
    return member.reputation


def test_a_thanks_gives_its_author_reputation_and_taking_it_back_reverses_it(make, db):
    author = make.member()
    reply = make.post(make.thread(), author=author)
    reader = make.member()
    start = _reputation(db, author.id)
    reactions.react(reader, reply, "thanks")  # default: 2
    db.session.commit()
    assert _reputation(db, author.id) == start + 2
    reactions.react(fresh(db, Member, reader.id), reply, "like")  # default: 1
    db.session.commit()
    assert _reputation(db, author.id) == start + 1
    reactions.react(fresh(db, Member, reader.id), reply, "like")  # taken back
    db.session.commit()
    assert _reputation(db, author.id) == start


def test_a_reversal_takes_back_what_was_given_even_after_admins_changed_the_points(make, db):
    author = make.member()
    reply = make.post(make.thread(), author=author)
    start = _reputation(db, author.id)
    reactions.react(make.member(), reply, "wow")  # default: 0
    settings.save({"reactions.points.like": 7})
    db.session.commit()
    assert _reputation(db, author.id) == start
    reader = make.member()
    reactions.react(reader, reply, "like")
    db.session.commit()
    assert _reputation(db, author.id) == start + 7
    settings.save({"reactions.points.like": 1})
    reactions.react(fresh(db, Member, reader.id), reply, "like")
    db.session.commit()
    assert _reputation(db, author.id) == start


def test_admins_choose_the_offered_reactions_and_their_points(client, auth, make, db):
    auth.login(make.member(role=Role.admin))
    page = client.get("/admin/reactions")
    assert page.status_code == 200 and "Thanks" in page.get_data(as_text=True)
    form = {"on_like": "y", "points_like": "3", "on_thanks": "y", "points_thanks": "5",
            "points_laugh": "0", "points_wow": "0", "points_sad": "0"}
    assert client.post("/admin/reactions", data=form).status_code == 302
    _db.session.rollback()
    assert settings.get("reactions.enabled") == ["like", "thanks"]
    assert settings.get("reactions.points.thanks") == 5
    bad = client.post("/admin/reactions", data=dict(form, points_like="-4"))
    assert bad.status_code == 422 and "from 0 to 1000" in bad.get_data(as_text=True)
    assert "Reactions" in client.get("/admin/").get_data(as_text=True)


def test_members_and_staff_who_are_not_admins_do_not_find_the_admin_page(client, auth, make):
    for role in (Role.member, Role.staff):
        auth.login(make.member(role=role))
        assert client.get("/admin/reactions").status_code == 404
        auth.logout()


def test_live_counts_reach_readers_who_may_see_the_post_only(make, db, sockets):  # noqa: F811
    thread = make.thread()
    reply = make.post(thread)
    reader = sockets()
    assert reader.emit("join_thread", {"thread_id": thread.id}, callback=True)["ok"] is True
    reader.get_received()
    reactions.react(make.member(), reply, "thanks")
    db.session.commit()
    got = received(reader)["reactions"]
    assert got[0]["post_id"] == reply.id and got[0]["counts"] == {"thanks": 1}
    # a post on a staff board: nothing reaches a guest's socket (it could not join that thread anyway)
    staff = make.member(role=Role.staff)
    hidden = make.post(make.thread(board=make.board(visibility=Visibility.staff), author=staff), author=staff)
    reactions.react(make.member(role=Role.staff), hidden, "like")
    db.session.commit()
    assert "reactions" not in received(reader)


def test_live_counts_of_a_whisper_reach_the_staff_room_only(app, make, db, sockets, client, auth):  # noqa: F811
    thread = make.thread()
    staff = make.member(role=Role.staff)
    whisper = forum.reply(staff, thread, "Staff only: check the serial.", whisper=True)
    db.session.commit()
    auth.login(make.member())
    staff_client = app.test_client()
    Auth(staff_client).login(make.member(role=Role.staff))
    member_socket, staff_socket = sockets(client), sockets(staff_client)
    for sio in (member_socket, staff_socket):
        assert sio.emit("join_thread", {"thread_id": thread.id}, callback=True)["ok"] is True
        sio.get_received()
    reactions.react(make.member(role=Role.staff), whisper, "like")
    db.session.commit()
    assert received(staff_socket)["reactions"][0]["post_id"] == whisper.id
    assert "reactions" not in received(member_socket)
