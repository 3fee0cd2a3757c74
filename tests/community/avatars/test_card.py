"""The user card (GET /u/<username>/card): what a guest, a member, the member themself and a moderator see."""
from __future__ import annotations

import re

from community.extensions import db
from community.members.models import Role
from community.moderation.restrictions import suspend_member


def test_every_member_name_opens_the_card_and_the_script_is_on_the_page(client, make):
    author = make.member("carla")
    thread = make.thread(author=author)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert '<a class="member" href="/u/carla" data-usercard><bdi>carla</bdi></a>' in page  # the profile without JS
    assert '<script src="/static/js/usercard.js" defer></script>' in page
    assert client.get("/static/js/usercard.js").status_code == 200


def test_a_guest_sees_name_avatar_trust_level_joined_last_seen_and_posts(client, make):
    member = make.member("dora")
    thread = make.thread(author=member)
    make.post(thread, author=member)
    response = client.get("/u/dora/card")
    card = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in card  # a fragment
    assert '<bdi>dora</bdi>' in card and "avatar-letter" in card and ">D</span>" in card
    assert "Trust level 0" in card and "Joined" in card and "Last seen" in card
    assert re.search(r"<dt>Posts</dt><dd>2</dd>", card)
    assert "Follow</button>" not in card and "/messages/new" not in card  # guests cannot follow nor write


def test_a_member_can_follow_and_message_from_the_card_but_not_themself(client, auth, make):
    make.member("erin")
    me = make.member("frank")
    auth.login(me)
    card = client.get("/u/erin/card").get_data(as_text=True)
    assert 'action="/u/erin/follow"' in card and 'name="csrf_token"' in card and ">Follow</button>" in card
    assert "/messages/new" not in card  # trust level 0 may write to the team, not to members
    me.trust_level = 1
    db.session.commit()
    card = client.get("/u/erin/card").get_data(as_text=True)
    assert 'href="/messages/new?to=erin"' in card and "Send a private message" in card
    client.post("/u/erin/follow")
    card = client.get("/u/ERIN/card").get_data(as_text=True)
    assert 'action="/u/erin/unfollow"' in card and ">Unfollow</button>" in card
    assert re.search(r'<dt>Followers</dt><dd class="followers-count">1</dd>', card)
    own = client.get("/u/frank/card").get_data(as_text=True)
    assert "Follow</button>" not in own and "/messages/new" not in own


def test_unknown_and_deleted_members_have_no_card(client, auth, make):
    gone = make.member("gone")
    assert client.get("/u/nobody-here/card").status_code == 404
    auth.login(gone)
    client.post("/settings/delete-account", data={"password": make.PASSWORD})
    assert client.get(f"/u/_deleted{gone.id}/card").status_code == 404


def test_a_suspension_shows_on_the_card_only_to_those_who_may_lift_it(app, client, auth, make):
    moderator = make.member("mod", role=Role.moderator)
    target = make.member("henry")
    suspend_member(moderator, target, 7, "Spam")
    db.session.commit()
    assert "suspended" not in client.get("/u/henry/card").get_data(as_text=True)
    auth.login(moderator)
    assert "This account is suspended until" in client.get("/u/henry/card").get_data(as_text=True)


def test_staff_are_marked_on_their_card(client, make):
    make.member("iris", role=Role.staff)
    assert '<span class="badge badge-official">Staff</span>' in client.get("/u/iris/card").get_data(as_text=True)
