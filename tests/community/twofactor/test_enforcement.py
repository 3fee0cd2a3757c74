"""Two-factor is required for admins, staff and moderators by default: without it they are sent to enrol.

The suite's app turns enforcement off (TWO_FACTOR_ENFORCED=False in tests/conftest.py: the factories' staff
have no second factor); these tests turn it back on, as production runs.
"""
from __future__ import annotations

import pytest
from flask import current_app

from community import settings
from community.api import services as api_services
from community.twofactor import services
from tests.community.twofactor.conftest import code
from tests.factories import PASSWORD


@pytest.fixture
def enforced(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWO_FACTOR_ENFORCED", True)


def test_production_requires_two_factor_for_staff_roles_by_default(app):
    assert services.REQUIRED_FOR_STAFF.default is True
    from application import create_app  # noqa: PLC0415  (a second app, built with the production defaults)
    production = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                             "INSTANCE_PATH": app.config["INSTANCE_PATH"]})
    assert production.config["TWO_FACTOR_ENFORCED"] is True


@pytest.mark.parametrize("role,page", [("moderator", "/review"), ("staff", "/crm/members"), ("admin", "/admin/")])
def test_a_staff_role_without_two_factor_is_sent_to_enrol(client, auth, make, enforced, role, page):
    auth.login(make.member(role=role))
    answer = client.get(page)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/settings/two-factor")
    assert client.get("/").status_code == 302  # nothing but enrolment, sign-out and assets
    enrol_page = client.get("/settings/two-factor").get_data(as_text=True)
    assert "Your role needs two-factor authentication" in enrol_page


def test_a_member_is_not_asked(client, auth, make, enforced):
    auth.login(make.member())
    assert client.get("/settings").status_code == 200


@pytest.mark.parametrize("role,page", [("moderator", "/review"), ("staff", "/crm/members"), ("admin", "/admin/")])
def test_once_enrolled_the_staff_pages_open(client, auth, make, enforced, enrol, role, page):
    auth.login(make.member(role=role))
    enrol(client)
    assert client.get(page).status_code == 200


def test_the_crm_api_answers_a_json_error_for_a_staff_token_without_two_factor(client, make, enforced, db):
    staff = make.member(role="staff")
    _token, secret = api_services.create_personal_token(staff, "crm", ["read", "crm"])
    db.session.commit()
    answer = client.get("/api/v1/crm/profiles", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "second_factor_required"


def test_staff_get_no_api_token_from_a_password_before_enrolling(client, make, enforced):
    staff = make.member(role="staff")
    answer = client.post("/api/v1/tokens", json={"login": staff.username, "password": PASSWORD})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "second_factor_required"
    member = make.member()
    assert client.post("/api/v1/tokens", json={"login": member.username, "password": PASSWORD}).status_code == 201


def test_staff_create_api_tokens_only_after_the_second_factor(client, auth, make, enforced, enrol, clock):
    staff = make.member(role="staff")
    auth.login(staff)
    assert client.get("/settings/tokens").status_code == 302  # sent to enrol first
    secret, _codes = enrol(client)
    assert client.get("/settings/tokens").status_code == 200
    answer = client.post("/api/v1/tokens", json={"login": staff.username, "password": PASSWORD,
                                                 "code": code(secret, clock)})
    assert answer.status_code == 201


def test_the_admin_can_turn_the_requirement_off(client, auth, make, enforced, enrol):
    admin = make.member(role="admin")
    auth.login(admin)
    enrol(client)
    page = client.get("/admin/security").get_data(as_text=True)
    staff = make.member(role="staff")
    assert staff.username in client.get("/admin/security").get_data(as_text=True)
    assert "checked" in page
    assert client.post("/admin/security", data={}).status_code == 302
    with current_app.test_request_context():
        assert settings.get("twofactor.required_for_staff") is False
    other = client.application.test_client()
    other.post("/login", data={"login": staff.username, "password": PASSWORD})
    assert other.get("/crm/members").status_code == 200


@pytest.mark.parametrize("role", ["member", "moderator", "staff"])
def test_only_admins_see_the_security_settings(client, auth, make, role):
    auth.login(make.member(role=role))
    assert client.get("/admin/security").status_code == 404


def _statements(client, count_queries, path):
    with count_queries() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_the_security_page_and_the_session_list_cost_the_same_with_few_or_many_rows(app, make, count_queries):
    admin = make.member(role="admin")
    client = app.test_client()
    client.post("/login", data={"login": admin.username, "password": PASSWORD})
    make.member(role="staff")
    client.get("/admin/security")  # the first page of a session also writes its last-seen time
    few = (_statements(client, count_queries, "/admin/security"), _statements(client, count_queries, "/settings"))
    for _ in range(6):
        make.member(role="moderator")
        app.test_client().post("/login", data={"login": admin.username, "password": PASSWORD})
    many = (_statements(client, count_queries, "/admin/security"), _statements(client, count_queries, "/settings"))
    assert few == many
