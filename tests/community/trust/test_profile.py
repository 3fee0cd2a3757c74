"""The trust section of a profile: level and progress shown to the member and staff only, recent
visits counted, and a bounded number of queries whatever the activity."""
from __future__ import annotations

import pytest

from community.members.models import Role
from tests.community.trust.conftest import LEVEL2, LEVEL3, at_level, give_activity

# ---- the profile -----------------------------------------------------------------------------

def test_profile_shows_level_and_progress_to_the_member_and_staff_only(client, auth, make, db):
    member = give_activity(db, make.member("climber"), topics_entered=3, posts_read=40)
    auth.login(member)
    page = client.get("/u/climber").get_data(as_text=True)
    assert "Trust level 0" in page and "New member" in page
    assert "Towards trust level 1 (Basic member)" in page
    assert "3 / 5" in page and "40 / 30" in page
    auth.logout()
    auth.login(make.member("nosy"))
    page = client.get("/u/climber").get_data(as_text=True)
    assert "Trust level 0" in page and "Towards trust level" not in page and "Set trust level" not in page
    auth.logout()
    auth.login(make.member("brand", role=Role.staff))
    page = client.get("/u/climber").get_data(as_text=True)
    assert "Towards trust level 1" in page and "Set trust level" in page


def test_profile_of_a_level_two_member_counts_recent_visits(client, auth, make, db):
    member = at_level(db, give_activity(db, make.member("almost"), **dict(LEVEL3, recent_days=12)), 2)
    auth.login(member)
    page = client.get("/u/almost").get_data(as_text=True)
    assert "Towards trust level 3 (Regular)" in page
    assert "Days visited in the last 100 days" in page and "12 / 50" in page


@pytest.mark.parametrize("level, before, more", [
    (0, {}, dict(recent_days=60, posts_read=400, topics_entered=4)),  # still one thread short of level 1
    (2, LEVEL2, dict(recent_days=60, posts_read=400)),  # level 3 needs 30 likes given
    (4, {}, dict(recent_days=60, posts_read=400)),
])
def test_profile_page_queries_are_bounded_whatever_the_activity(client, auth, make, db, count_queries, level,
                                                                before, more):
    member = at_level(db, give_activity(db, make.member("busy"), **before), level)
    make.thread(author=member)
    auth.login(member)
    client.get("/u/busy")  # the day's visit is recorded on the first page

    def measure():
        with count_queries() as statements:
            page = client.get("/u/busy").get_data(as_text=True)
        assert f"Trust level {level}" in page
        return len(statements)

    few = measure()
    give_activity(db, member, **more)
    for _n in range(12):
        make.thread(author=member)
    assert measure() == few <= 12  # with the unread private messages in the header (community/conversations) and the header's Boards menu (site.nav_boards)
