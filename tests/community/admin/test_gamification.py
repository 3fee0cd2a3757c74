"""Gamification settings (/admin/gamification): who may open and change them (admins; rewards: staff too),
points per action and limits (checked, all or nothing, applied to the next event only), idea status labels
(shown everywhere in both languages; the status code stays)."""
from __future__ import annotations

import pytest
from flask import g
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from community import permissions as can
from community import settings
from community.extensions import db
from community.forum.models import BoardKind, IdeaStatus, Post
from community.ideas import services as ideas
from community.members.models import Member, Role
from community.qa import services as qa
from community.reputation.models import Badge, ReputationEntry, ReputationReason
from community.rewards.models import PointsEntry, Reward
from community.settings import SiteSetting
from community.votes.services import cast_vote

from .conftest import ROLES, assert_admin_form_answer, assert_admin_page_answer

POINTS = {"upvote": "10", "downvote": "-2", "accepted_answer": "15", "badge_bronze": "0", "badge_silver": "10",
          "badge_gold": "25", "daily_limit": "0", "points_per_reputation": "1"}


@pytest.fixture
def world(make, people):
    custom = Badge(slug="regular", name="Regular", icon="🏅", rule="posts_count", threshold=5)
    db.session.add(custom)
    db.session.commit()
    return {"badge": custom}


def state() -> tuple:
    db.session.expire_all()
    stored = db.session.execute(select(SiteSetting.key, SiteSetting.value).order_by(SiteSetting.key)).all()
    badge_rows = db.session.execute(select(Badge.slug, Badge.name, Badge.enabled, Badge.threshold)
                                    .order_by(Badge.slug)).all()
    rewards = db.session.execute(select(Reward.name, Reward.active).order_by(Reward.id)).all()
    return stored, badge_rows, rewards


PAGE_GETS = {
    "/admin/gamification/points": {"admin"},
    "/admin/gamification/idea-statuses": {"admin"},
    "/admin/gamification/badges": {"admin"},
    "/admin/gamification/badges/new": {"admin"},
    "/admin/gamification/badges/regular/edit": {"admin"},
    "/admin/gamification/badges/regular/delete": {"admin"},
    "/rewards/manage": {"staff", "admin"},
    "/rewards/manage/redemptions": {"staff", "admin"},
}

