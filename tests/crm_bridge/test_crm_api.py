"""The CRM under /api/v1/crm: staff only, the same records as the pages, audited, never leaked."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db as _db
from community.forum.models import BoardKind
from community.members.models import Role
from crm_bridge import services as crm
from crm_bridge.models import AuditEntry, CrmProfile, TimelineEvent
from crm_bridge.timeline import record
from tests.community.api.conftest import Api, token_for


@pytest.fixture
def api(app):
    def make(member=None, scopes=None):
        return Api(app.test_client(), token_for(member, scopes) if member is not None else None)
    return make


@pytest.fixture
def ivy(make):
    ivy = make.member("ivy", email="ivy@acme.example")
    ideas = make.board("ideas", kind=BoardKind.idea)
    make.thread(board=ideas, author=ivy, title="Dark mode for the router app")
    thread = make.thread(author=make.member("olga"), title="Firmware 2.1")
    make.post(thread, author=ivy, body="It fixed the reboots for me, thanks!")
    staffer = make.member("sam", role=Role.staff)
    profile = crm.ensure_profile(ivy)
    crm.add_note(staffer, profile, "Secret staff note: VIP, called about the RMA.")
    crm.update_profile(staffer, profile, tags="vip")
    _db.session.commit()
    return ivy


def profile_id(member) -> int:
    return _db.session.scalar(select(CrmProfile.id).where(CrmProfile.member_id == member.id))


PATHS = ("/api/v1/crm/profiles", "/api/v1/crm/profiles/{id}", "/api/v1/crm/profiles/{id}/timeline",
         "/api/v1/crm/feedback")


@pytest.mark.parametrize("role,status", [(None, 401), (Role.member, 403), (Role.moderator, 403),
                                         (Role.staff, 200), (Role.admin, 200)])
def test_only_staff_and_admins_reach_the_crm_api(api, make, ivy, role, status):
    caller = api(make.member("caller", role=role)) if role is not None else api()
    for path in PATHS:
        response = caller.get(path.format(id=profile_id(ivy)))
        assert response.status_code == status, (path, response.get_data(as_text=True)[:300])
        body = response.get_json()
        if status != 200:
            assert set(body) == {"error"} and "ivy" not in response.get_data(as_text=True)
            assert "VIP" not in response.get_data(as_text=True)


def test_a_staff_token_without_the_crm_scope_is_refused(api, make, ivy):
    caller = api(make.member("sally", role=Role.staff), scopes=["read", "write"])
    response = caller.get("/api/v1/crm/profiles")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "insufficient_scope"


def test_profiles_list_filters_and_the_profile_carries_identity_scores_and_tags(api, make, ivy):
    staff = api(make.member("sally", role=Role.staff))
    listed = staff.get("/api/v1/crm/profiles?tag=vip").get_json()
    assert [p["member"]["username"] for p in listed["items"]] == ["ivy"] and listed["next"] is None
    assert staff.get("/api/v1/crm/profiles?q=nobody-like-this").get_json()["items"] == []
    assert staff.get("/api/v1/crm/profiles?stage=sleepy").status_code == 400
    profile = staff.get(f"/api/v1/crm/profiles/{profile_id(ivy)}").get_json()
    assert profile["email"] == "ivy@acme.example" and profile["email_domain"] == "acme.example"
    assert profile["tags"] == ["vip"] and set(profile["scores"]) == {"engagement", "advocacy", "risk"}
    assert all(isinstance(s["reasons"], list) and s["reasons"] for s in profile["scores"].values())
    assert profile["stage"] in ("new", "active", "engaged", "advocate", "dormant", "at_risk")
    assert "note" not in str(profile).lower()  # staff notes stay on the page
    timeline = staff.get(f"/api/v1/crm/profiles/{profile_id(ivy)}/timeline?kind=replied").get_json()
    assert [e["kind"] for e in timeline["items"]] == ["replied"]
    assert "fixed the reboots" in timeline["items"][0]["excerpt"]
    feedback = staff.get("/api/v1/crm/feedback?kind=idea").get_json()["items"]
    assert [f["title"] for f in feedback] == ["Dark mode for the router app"]
    assert feedback[0]["member"]["username"] == "ivy"


def test_reads_are_audited_and_unknown_ids_are_404(api, make, ivy):
    staff_member = make.member("sally", role=Role.staff)
    staff = api(staff_member)
    before = _db.session.scalar(select(func.count()).select_from(AuditEntry))
    staff.get(f"/api/v1/crm/profiles/{profile_id(ivy)}")
    staff.get(f"/api/v1/crm/profiles/{profile_id(ivy)}/timeline")
    actions = _db.session.scalars(select(AuditEntry.action).where(AuditEntry.staff_id == staff_member.id)).all()
    assert _db.session.scalar(select(func.count()).select_from(AuditEntry)) == before + 2
    assert set(actions) == {"viewed", "viewed_timeline"}
    for path in ("/api/v1/crm/profiles/999999", "/api/v1/crm/profiles/99999999999/timeline"):
        response = staff.get(path)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert staff.get("/api/v1/crm/profiles?page=9").status_code == 404
    assert staff.get("/api/v1/crm/profiles?page=0").status_code == 400


def test_timeline_pages_with_next_links(api, make, ivy):
    for n in range(60):
        record(ivy, "vote_given", text=f"vote {n}")
    _db.session.commit()
    staff = api(make.member("sally", role=Role.staff))
    first = staff.get(f"/api/v1/crm/profiles/{profile_id(ivy)}/timeline").get_json()
    assert len(first["items"]) == 50 and first["next"] and "page=2" in first["next"]
    second = staff.get(first["next"]).get_json()
    total = _db.session.scalar(select(func.count()).select_from(TimelineEvent).where(TimelineEvent.member_id == ivy.id))
    assert total > 60 and second["next"] is None and len(first["items"]) + len(second["items"]) == total
    assert not {e["id"] for e in first["items"]} & {e["id"] for e in second["items"]}
