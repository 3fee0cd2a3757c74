"""Staff set a level by hand: locked or not, unlocked to be computed again, through the API; members,
moderators and staff themselves may not raise a level, an admin may."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.members.models import Member, Role
from community.signals import trust_level_changed
from tests.community.trust.conftest import LEVEL1, at_level, captured, fresh, give_activity

# ---- staff set a level by hand ---------------------------------------------------------------

def test_staff_sets_and_locks_a_level_and_recomputing_leaves_it(app, client, auth, make, db):
    member = make.member("helpful")
    auth.login(make.member("brand", role=Role.staff))
    with captured(trust_level_changed) as seen:
        response = client.post("/u/helpful/trust-level", data={"level": "4"})
    assert response.status_code == 302
    assert "helpful is now at trust level 4 (Leader)." in client.get("/u/helpful").get_data(as_text=True)
    staff_id = db.session.scalar(select(Member.id).where(Member.username == "brand"))
    assert seen == [(member.id, {"previous": 0, "level": 4, "by": staff_id, "at": "now"})]
    member = fresh(db, member)
    assert (member.trust_level, member.trust_level_locked) == (4, True)
    app.test_cli_runner().invoke(args=["community", "trust", "recompute"])
    assert fresh(db, member).trust_level == 4
    auth.logout()
    auth.login(member)
    assert "brand</bdi></a> set your trust level to 4 (Leader)." in client.get("/notifications").get_data(as_text=True)


def test_staff_unlocks_and_the_level_is_computed_again_at_once(app, client, auth, make, db):
    member = at_level(db, make.member("demoted"), 0, locked=True)
    give_activity(db, member, **LEVEL1)
    app.test_cli_runner().invoke(args=["community", "trust", "recompute"])
    assert fresh(db, member).trust_level == 0
    auth.login(make.member("brand", role=Role.staff))
    page = client.get("/u/demoted").get_data(as_text=True)
    assert "Set by staff; it does not change by itself." in page and "Unlock: let activity decide again" in page
    response = client.post("/u/demoted/trust-level", data={"action": "unlock"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "demoted&#39;s trust level follows their activity again; it is 1 (Basic member)." in page
    assert "Unlock: let activity decide again" not in page
    member = fresh(db, member)
    assert (member.trust_level, member.trust_level_locked) == (1, False)


def test_a_regular_set_by_staff_stays_one_through_the_next_visits(client, auth, make, db):
    member = make.member("trusted")
    auth.login(make.member("brand", role=Role.staff))
    assert client.post("/u/trusted/trust-level", data={"level": "3"}).status_code == 302
    auth.logout()
    auth.login(fresh(db, member))  # a visit re-evaluates unlocked levels: a locked one stays
    assert client.get(f"/t/{make.thread().id}").status_code == 200
    assert fresh(db, member).trust_level == 3


def test_api_callers_may_set_a_level_without_locking_it(client, auth, make, db):
    make.member("target")
    auth.login(make.member(role=Role.staff))
    response = client.post("/u/target/trust-level", data={"level": "2", "locked": "0"},
                           headers={"Accept": "application/json"})
    assert response.get_json()["member"] == {"id": response.get_json()["member"]["id"], "username": "target",
                                             "trust_level": 2, "trust_level_locked": False}


def test_members_and_moderators_cannot_set_levels(client, auth, make, db):
    make.member("target")
    for role in (Role.member, Role.moderator):
        auth.login(at_level(db, make.member(role=role), 4))
        assert client.post("/u/target/trust-level", data={"level": "4"}).status_code == 403
        auth.logout()
    assert client.post("/u/nobody/trust-level", data={"level": "1"}).status_code in (302, 404)
    assert db.session.scalar(select(Member.trust_level).where(Member.username == "target")) == 0


@pytest.mark.parametrize("raw", ["5", "-1", "two", ""])
def test_a_level_outside_zero_to_four_is_refused(client, auth, make, db, raw):
    make.member("target")
    auth.login(make.member(role=Role.staff))
    response = client.post("/u/target/trust-level", data={"level": raw}, headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert "from 0 to 4" in response.get_json()["error"]["fields"]["level"]
    assert db.session.scalar(select(Member.trust_level).where(Member.username == "target")) == 0


def test_staff_cannot_raise_their_own_trust_level_but_an_admin_may(client, auth, make, db):
    brand = make.member("brand", role=Role.staff)
    auth.login(brand)
    assert client.post("/u/brand/trust-level", data={"level": "4"}).status_code == 403
    assert fresh(db, brand).trust_level != 4
    auth.logout()
    admin = make.member("ada", role=Role.admin)
    auth.login(admin)
    assert client.post("/u/ada/trust-level", data={"level": "4"}).status_code == 302
    assert fresh(db, admin).trust_level == 4
