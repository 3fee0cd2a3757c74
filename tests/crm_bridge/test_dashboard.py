"""The staff dashboard: what it counts, who may see it, and that its cost does not grow with the data."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from community.dbtypes import utcnow
from community.forum import services as forum
from community.forum.models import BoardKind
from community.members.models import Role
from crm_bridge.models import DailyActive, DailyMood, PostSentiment
from crm_bridge.rollups import backfill, day_of


def chart_value(page: str, title: str, day: str) -> int:
    section = page[page.index(title):]
    return int(re.search(rf"<td>{day}</td><td>(\d+)</td>", section).group(1))


def test_dashboard_counts_posts_members_ideas_and_advocates(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    ivy, bob = make.member("ivy"), make.member("bob")
    ideas = make.board(kind=BoardKind.idea)
    thread = make.thread(author=ivy)
    make.post(thread, author=bob, body="First helpful reply.")
    make.post(thread, author=ivy, body="Thanks, that worked.")
    make.thread(board=ideas, author=bob, title="Dark mode for the app")
    auth.login(staffer)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    today = utcnow().date().isoformat()
    assert chart_value(page, "Posts per day", today) == 4  # two opening posts and two replies
    assert chart_value(page, "Active members per day", today) == 2
    assert re.search(r"<td>Open</td><td>1</td>", page)
    assert "<svg" in page and "Top advocates" in page


@pytest.mark.parametrize("role", [None, Role.member, Role.moderator])
def test_dashboard_is_invisible_to_non_staff(client, auth, make, role):
    if role is not None:
        auth.login(make.member("viewer", role=role))
    assert client.get("/crm/dashboard").status_code == (302 if role is None else 404)


def test_dashboard_query_count_does_not_grow_with_the_community(client, auth, make, count_queries):
    staffer = make.member("sam", role=Role.staff)
    auth.login(staffer)
    with count_queries() as few:
        assert client.get("/crm/dashboard").status_code == 200
    board = make.board(kind=BoardKind.question)
    for n in range(6):
        author = make.member(f"asker{n}")
        thread = make.thread(board=board, author=author)
        make.post(thread, author=staffer, body=f"Official answer number {n}.")
    with count_queries() as many:
        assert client.get("/crm/dashboard").status_code == 200
    assert len(many) <= len(few), many  # the first request also stamps "last seen"


def _direct_mood(db):
    """What the rollup must hold, computed from the detail rows."""

    found = {}
    for row in db.session.scalars(select(PostSentiment)):
        key = (day_of(row.created_at), row.board_id)
        posts, negative, total = found.get(key, (0, 0, 0.0))
        found[key] = (posts + 1, negative + (row.label == "negative"), round(total + row.score, 6))
    return found


def _rolled_up(db):
    mood = {(r.day, r.board_id): (r.posts, r.negative, round(r.score_sum, 6)) for r in db.session.scalars(select(DailyMood))}
    active = {(r.day, r.member_id) for r in db.session.scalars(select(DailyActive))}
    return mood, active


def test_daily_rollups_follow_posts_edits_and_match_a_rebuild(db, make):
    ivy, bob = make.member("ivy"), make.member("bob")
    other_board = make.board()
    thread = make.thread(author=ivy, body="I love this router, it is wonderful.")
    reply = make.post(thread, author=bob, body="This is terrible, it crashed again and I lost my work.")
    make.thread(board=other_board, author=bob, body="Where can I find the manual for the X6?")  # neutral
    db.session.commit()
    assert _rolled_up(db)[0] == _direct_mood(db)
    assert sum(posts for posts, _n, _s in _rolled_up(db)[0].values()) == 3
    assert sum(negative for _p, negative, _s in _rolled_up(db)[0].values()) == 1
    forum.edit_post(bob, reply, "Update: fixed after the firmware update, great support, thanks!")
    db.session.commit()
    mood, active = _rolled_up(db)
    assert mood == _direct_mood(db) and sum(n for _p, n, _s in mood.values()) == 0  # no longer negative
    assert {member for _day, member in active} == {ivy.id, bob.id}
    with db.engine.begin() as connection:  # the migration's and the bench's rebuild agrees with the live upkeep
        backfill(connection)
    db.session.expire_all()
    assert _rolled_up(db) == (mood, active)
