"""Admin tests: one member of each role, a client signed in as any of them, and API callers."""
from __future__ import annotations

import pytest

from community.members.models import Role
from tests.community.api.conftest import Api, token_for

ROLES = ("guest", "member", "moderator", "staff", "admin")


@pytest.fixture
def people(make):
    """One member per role (plus a second admin, so the last-admin rule does not get in the way)."""
    found = {role: make.member(f"a_{role}", role=Role(role)) for role in ROLES[1:]}
    found["admin2"] = make.member("a_admin2", role=Role.admin)
    return found


@pytest.fixture
def as_role(app, people):
    """as_role(role) -> a test client signed in as the member of that role (a fresh client for a guest)."""

    def make_client(role: str):
        client = app.test_client()
        if role != "guest":
            response = client.post("/login", data={"login": people[role].username,
                                                   "password": "correct-horse-battery-9"})
            assert response.status_code == 302
        return client

    return make_client


@pytest.fixture
def api_as(app, people):
    """api_as(role, scopes=None) -> an Api client with a sign-in token of that role's member (none for a guest)."""

    def make_api(role: str, scopes=None):
        if role == "guest":
            return Api(app.test_client())
        return Api(app.test_client(), token_for(people[role], scopes))

    return make_api


def assert_admin_page_answer(response, role: str, allowed) -> None:
    """An admin page as `role` sees it: 200 when allowed, the sign-in page for a guest, else 404 (hidden)."""
    if role in allowed:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    elif role == "guest":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 404


def assert_admin_form_answer(response, role: str, allowed, changed: bool) -> None:
    """An admin form posted as `role`: saved (redirect, something changed) when allowed; otherwise the sign-in
    page for a guest or 404, and nothing changed."""
    if role in allowed:
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert changed
    else:
        if role == "guest":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code == 404
        assert not changed
