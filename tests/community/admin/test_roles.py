"""Setting roles: who may set which, the last-admin rule, the moderation log (and its public part), the CRM
audit log (through the member_role_changed signal), and the members list's search."""
from __future__ import annotations

import re

from sqlalchemy import select

from community.extensions import db
from community.members.models import Role
from community.moderation.models import ModerationAction
from crm_bridge.models import AuditEntry
from tests.community.api.conftest import Api, token_for


def role_of(member) -> Role:
    db.session.expire_all()
    return db.session.get(type(member), member.id).role


def test_an_admin_makes_a_member_moderator_logged_audited_and_shown_publicly(people, as_role, client):
    response = as_role("admin").post("/admin/members/a_member/role", data={"role": "moderator", "reason": "Helpful"})
    assert response.status_code == 302
    assert role_of(people["member"]) is Role.moderator
    line = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "role"))
    assert (line.actor_id, line.member_id, line.reason, line.data) == (
        people["admin"].id, people["member"].id, "Helpful", {"previous": "member", "role": "moderator"})
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "role_changed"))
    assert audit.staff_id == people["admin"].id and audit.detail["role"] == "moderator"
    public = client.get("/transparency").get_data(as_text=True)
    assert re.search(r"a_member(</bdi>)?</a> became a moderator", public) and "Helpful" not in public


def test_the_moderation_log_shows_the_change_to_moderators(people, as_role):
    as_role("admin").post("/admin/members/a_member/role", data={"role": "moderator", "reason": "Helpful"})
    text = as_role("moderator").get("/mod/log").get_data(as_text=True)
    assert 'class="log-role"' in text and "Role changed: member → moderator" in text and "Helpful" in text


def test_staff_may_make_members_moderators_and_back_but_nothing_more(people, as_role):
    staff = as_role("staff")
    assert staff.post("/admin/members/a_member/role", data={"role": "moderator"}).status_code == 302
    assert role_of(people["member"]) is Role.moderator
    assert staff.post("/admin/members/a_member/role", data={"role": "member"}).status_code == 302
    assert role_of(people["member"]) is Role.member
    for target, role in (("a_member", "staff"), ("a_member", "admin"), ("a_admin", "member"),
                         ("a_staff", "admin"), ("a_staff", "member")):
        assert staff.post(f"/admin/members/{target}/role", data={"role": role}).status_code == 403, (target, role)
    assert role_of(people["member"]) is Role.member and role_of(people["staff"]) is Role.staff
    assert role_of(people["admin"]) is Role.admin


def test_staff_see_no_role_form_for_themselves_or_admins(people, as_role):
    page = as_role("staff").get("/admin/members").get_data(as_text=True)
    assert 'action="/admin/members/a_member/role"' in page
    assert 'action="/admin/members/a_staff/role"' not in page and 'action="/admin/members/a_admin/role"' not in page
    assert '<option value="admin"' not in page


def test_the_last_admin_cannot_step_down_but_one_of_two_can(make, app):
    only = make.member("solo", role="admin")
    client = app.test_client()
    client.post("/login", data={"login": "solo", "password": "correct-horse-battery-9"})
    response = client.post("/admin/members/solo/role", data={"role": "member"}, follow_redirects=True)
    assert "last admin" in response.get_data(as_text=True)
    assert role_of(only) is Role.admin
    make.member("second", role="admin")
    assert client.post("/admin/members/solo/role", data={"role": "staff"}).status_code == 302
    assert role_of(only) is Role.staff


def test_an_unknown_role_is_refused_and_changes_nothing(people, as_role):
    response = as_role("admin").post("/admin/members/a_member/role", data={"role": "overlord"},
                                     follow_redirects=True)
    assert "A role is member, moderator, staff or admin." in response.get_data(as_text=True)
    assert role_of(people["member"]) is Role.member
    assert db.session.scalar(select(ModerationAction).where(ModerationAction.action == "role")) is None


def test_the_members_list_searches_by_name_and_email(make, people, as_role):
    make.member("zed", email="zed@brand.example")
    make.member("yolanda", email="yo@elsewhere.example")
    admin = as_role("admin")
    by_email = admin.get("/admin/members?q=brand.example").get_data(as_text=True)
    assert 'data-member="zed"' in by_email and 'data-member="yolanda"' not in by_email
    by_name = admin.get("/admin/members?q=YOLA").get_data(as_text=True)
    assert 'data-member="yolanda"' in by_name and 'data-member="zed"' not in by_name
    underscore = admin.get("/admin/members?q=a_staff").get_data(as_text=True)  # "_" is a letter, not a wildcard
    assert 'data-member="a_staff"' in underscore and 'data-member="zed"' not in underscore
    assert 'data-member="zed"' not in admin.get("/admin/members?q=z%25d").get_data(as_text=True)


# ---- the API ------------------------------------------------------------------------------------------

def test_the_api_sets_a_role_and_refuses_bad_ones(people, api_as):
    admin = api_as("admin")
    response = admin.put("/api/v1/admin/members/a_member/role", json={"role": "staff"})
    assert response.status_code == 200 and response.get_json()["role"] == "staff"
    assert role_of(people["member"]) is Role.staff
    response = admin.put("/api/v1/admin/members/a_member/role", json={"role": "overlord"})
    assert response.status_code == 422 and "role" in response.get_json()["error"]["fields"]
    assert admin.put("/api/v1/admin/members/nobody/role", json={"role": "staff"}).status_code == 404
    assert role_of(people["member"]) is Role.staff


def test_the_api_keeps_the_last_admin(make, app):
    solo = make.member("solo", role="admin")
    response = Api(app.test_client(), token_for(solo)).put("/api/v1/admin/members/solo/role", json={"role": "member"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"
    assert role_of(solo) is Role.admin


def test_the_api_manages_boards_with_clear_errors(make, people, api_as):
    admin = api_as("admin")
    created = admin.post("/api/v1/admin/boards", json={"slug": "news", "name": "News", "kind": "announcement",
                                                       "visibility": "staff", "name_zh": "新闻"})
    assert created.status_code == 201
    assert {k: created.get_json()[k] for k in ("slug", "name", "kind", "visibility", "name_zh")} == {
        "slug": "news", "name": "News", "kind": "announcement", "visibility": "staff", "name_zh": "新闻"}
    listed = admin.get("/api/v1/admin/boards").get_json()["items"]
    assert [b["slug"] for b in listed] == ["news"]  # every visibility, staff too
    for body, field in (({"slug": "news", "name": "Again"}, "slug"), ({"slug": "Bad!", "name": "X"}, "slug"),
                        ({"slug": "ok", "name": "X", "kind": "forum"}, "kind"), ({"slug": "ok", "name": " "}, "name")):
        response = admin.post("/api/v1/admin/boards", json=body)
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"], body
    assert len(admin.get("/api/v1/admin/boards").get_json()["items"]) == 1
    patched = admin.patch("/api/v1/admin/boards/news", json={"archived": True, "start_policy": "staff"})
    assert patched.status_code == 200 and patched.get_json()["archived"] is True
    thread = make.thread(make.board("busy"))
    response = admin.delete("/api/v1/admin/boards/busy")
    assert response.status_code == 422 and "move_to" in response.get_json()["error"]["fields"]
    response = admin.delete("/api/v1/admin/boards/busy", json={"move_to": "nowhere"})
    assert response.status_code == 422
    assert admin.delete("/api/v1/admin/boards/busy", json={"move_to": "news"}).status_code == 204
    db.session.expire_all()
    assert thread.board.slug == "news"
    assert admin.patch("/api/v1/admin/boards/busy", json={"name": "X"}).status_code == 404