PAGE_POSTS = {
    ("/admin/gamification/points", tuple({**POINTS, "upvote": "7"}.items())): {"admin"},
    ("/admin/gamification/idea-statuses", (("planned_en", "On the list"),)): {"admin"},
    ("/admin/gamification/badges/new", (("name", "Chatty"), ("icon", "💬"), ("level", "bronze"),
                                        ("rule", "posts_count"), ("threshold", "3"))): {"admin"},
    ("/admin/gamification/badges/regular/edit", (("name", "Renamed"), ("icon", "🏅"), ("level", "silver"),
                                                 ("rule", "posts_count"), ("threshold", "9"))): {"admin"},
    ("/admin/gamification/badges/regular/enabled", (("enabled", "0"),)): {"admin"},
    ("/admin/gamification/badges/first-post/enabled", (("enabled", "0"),)): {"admin"},
    ("/admin/gamification/badges/regular/delete", ()): {"admin"},
    ("/rewards/manage", (("reward-name", "Mug"), ("reward-kind", "gift"), ("reward-cost", "50"),
                         ("reward-stock", "3"), ("reward-active", "y"))): {"staff", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", sorted(PAGE_GETS))
def test_gamification_pages_open_only_for_their_roles(world, as_role, role, path):
    response = as_role(role).get(path)
    assert_admin_page_answer(response, role, PAGE_GETS[path])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(PAGE_POSTS), ids=lambda a: a[0] if isinstance(a, tuple) else a)
def test_gamification_forms_refuse_other_roles_and_change_nothing(world, as_role, role, action):
    path, form = action
    before = state()
    response = as_role(role).post(path, data=dict(form))
    assert_admin_form_answer(response, role, PAGE_POSTS[action], changed=state() != before)


def test_the_admin_index_lists_gamification_for_admins_and_rewards_for_staff(people, as_role):
    admin = as_role("admin").get("/admin").get_data(as_text=True)
    staff = as_role("staff").get("/admin").get_data(as_text=True)
    assert 'data-section="gamification"' in admin and 'data-section="rewards"' in admin
    assert 'data-section="gamification"' not in staff and 'data-section="rewards"' in staff


def admin_post(as_role, path: str, data: dict):
    """Post as the admin, then forget what this test's app context cached of the settings (a request has its own)."""
    response = as_role("admin").post(path, data=data)
    g.pop("site_settings", None)
    g.pop("badge_rows", None)
    return response


# ---- points per action --------------------------------------------------------------------------------

def test_the_points_page_shows_the_current_values(people, as_role):
    page = as_role("admin").get("/admin/gamification/points").get_data(as_text=True)
    assert 'name="upvote" type="text" value="10"' in page and 'name="downvote" type="text" value="-2"' in page


@pytest.mark.parametrize("field, value", [
    ("upvote", "abc"), ("upvote", "1.5"), ("upvote", ""), ("upvote", "1_0"), ("upvote", "1001"),
    ("downvote", "5"), ("accepted_answer", "-1"), ("daily_limit", "-3"), ("points_per_reputation", "1e3"),
    ("badge_gold", "٣"),
])
def test_bad_points_are_named_and_nothing_is_saved(people, as_role, field, value):
    response = admin_post(as_role, "/admin/gamification/points", data={**POINTS, "accepted_answer": "20", field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a whole number from" in page and "Please correct the marked fields." in page
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SiteSetting)) == 0  # not even the good field
    assert settings.get("reputation.points.accepted_answer") == 15


def upvote(voter, post, value=1):
    cast_vote(voter, post, value)
    db.session.commit()


def vote_entries(member) -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReputationEntry.delta).where(
        ReputationEntry.member_id == member.id, ReputationEntry.reason != ReputationReason.badge)
        .order_by(ReputationEntry.id)))


def test_a_changed_upvote_value_applies_to_the_next_vote_only(make, people, as_role):
    author, first, second = make.member("author"), make.member("first"), make.member("second")
    post = make.post(make.thread(), author=author)
    upvote(first, post)
    assert admin_post(as_role, "/admin/gamification/points", data={**POINTS, "upvote": "3"}).status_code == 302
    upvote(second, post)
    assert vote_entries(author) == [10, 3]  # the earlier vote keeps what it gave
    upvote(first, post, 0)
    assert vote_entries(author) == [10, 3, -10]  # a withdrawn vote takes back exactly what it gave
    page = as_role("admin").get("/admin/gamification/points").get_data(as_text=True)
    assert 'name="upvote" type="text" value="3"' in page


def test_a_changed_accepted_answer_value_and_points_rate_apply_to_the_next_answer(make, people, as_role):
    asker, answerer = make.member("asker"), make.member("answerer")
    board = make.board(kind=BoardKind.question)
    assert admin_post(as_role, "/admin/gamification/points", data={
        **POINTS, "accepted_answer": "40", "points_per_reputation": "2"}).status_code == 302
    answer = make.post(make.thread(board, author=asker), author=answerer)
    qa.accept_answer(asker, answer)
    db.session.commit()
    assert vote_entries(answerer) == [40]
    earned = db.session.scalars(select(PointsEntry.delta).where(PointsEntry.member_id == answerer.id,
                                                                PointsEntry.source == f"answer:{answer.id}")).all()
    assert earned == [80]


def test_the_daily_limit_caps_reputation_from_votes(make, people, as_role):
    author = make.member("author")
    post = make.post(make.thread(), author=author)
    assert admin_post(as_role, "/admin/gamification/points", data={**POINTS, "daily_limit": "15"}).status_code == 302
    for name in ("voter_one", "voter_two", "voter_three"):
        upvote(make.member(name), post)
    assert vote_entries(author) == [10, 5]  # the third upvote earns nothing today
    upvote(make.member("voter_four"), post, -1)
    assert vote_entries(author) == [10, 5, -2]  # downvotes always count


