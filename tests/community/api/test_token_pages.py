"""Personal access tokens on the settings page and admin API keys: shown once, listed, revocable, hashed."""
from __future__ import annotations

import re

from sqlalchemy import select

from community.api.models import ApiToken, TokenKind
from community.members.models import Role
from tests.community.api.conftest import Api, error_of
from tests.conftest import csrf_token_from


def _secret(html: str) -> str:
    match = re.search(r'class="token-secret">(cmt_[^<]+)<', html)
    assert match, "no new token on the page"
    return match.group(1)


def test_a_member_creates_a_personal_token_that_works_once_shown(app, client, auth, make, db):
    ann = make.member("ann")
    auth.login(ann)
    page = client.get("/settings")
    assert "/settings/tokens" in page.get_data(as_text=True)
    response = client.post("/settings/tokens", data={"name": "my script", "scopes": ["read"], "expires_in_days": "7"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    secret = _secret(response.get_data(as_text=True))
    listed = client.get("/settings/tokens").get_data(as_text=True)
    assert "my script" in listed and secret not in listed and secret[:10] in listed  # shown once, then a prefix
    assert db.session.scalar(select(ApiToken.token_hash)) != secret
    script = Api(app.test_client(), secret)
    assert script.get("me").get_json()["username"] == "ann"
    thread = make.thread()
    refused = script.post(f"threads/{thread.id}/posts", json={"body": "Posting with a read token"})
    assert refused.status_code == 403 and error_of(refused)["code"] == "insufficient_scope"


def test_bad_token_forms_show_errors_on_the_page_and_save_nothing(client, auth, make, db):
    auth.login(make.member("ann"))
    response = client.post("/settings/tokens", data={"name": "", "scopes": [], "expires_in_days": "forever"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give the token a name." in html and "Choose at least one scope." in html and "A whole number of days" in html
    assert db.session.scalar(select(ApiToken.id)) is None


def test_a_member_revokes_a_token_and_it_stops_working(app, client, auth, make, db):
    auth.login(make.member("ann"))
    secret = _secret(client.post("/settings/tokens", data={"name": "ci-deploy-bot", "scopes": ["read", "write"]})
                     .get_data(as_text=True))
    token_id = db.session.scalar(select(ApiToken.id))
    assert client.post(f"/settings/tokens/{token_id}/revoke").status_code == 302
    assert Api(app.test_client(), secret).get("me").status_code == 401
    assert "ci-deploy-bot" not in client.get("/settings/tokens").get_data(as_text=True).split("Your tokens")[1]


def test_another_member_cannot_revoke_my_token(app, client, auth, make, db):
    auth.login(make.member("ann"))
    client.post("/settings/tokens", data={"name": "mine", "scopes": ["read"]})
    token_id = db.session.scalar(select(ApiToken.id))
    other = app.test_client()
    other.post("/login", data={"login": make.member("bob").username, "password": "correct-horse-battery-9"})
    assert other.post(f"/settings/tokens/{token_id}/revoke").status_code == 404
    db.session.rollback()
    assert db.session.get(ApiToken, token_id).revoked_at is None


def test_the_token_page_needs_the_csrf_token(app, client, auth, make, db):
    auth.login(make.member("ann"))
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/settings/tokens", data={"name": "x", "scopes": ["read"]}).status_code == 400
    token = csrf_token_from(client.get("/settings/tokens").get_data(as_text=True))
    response = client.post("/settings/tokens", data={"name": "x", "scopes": ["read"], "csrf_token": token})
    assert response.status_code == 200 and _secret(response.get_data(as_text=True))


def test_only_admins_manage_api_keys(app, client, auth, make, db):
    for role in (Role.member, Role.moderator, Role.staff):
        member = make.member(role=role)
        browser = app.test_client()
        browser.post("/login", data={"login": member.username, "password": "correct-horse-battery-9"})
        assert browser.get("/admin/api-keys").status_code == 404
        assert browser.post("/admin/api-keys", data={"name": "x", "scopes": ["read"]}).status_code == 404


def test_an_admin_key_acts_as_the_chosen_member_within_its_scopes(app, client, auth, make, db):
    make.member("helpdesk", role=Role.staff)
    auth.login(make.member("root", role=Role.admin))
    response = client.post("/admin/api-keys", data={"name": "Help desk sync", "member": "helpdesk",
                                                    "scopes": ["read", "crm"]})
    assert response.status_code == 200
    secret = _secret(response.get_data(as_text=True))
    key = db.session.scalar(select(ApiToken))
    assert key.kind is TokenKind.key and key.member.username == "helpdesk" and key.scope_list == ["read", "crm"]
    assert Api(app.test_client(), secret).get("me").get_json()["username"] == "helpdesk"
    listed = client.get("/admin/api-keys").get_data(as_text=True)
    assert "Help desk sync" in listed and secret not in listed
    missing = client.post("/admin/api-keys", data={"name": "Ghost", "member": "nobody", "scopes": ["read"]})
    assert missing.status_code == 422 and "No member has that username." in missing.get_data(as_text=True)
    assert client.post(f"/settings/tokens/{key.id}/revoke").status_code == 302
    assert Api(app.test_client(), secret).get("me").status_code == 401


def test_the_api_lists_my_tokens_without_secrets(app, client, auth, make, db):
    ann = make.member("ann")
    auth.login(ann)
    secret = _secret(client.post("/settings/tokens", data={"name": "lister", "scopes": ["read"]})
                     .get_data(as_text=True))
    body = Api(app.test_client(), secret).get("tokens").get_json()
    assert [t["name"] for t in body["items"]] == ["lister"] and "token" not in body["items"][0]
