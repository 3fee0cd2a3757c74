"""My data lists the member's bookmarks and reactions (what they point at only while the member may see it);
the CRM timeline records a reaction received."""
from __future__ import annotations

from sqlalchemy import select

from community.bookmarks import services as bookmarks
from community.extensions import db
from community.forum.models import Visibility
from community.members.models import Role
from community.moderation.thread_tools import move_thread
from community.reactions import services as reactions
from crm_bridge.models import TimelineEvent


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


def test_a_received_reaction_lands_on_the_authors_crm_timeline_at_its_time(client, auth, make):
    author = make.member("author_r")
    reply = make.post(make.thread(), author=author)
    fan = make.member("fan_r")
    state = reactions.react(fan, reply, "thanks")
    db.session.commit()
    assert state.mine == "thanks"
    (event,) = db.session.scalars(select(TimelineEvent).where(TimelineEvent.member_id == author.id,
                                                              TimelineEvent.kind == "reaction_received")).all()
    assert event.actor_id == fan.id and event.post_id == reply.id and event.data == {"reaction": "thanks"}
    auth.login(make.member(role=Role.staff))
    page = client.get("/crm/members/author_r").get_data(as_text=True)
    assert "Received a reaction (thanks) from fan_r" in page