def test_badge_level_points_apply_to_the_next_badge(make, people, as_role):
    assert admin_post(as_role, "/admin/gamification/points", data={**POINTS, "badge_bronze": "4"}).status_code == 302
    newcomer = make.member("newcomer")  # earns "welcome", a bronze badge
    db.session.expire_all()
    assert db.session.get(Member, newcomer.id).reputation == 4


def test_the_rewards_page_shows_the_points_in_force(client, make, people, as_role):
    admin_post(as_role, "/admin/gamification/points", data={**POINTS, "upvote": "6", "points_per_reputation": "3"})
    page = client.get("/rewards").get_data(as_text=True)
    assert "(18 points)" in page and "You earn 3 points for every point of reputation" in page


# ---- idea status labels --------------------------------------------------------------------------------

@pytest.fixture
def idea(make, people):
    board = make.board("ideas", kind=BoardKind.idea, name="Ideas")
    thread = make.thread(board, author=people["member"], title="Dark mode please")
    ideas.change_idea_status(people["staff"], thread, IdeaStatus.under_review, "")
    db.session.commit()
    return thread


def test_a_relabelled_status_shows_on_the_idea_page_in_both_languages(client, idea, as_role):
    response = admin_post(as_role, "/admin/gamification/idea-statuses", data={"under_review_en": "Being weighed", "under_review_zh": "正在权衡"})
    assert response.status_code == 302
    en = client.get(f"/t/{idea.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    zh = client.get(f"/t/{idea.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Being weighed" in en and "Under review" not in en and "正在权衡" not in en
    assert "正在权衡" in zh and "Being weighed" not in zh
    board = client.get("/b/ideas", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Being weighed" in board  # the row badge and the status filter
    roadmap = client.get("/roadmap", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Being weighed" in roadmap
    api = client.get(f"/api/v1/threads/{idea.id}").get_json()
    assert api["thread"]["idea_status"] == "under_review" and "Being weighed" not in str(api)


def test_an_empty_chinese_label_falls_back_to_the_built_in_translation(client, idea, as_role):
    admin_post(as_role, "/admin/gamification/idea-statuses", data={"under_review_en": "Being weighed"})
    zh = client.get(f"/t/{idea.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Being weighed" not in zh
    admin_post(as_role, "/admin/gamification/idea-statuses", data={})
    en = client.get(f"/t/{idea.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Under review" in en and "Being weighed" not in en


def test_the_notification_of_a_status_change_uses_the_label(make, idea, people, as_role):
    voter = make.member("voter")
    cast_vote(voter, db.session.scalar(select(Post).where(Post.thread_id == idea.id, Post.number == 1)), 1)
    db.session.commit()
    admin_post(as_role, "/admin/gamification/idea-statuses", data={"planned_en": "Scheduled"})
    ideas.change_idea_status(people["staff"], idea, IdeaStatus.planned, "")
    db.session.commit()
    client = as_role("guest")
    client.post("/login", data={"login": "voter", "password": "correct-horse-battery-9"})
    assert "Scheduled" in client.get("/notifications").get_data(as_text=True)


def test_the_labels_page_shows_the_built_in_labels_as_placeholders(idea, as_role):
    page = as_role("admin").get("/admin/gamification/idea-statuses").get_data(as_text=True)
    assert 'placeholder="Under review"' in page and 'placeholder="审核中"' in page


def test_a_too_long_label_is_refused_and_nothing_is_saved(idea, as_role):
    response = admin_post(as_role, "/admin/gamification/idea-statuses", data={"planned_en": "Soon", "shipped_zh": "很" * 41})
    assert response.status_code == 422 and "At most 40 characters." in response.get_data(as_text=True)
    assert settings.get("ideas.label.planned") == ""


@pytest.mark.parametrize("role, gamification, rewards_", [
    ("guest", False, False), ("member", False, False), ("moderator", False, False), ("staff", False, True),
    ("admin", True, True)])
def test_gamification_predicates_truth_table(make, role, gamification, rewards_):
    who = AnonymousUserMixin() if role == "guest" else make.member(role=Role(role))
    assert can.can_manage_gamification(who) is gamification
    assert can.can_manage_rewards(who) is rewards_
