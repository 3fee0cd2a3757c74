"""The member admin extras: a member's page for staff (trust level and its lock, a new verification link for an
unverified address, groups, the sign-in history that outlives sign-out), the member's own sign-ins in settings,
and the scheduled job that prunes old sign-ins."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from community.dbtypes import utcnow
from community.extensions import db
from community.groups import services as groups
from community.groups.models import GroupMember
from community.mail.models import MailMessage
from community.members.models import Member, MemberSignIn
from community.members.sessions import prune_sign_ins
from community.registry import scheduled_jobs
from community.trust.services import refresh_all

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def sign_ins(member) -> list[MemberSignIn]:
    return list(db.session.scalars(select(MemberSignIn).where(MemberSignIn.member_id == member.id)))


@pytest.mark.parametrize("role, status", [("guest", 302), ("member", 404), ("moderator", 404), ("staff", 200),
                                          ("admin", 200)])
def test_only_staff_open_a_members_admin_page(people, as_role, role, status):
    assert as_role(role).get(f"/admin/members/{people['member'].username}").status_code == status


def test_unknown_member_is_404(people, as_role):
    assert as_role("staff").get("/admin/members/nobody-here").status_code == 404


def test_each_sign_in_is_kept_after_sign_out_and_staff_see_it(app, make, people, as_role):
    ada = make.member("ada_sign")
    client = app.test_client()
    for _ in range(2):
        response = client.post("/login", data={"login": "ada_sign", "password": "correct-horse-battery-9"},
                               headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": "203.0.113.7"})
        assert response.status_code == 302
        client.post("/logout")
    rows = sign_ins(ada)
    assert len(rows) == 2 and {r.address for r in rows} == {"203.0.113.7"} and rows[0].user_agent == BROWSER
    page = as_role("staff").get("/admin/members/ada_sign").get_data(as_text=True)
    assert "203.0.113.7" in page and "Chrome / Linux" in page
    own = client.post("/login", data={"login": "ada_sign", "password": "correct-horse-battery-9"},
                      environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert own.status_code == 302
    settings = client.get("/settings").get_data(as_text=True)
    assert "198.51.100.9" in settings and "203.0.113.7" in settings
    # another member's settings page shows only their own
    assert "203.0.113.7" not in as_role("member").get("/settings").get_data(as_text=True)


def test_old_sign_ins_are_pruned_by_a_scheduled_job(app, make):
    bo = make.member("bo_sign")
    now = utcnow()
    db.session.add_all([MemberSignIn(member_id=bo.id, created_at=now - timedelta(days=120), address="192.0.2.1"),
                        MemberSignIn(member_id=bo.id, created_at=now - timedelta(days=5), address="192.0.2.2")])
    db.session.commit()
    assert "members.prune_sign_ins" in scheduled_jobs(app)
    assert prune_sign_ins() == 1
    db.session.commit()
    assert [r.address for r in sign_ins(bo)] == ["192.0.2.2"]


def test_staff_resend_a_verification_link_to_an_unverified_member(make, people, as_role):
    cy = make.member("cy_unverified")
    staff = as_role("staff")
    # right after registering (its first link just went out) a second link is refused: the throttle
    response = staff.post("/admin/members/cy_unverified/verification", follow_redirects=True)
    assert "No link was sent" in response.get_data(as_text=True)
    db.session.execute(update(MailMessage).where(MailMessage.member_id == cy.id)
                       .values(created_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(MailMessage).where(MailMessage.kind == "verification"))
    page = staff.get("/admin/members/cy_unverified").get_data(as_text=True)
    assert "not verified" in page and "Send a new verification link" in page
    response = staff.post("/admin/members/cy_unverified/verification", follow_redirects=True)
    assert response.status_code == 200
    after = db.session.scalar(select(func.count()).select_from(MailMessage).where(MailMessage.kind == "verification"))
    assert after == before + 1 and "A new verification link is on its way" in response.get_data(as_text=True)
    assert as_role("member").post("/admin/members/cy_unverified/verification").status_code == 404


def test_a_verified_member_gets_no_new_link(make, people, as_role):
    dee = make.member("dee_verified")
    row = db.session.get(Member, dee.id)
    row.email_verified_at = utcnow()
    db.session.commit()
    staff = as_role("staff")
    assert "Send a new verification link" not in staff.get("/admin/members/dee_verified").get_data(as_text=True)
    assert staff.post("/admin/members/dee_verified/verification").status_code == 403


def test_a_locked_trust_level_shows_and_the_recompute_keeps_it(make, people, as_role):
    eve = make.member("eve_locked")
    staff = as_role("staff")
    response = staff.post("/u/eve_locked/trust-level", data={"level": "3", "locked": "1"})
    assert response.status_code == 302
    assert "locked" in staff.get("/admin/members/eve_locked").get_data(as_text=True)
    assert "TL3 locked" in staff.get("/admin/members?q=eve_locked").get_data(as_text=True)
    refresh_all()  # nothing earned level 3: an unlocked member would fall back
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Member, eve.id).trust_level == 3
    staff.post("/u/eve_locked/trust-level", data={"action": "unlock"})
    refresh_all()
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Member, eve.id).trust_level < 3


def test_deleting_an_account_erases_its_sign_in_history_and_group_memberships(app, make):
    fern = make.member("fern_gone")
    group = groups.create_group(None, {"name": "Beta testers"})
    groups.add_members(None, group, ["fern_gone"])
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"login": "fern_gone", "password": "correct-horse-battery-9"},
                environ_base={"REMOTE_ADDR": "203.0.113.50"})
    assert len(sign_ins(fern)) == 1
    assert client.post("/settings/delete-account", data={"password": "correct-horse-battery-9"}).status_code == 302
    db.session.expire_all()
    assert sign_ins(fern) == []
    assert db.session.scalar(select(func.count()).select_from(GroupMember)) == 0
