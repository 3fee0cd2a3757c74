"""Custom badges and the rewards catalogue through the admin pages: create, edit, enable/disable, delete;
a custom rule grants its badge when met and not before, on the same path as the built-in badges."""
from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import func, select

from community.extensions import db
from community.forum.models import BoardKind, IdeaStatus
from community.ideas import services as ideas
from community.members.models import Member
from community.reputation.models import Badge, BadgeGrant
from community.rewards import services as rewards
from community.rewards.models import Redemption, Reward
from community.votes.services import cast_vote

BADGE = {"name": "Chatty", "name_zh": "话痨", "description": "", "description_zh": "", "icon": "💬",
         "level": "silver", "rule": "posts_count", "threshold": "3"}


def admin_post(as_role, path: str, data: dict | None = None):
    response = as_role("admin").post(path, data=data or {})
    g.pop("site_settings", None)
    g.pop("badge_rows", None)
    return response


def holds(member, slug: str) -> bool:
    db.session.expire_all()
    return bool(db.session.scalar(select(func.count()).select_from(BadgeGrant).join(Badge)
                                  .where(BadgeGrant.member_id == member.id, Badge.slug == slug)))


def badge(slug: str) -> Badge | None:
    db.session.expire_all()
    return db.session.scalar(select(Badge).where(Badge.slug == slug))


def test_an_admin_creates_a_badge_whose_rule_grants_it_when_met_and_not_before(make, people, as_role, client):
    assert admin_post(as_role, "/admin/gamification/badges/new", BADGE).status_code == 302
    created = badge("chatty")
    assert (created.name, created.name_zh, created.rule, created.threshold, created.level.value) == (
        "Chatty", "话痨", "posts_count", 3, "silver")
    ann = make.member("ann")
    thread = make.thread(author=ann)  # 1 post
    make.post(thread, author=ann)  # 2
    assert not holds(ann, "chatty")
    make.post(thread, author=ann)  # 3
    assert holds(ann, "chatty")
    db.session.expire_all()
    assert db.session.get(Member, ann.id).reputation >= 10  # a silver badge's reputation
    en = client.get("/badges", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'id="badge-chatty"' in en and "Chatty" in en and "Wrote 3 posts." in en
    zh = client.get("/u/ann", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "话痨" in zh
    holders = client.get("/badges/chatty").get_data(as_text=True)
    assert "/u/ann" in holders


def test_a_reputation_rule_grants_when_reputation_is_reached(make, people, as_role):
    admin_post(as_role, "/admin/gamification/badges/new", {**BADGE, "name": "Respected", "rule": "reputation",
                                                           "threshold": "20", "level": "bronze"})
    author = make.member("author")
    post = make.post(make.thread(), author=author)
    cast_vote(make.member("voter_one"), post, 1)
    db.session.commit()
    assert not holds(author, "respected")
    cast_vote(make.member("voter_two"), post, 1)
    db.session.commit()
    assert holds(author, "respected")


def test_an_ideas_shipped_rule_grants_when_the_idea_ships(make, people, as_role):
    admin_post(as_role, "/admin/gamification/badges/new", {**BADGE, "name": "Shipper", "rule": "ideas_shipped",
                                                           "threshold": "1"})
    author = make.member("author")
    idea = make.thread(make.board(kind=BoardKind.idea), author=author)
    ideas.change_idea_status(people["staff"], idea, IdeaStatus.planned, "")
    db.session.commit()
    assert not holds(author, "shipper")
    ideas.change_idea_status(people["staff"], idea, IdeaStatus.shipped, "")
    db.session.commit()
    assert holds(author, "shipper")


@pytest.mark.parametrize("field, value, message", [
    ("name", " ", "A name of 2 to 100 characters."),
    ("icon", "<b>", "Choose one of the icons."),
    ("level", "platinum", "Choose bronze, silver or gold."),
    ("rule", "karma", "Choose one of the rules."),
    ("threshold", "0", "Enter a whole number from 1 to"),
    ("threshold", "ten", "Enter a whole number from 1 to"),
    ("description", "x" * 256, "At most 255 characters."),
])
def test_bad_badge_input_is_named_and_nothing_is_saved(people, as_role, field, value, message):
    response = admin_post(as_role, "/admin/gamification/badges/new", {**BADGE, field: value})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Badge).where(Badge.rule.is_not(None))) == 0


