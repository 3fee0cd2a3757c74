"""The moderation log shows a line's subject only to readers who may see it (issue 13, item 2).

A moderator does not read the staff board: lines about its threads keep who did what and when, with
the title, link, reason and flag note withheld. An admin reads everything.
"""
from __future__ import annotations

from community.extensions import db
from community.forum import services as forum
from community.members.models import Role
from community.moderation import thread_tools
from community.moderation.flags import flag_post
from community.moderation.posts import hide_post
from tests.conftest import Auth


def _page(app, member) -> str:
    client = app.test_client()
    Auth(client).login(member)
    response = client.get("/mod/log")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_moderators_do_not_see_staff_board_subjects_in_the_log(app, make):
    public, staff_board = make.board(slug="general"), make.board(slug="internal", visibility="staff")
    admin = make.member("ada", role=Role.admin)
    sam, sue = make.member("sam", role=Role.staff), make.member("sue", role=Role.staff)
    mona = make.member("mona", role=Role.moderator)

    secret = forum.start_thread(sam, staff_board, "Zanzibar pricing leak", "Internal numbers.")
    reply = forum.reply(sue, secret, "A staff reply someone should look at.")
    other = forum.reply(sue, secret, "Another staff reply.")
    moved = forum.start_thread(make.member("mia"), public, "Quokka firmware question", "Public at first.")
    shown = forum.start_thread(make.member("max"), public, "Wombat charger thread", "Public and staying so.")
    db.session.commit()
    thread_tools.lock_thread(admin, secret, "Locked: Xylophone contract talks")
    flag_post(sam, reply, "other", "Note: Yodel salary figures inside")
    hide_post(admin, other, "Hidden: Marimba legal advice")
    thread_tools.move_thread(admin, moved, staff_board)
    thread_tools.lock_thread(mona, shown, "Locked: Kazoo duplicates")
    db.session.commit()

    secrets = ("Zanzibar", "Xylophone", "Yodel", "Marimba", "Quokka")
    page = _page(app, mona)
    for word in secrets:
        assert word not in page, word
    assert page.count("a thread on a board you cannot see") >= 5
    for label in ("Thread closed", "Post flagged", "Post hidden", "Thread moved"):
        assert label in page  # the line stays, its subject is withheld
    assert f"/t/{secret.id}" not in page and f"/p/{reply.id}" not in page
    assert "Wombat charger thread" in page and "Kazoo duplicates" in page

    page = _page(app, admin)
    for word in secrets:
        assert word in page, word
    assert "a thread on a board you cannot see" not in page
