"""My data lists the member's bookmarks and reactions; what they point at only while the member may see it."""
from __future__ import annotations

from community.bookmarks import services as bookmarks
from community.extensions import db
from community.forum.models import Visibility
from community.members.models import Role
from community.moderation.thread_tools import move_thread
from community.reactions import services as reactions


def test_my_data_has_my_bookmarks_and_reactions_without_what_i_may_no_longer_see(client, auth, make):
    me = make.member()
    kept = make.thread(title="Wifi tips")
    moved = make.thread(title="Pricing zqmoved")
    reply = make.post(moved)
    bookmarks.add_bookmark(me, thread=kept, note="read later")
    bookmarks.add_bookmark(me, thread=moved)
    reactions.react(me, reply, "thanks")
    db.session.commit()
    move_thread(make.member(role=Role.admin), moved, make.board(visibility=Visibility.staff))
    db.session.commit()
    auth.login(me)
    data = client.get("/me/data.json").get_json()
    assert [(b["title"], b["note"]) for b in data["bookmarks"]] == [("Wifi tips", "read later"), (None, "")]
    assert data["reactions"] == [{"kind": "thanks", "at": data["reactions"][0]["at"], "post_id": None}]
    page = client.get("/me/data").get_data(as_text=True)
    assert "Wifi tips" in page and "no longer available" in page and "zqmoved" not in page