def test_a_disabled_badge_is_not_granted_and_holders_keep_it(make, people, as_role, client):
    admin_post(as_role, "/admin/gamification/badges/new", {**BADGE, "threshold": "1"})
    early = make.member("early")
    make.thread(author=early)
    assert holds(early, "chatty")
    assert admin_post(as_role, "/admin/gamification/badges/chatty/enabled", {"enabled": "0"}).status_code == 302
    late = make.member("late")
    make.thread(author=late)
    assert holds(early, "chatty") and not holds(late, "chatty")
    assert 'id="badge-chatty"' not in client.get("/badges").get_data(as_text=True)
    admin_post(as_role, "/admin/gamification/badges/chatty/enabled", {"enabled": "1"})
    make.post(make.thread(), author=late)
    assert holds(late, "chatty")


def test_a_built_in_badge_can_be_disabled_not_edited(make, people, as_role, client):
    assert admin_post(as_role, "/admin/gamification/badges/first-thread/enabled", {"enabled": "0"}).status_code == 302
    ann = make.member("ann")
    make.thread(author=ann)
    assert not holds(ann, "first-thread") and holds(ann, "welcome")
    assert 'id="badge-first-thread"' not in client.get("/badges").get_data(as_text=True)
    assert as_role("admin").get("/admin/gamification/badges/first-thread/edit").status_code == 404
    assert admin_post(as_role, "/admin/gamification/badges/first-thread/delete").status_code == 404
    assert admin_post(as_role, "/admin/gamification/badges/no-such/enabled", {"enabled": "0"}).status_code == 404
    admin_post(as_role, "/admin/gamification/badges/first-thread/enabled", {"enabled": "1"})
    make.thread(author=ann)
    assert holds(ann, "first-thread")


def test_an_admin_edits_a_custom_badge_and_its_slug_stays(people, as_role):
    admin_post(as_role, "/admin/gamification/badges/new", BADGE)
    response = admin_post(as_role, "/admin/gamification/badges/chatty/edit",
                          {**BADGE, "name": "Talkative", "threshold": "7", "icon": "🔥"})
    assert response.status_code == 302
    edited = badge("chatty")
    assert (edited.name, edited.threshold, edited.icon) == ("Talkative", 7, "🔥")
    bad = admin_post(as_role, "/admin/gamification/badges/chatty/edit", {**BADGE, "threshold": "-1"})
    assert bad.status_code == 422 and badge("chatty").threshold == 7


def test_a_badge_with_holders_cannot_be_deleted_only_disabled(make, people, as_role):
    admin_post(as_role, "/admin/gamification/badges/new", {**BADGE, "threshold": "1"})
    make.thread(author=make.member("ann"))
    page = as_role("admin").get("/admin/gamification/badges/chatty/delete").get_data(as_text=True)
    assert "1 member holds this badge, so it cannot be deleted" in page
    response = admin_post(as_role, "/admin/gamification/badges/chatty/delete")
    assert response.status_code == 409 and "disable it instead" in response.get_data(as_text=True)
    assert badge("chatty") is not None


def test_a_badge_nobody_holds_is_deleted(people, as_role):
    admin_post(as_role, "/admin/gamification/badges/new", BADGE)
    assert admin_post(as_role, "/admin/gamification/badges/chatty/delete").status_code == 302
    assert badge("chatty") is None


