"""Computing a trust level from activity at each boundary: exactly enough earns it, one short does not,
flags and old visits hold level three back, thresholds from config, levels one and two kept."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from community.dbtypes import utcnow
from community.notifications.models import Notification
from community.trust import services as trust
from community.trust.models import MemberStats, MemberVisit
from tests.community.trust.conftest import LEVEL1, LEVEL2, LEVEL3, fresh, give_activity

# ---- computing the level ---------------------------------------------------------------------

def test_new_member_starts_at_level_zero(make, db):
    member = make.member("newbie")
    assert member.trust_level == 0
    assert trust.compute_trust_level(member) == 0


@pytest.mark.parametrize("level, activity", [(1, LEVEL1), (2, LEVEL2), (3, LEVEL3)], ids=["tl1", "tl2", "tl3"])
def test_meeting_every_requirement_exactly_earns_the_level(make, db, level, activity):
    member = give_activity(db, make.member(), **activity)
    assert trust.compute_trust_level(member) == level
    assert trust.refresh_trust_level(member) == level
    db.session.commit()
    assert fresh(db, member).trust_level == level


@pytest.mark.parametrize("level, activity, short", [
    (1, LEVEL1, "topics_entered"), (1, LEVEL1, "posts_read"),
    (2, LEVEL2, "days_visited"), (2, LEVEL2, "posts_read"), (2, LEVEL2, "likes_given"),
    (2, LEVEL2, "likes_received"), (2, LEVEL2, "replies"),
    (3, LEVEL3, "recent_days"), (3, LEVEL3, "posts_read"), (3, LEVEL3, "likes_given"),
    (3, LEVEL3, "likes_received"), (3, LEVEL3, "replies"),
])
def test_one_short_of_any_requirement_stays_a_level_below(make, db, level, activity, short):
    activity = dict(activity, **{short: activity[short] - 1})
    member = give_activity(db, make.member(), **activity)
    assert trust.compute_trust_level(member) == level - 1


def test_a_single_flagged_post_keeps_a_member_from_level_three(make, db):
    member = give_activity(db, make.member(), flags_against=1, **LEVEL3)
    assert trust.compute_trust_level(member) == 2


def test_an_upheld_flag_takes_level_three_away_at_once(make, db):
    member = give_activity(db, make.member(), **LEVEL3)
    assert trust.refresh_trust_level(member) == 3
    assert trust.record_flag_against(member) == 2
    db.session.commit()
    assert fresh(db, member).trust_level == 2
    assert db.session.get(MemberStats, member.id).flags_against == 1


def test_visits_older_than_the_window_do_not_count_for_level_three(make, db):
    member = give_activity(db, make.member(), **dict(LEVEL3, recent_days=49))
    db.session.add(MemberVisit(member_id=member.id, day=utcnow().date() - timedelta(days=100)))
    db.session.commit()
    assert trust.compute_trust_level(member) == 2
    db.session.add(MemberVisit(member_id=member.id, day=utcnow().date() - timedelta(days=99)))
    db.session.commit()
    assert trust.compute_trust_level(member) == 3


def test_thresholds_come_from_config_also_as_json_with_string_keys(app, make, db):
    member = give_activity(db, make.member(), topics_entered=1, posts_read=2)
    saved = app.config["TRUST_LEVEL_REQUIREMENTS"]
    app.config["TRUST_LEVEL_REQUIREMENTS"] = {"1": {"topics_entered": 1, "posts_read": 2},
                                              "2": {"posts_read": 3}, "3": {"posts_read": 4}}
    try:
        assert trust.compute_trust_level(member) == 1
    finally:
        app.config["TRUST_LEVEL_REQUIREMENTS"] = saved
    assert trust.compute_trust_level(member) == 0


def test_regular_who_stops_qualifying_goes_back_to_two_never_lower(app, make, db):
    member = give_activity(db, make.member(), **LEVEL3)
    assert trust.refresh_trust_level(member) == 3
    db.session.commit()
    db.session.execute(MemberVisit.__table__.delete().where(MemberVisit.member_id == member.id))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["community", "trust", "recompute"])
    assert result.exit_code == 0, result.output
    assert "1 changed" in result.output
    assert fresh(db, member).trust_level == 2
    kinds = db.session.scalars(select(Notification.data).where(Notification.member_id == member.id,
                                                               Notification.kind == "trust_level")).all()
    assert [data["level"] for data in kinds] == [3]  # told of the promotion, not of the step back


def test_levels_one_and_two_are_kept_when_activity_counts_drop(make, db):
    member = give_activity(db, make.member(), **LEVEL2)
    assert trust.refresh_trust_level(member) == 2
    db.session.commit()
    trust.bump_stats(member.id, likes_received=-1)  # a like was retracted
    db.session.commit()
    assert trust.refresh_trust_level(fresh(db, member)) == 2
