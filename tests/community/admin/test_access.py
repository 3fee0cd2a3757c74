"""Every admin page and /api/v1/admin route, for each role: who gets in, who gets 404/403/401, and that a
refused request changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.forum.models import Board, Thread
from community.members.models import Member
from community.moderation.models import ModerationAction

from .conftest import ROLES, assert_admin_form_answer, assert_admin_page_answer


@pytest.fixture
def world(make, people):
    board = make.board("target", name="Target")
    other = make.board("other", name="Other")
    make.thread(board)
    return {"board": board, "other": other}


def state() -> tuple:
    db.session.expire_all()
    boards = db.session.execute(select(Board.slug, Board.name, Board.visibility, Board.kind, Board.archived_at,
                                       Board.position, Board.start_policy).order_by(Board.id)).all()
    roles = db.session.execute(select(Member.username, Member.role).order_by(Member.id)).all()
    threads = db.session.execute(select(Thread.id, Thread.board_id).order_by(Thread.id)).all()
    logged = db.session.scalar(select(func.count()).select_from(ModerationAction))
    return boards, roles, threads, logged


PAGE_GETS = {  # path -> the roles that may open it
    "/admin": {"staff", "admin"},
    "/admin/boards": {"admin"},
    "/admin/boards/new": {"admin"},
    "/admin/boards/target/edit": {"admin"},
    "/admin/boards/target/delete": {"admin"},
    "/admin/members": {"staff", "admin"},
}

PAGE_POSTS = {  # path, form -> the roles that may do it
    ("/admin/boards/new", (("slug", "fresh"), ("name", "Fresh"), ("kind", "discussion"),
                           ("visibility", "public"))): {"admin"},
    ("/admin/boards/target/edit", (("slug", "target"), ("name", "Renamed"), ("kind", "discussion"),
                                   ("visibility", "staff"))): {"admin"},
    ("/admin/boards/target/move", (("direction", "up"),)): {"admin"},
    ("/admin/boards/target/archive", (("archived", "1"),)): {"admin"},
    ("/admin/boards/target/delete", (("move_to", "other"),)): {"admin"},
    ("/admin/members/a_member/role", (("role", "moderator"),)): {"staff", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", sorted(PAGE_GETS))
def test_admin_pages_open_only_for_their_roles(world, as_role, role, path):
    response = as_role(role).get(path)
    assert_admin_page_answer(response, role, PAGE_GETS[path])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(PAGE_POSTS), ids=lambda a: a[0] if isinstance(a, tuple) else a)
def test_admin_forms_refuse_other_roles_and_change_nothing(world, as_role, role, action):
    path, form = action
    before = state()
    response = as_role(role).post(path, data=dict(form))
    assert_admin_form_answer(response, role, PAGE_POSTS[action], changed=state() != before)


def test_the_index_lists_every_section_for_admins_and_only_theirs_for_staff(world, as_role):
    admin_page = as_role("admin").get("/admin").get_data(as_text=True)
    for section in ("boards", "members", "moderation-log", "mail", "api-keys", "crm-webhooks", "crm-audit"):
        assert f'data-section="{section}"' in admin_page, section
    assert 'href="/admin/mail"' in admin_page and 'href="/admin/api-keys"' in admin_page
    staff_page = as_role("staff").get("/admin").get_data(as_text=True)
    assert 'data-section="members"' in staff_page and 'data-section="crm-webhooks"' in staff_page
    for section in ("boards", "mail", "api-keys", "moderation-log"):
        assert f'data-section="{section}"' not in staff_page, section


def test_the_header_links_to_admin_for_staff_and_admins_only(world, as_role):
    for role in ROLES:
        page = as_role(role).get("/").get_data(as_text=True)
        assert ('href="/admin"' in page) == (role in ("staff", "admin")), role


# ---- the API ----------------------------------------------------------------------------------------

API_CALLS = [
    ("GET", "/api/v1/admin/boards", None),
    ("POST", "/api/v1/admin/boards", {"slug": "fresh", "name": "Fresh", "kind": "idea", "visibility": "members"}),
    ("PATCH", "/api/v1/admin/boards/target", {"visibility": "staff", "name": "Renamed"}),
    ("DELETE", "/api/v1/admin/boards/target", {"move_to": "other"}),
    ("PUT", "/api/v1/admin/members/a_member/role", {"role": "moderator"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("call", API_CALLS, ids=lambda c: f"{c[0]} {c[1]}")
def test_admin_api_is_for_admins_only_and_refusals_change_nothing(world, api_as, role, call):
    method, path, body = call
    before = state()
    response = api_as(role).call(method, path, json=body)
    if role == "admin":
        assert response.status_code in (200, 201, 204), response.get_json()
        if method != "GET":
            assert state() != before
        return
    error = response.get_json()["error"]
    assert set(error) >= {"code", "message"}
    if role == "guest":
        assert response.status_code == 401 and error["code"] == "unauthorized"
    else:
        assert response.status_code == 403 and error["code"] == "forbidden"
    assert state() == before


@pytest.mark.parametrize("call", API_CALLS, ids=lambda c: f"{c[0]} {c[1]}")
def test_an_admin_token_without_the_admin_scope_gets_403(world, api_as, call):
    method, path, body = call
    before = state()
    response = api_as("admin", scopes=["read", "write", "moderate", "crm"]).call(method, path, json=body)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "insufficient_scope"
    assert state() == before


def test_sign_in_tokens_get_the_admin_scope_only_for_admins(world, api_as):
    for role, expected in (("admin", True), ("staff", False), ("member", False)):
        response = api_as("guest").post("/api/v1/tokens", json={"login": f"a_{role}",
                                                             "password": "correct-horse-battery-9"})
        assert response.status_code == 201, response.get_json()
        assert ("admin" in response.get_json()["scopes"]) is expected, role


def test_the_admin_operations_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths["/api/v1/admin/boards"]) == {"get", "post"}
    assert set(paths["/api/v1/admin/boards/{slug}"]) == {"patch", "delete"}
    assert set(paths["/api/v1/admin/members/{username}/role"]) == {"put"}
    assert "admin" in spec["components"]["schemas"]["Token"]["properties"]["scopes"]["items"]["enum"]
    assert {"slug", "name", "kind", "visibility"} <= set(spec["components"]["schemas"]["AdminBoard"]["required"])