def test_slugs_of_new_badges_never_collide(people, as_role):
    admin_post(as_role, "/admin/gamification/badges/new", BADGE)
    admin_post(as_role, "/admin/gamification/badges/new", BADGE)
    admin_post(as_role, "/admin/gamification/badges/new", {**BADGE, "name": "Welcome"})  # a built-in's slug
    admin_post(as_role, "/admin/gamification/badges/new", {**BADGE, "name": "热心"})  # no latin letters
    slugs = set(db.session.scalars(select(Badge.slug).where(Badge.rule.is_not(None))))
    assert slugs == {"chatty", "chatty-2", "welcome-2", "badge"}


@pytest.mark.parametrize("custom", [2, 12])
def test_badge_pages_cost_a_fixed_number_of_queries(people, as_role, client, count_queries, custom):
    for n in range(custom):
        admin_post(as_role, "/admin/gamification/badges/new", {**BADGE, "name": f"Badge {n}"})
    admin = as_role("admin")
    with count_queries() as statements:
        assert admin.get("/admin/gamification/badges").status_code == 200
    assert len(statements) <= 9, "\n".join(statements)  # +1: unread conversations in the header; +1: the header's Boards menu (site.nav_boards)
    with count_queries() as statements:
        assert client.get("/badges").status_code == 200
    assert len(statements) <= 4, "\n".join(statements)  # +1: the boards of the header's Boards menu (site.nav_boards)


# ---- rewards catalogue -----------------------------------------------------------------------------

def test_staff_withdraw_offer_again_and_delete_an_unredeemed_reward(make, people, as_role, client):
    staff = as_role("staff")
    assert staff.post("/rewards/manage", data={"reward-name": "Mug", "reward-kind": "gift", "reward-cost": "50",
                                               "reward-stock": "3", "reward-active": "y"}).status_code == 302
    mug = db.session.scalar(select(Reward).where(Reward.name == "Mug"))
    mug_id = mug.id
    assert staff.post(f"/rewards/manage/{mug.id}/active", data={"active": "0"}).status_code == 302
    assert "Mug" not in client.get("/rewards").get_data(as_text=True)
    staff.post(f"/rewards/manage/{mug.id}/active", data={"active": "1"})
    assert "Mug" in client.get("/rewards").get_data(as_text=True)
    assert staff.post(f"/rewards/manage/{mug.id}", data={"reward-name": "Big mug", "reward-kind": "gift",
                                                          "reward-cost": "75", "reward-stock": "9",
                                                          "reward-active": "y"}).status_code == 302
    db.session.expire_all()
    assert (db.session.get(Reward, mug.id).cost, db.session.get(Reward, mug.id).stock) == (75, 9)
    assert "Nobody has redeemed this reward" in staff.get(f"/rewards/manage/{mug_id}/delete").get_data(as_text=True)
    assert staff.post(f"/rewards/manage/{mug_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Reward, mug_id) is None


def test_a_redeemed_reward_cannot_be_deleted(make, people, as_role):
    mug = rewards.create_reward(people["staff"], rewards.RewardInput(name="Mug", cost=10, stock=5))
    ann = make.member("ann")
    rewards.grant_points(people["staff"], ann, 10, "welcome gift")
    rewards.redeem(ann, mug.id)
    db.session.commit()
    response = as_role("admin").post(f"/rewards/manage/{mug.id}/delete")
    assert response.status_code == 409 and "stop offering it instead" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Reward, mug.id) is not None
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1


@pytest.mark.parametrize("role", ["guest", "member", "moderator"])
def test_others_cannot_withdraw_or_delete_rewards(people, as_role, role):
    mug = rewards.create_reward(people["staff"], rewards.RewardInput(name="Mug", cost=10, stock=5))
    db.session.commit()
    client = as_role(role)
    for path, data in ((f"/rewards/manage/{mug.id}/active", {"active": "0"}), (f"/rewards/manage/{mug.id}/delete", {})):
        response = client.post(path, data=data)
        assert response.status_code == (302 if role == "guest" else 404)
    db.session.expire_all()
    assert db.session.get(Reward, mug.id).active is True
