"""What every /api/v1 endpoint shares: bearer tokens, scopes, JSON errors, CSRF for cookie sessions, limits."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from community.api.models import ApiToken
from community.api.services import hash_secret
from community.dbtypes import utcnow
from community.members.models import Member, Role
from tests.community.api.conftest import Api, error_of, token_for
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[3]


def test_a_token_from_username_and_password_opens_me(client, make, db):
    ann = make.member("ann")
    response = Api(client).post("tokens", json={"login": "ann", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("cmt_") and body["expires_at"] and body["scopes"] == ["read", "write", "moderate"]
    me = Api(client, body["token"]).get("me")
    assert me.status_code == 200 and me.get_json()["username"] == "ann" and me.get_json()["email"] == ann.email


def test_a_token_by_email_works_and_only_its_hash_is_stored(client, make, db):
    make.member("ann")
    secret = Api(client).post("tokens", json={"email": "ANN@example.com", "password": PASSWORD}).get_json()["token"]
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert stored == [hash_secret(secret)] and secret not in stored


def test_wrong_password_gets_401_and_no_token(client, make, db):
    make.member("ann")
    response = Api(client).post("tokens", json={"login": "ann", "password": "wrong-password-1"})
    assert response.status_code == 401 and error_of(response)["code"] == "invalid_credentials"
    assert db.session.scalar(select(ApiToken.id)) is None


def test_a_suspended_member_gets_no_token_and_loses_the_ones_held(client, make, db):
    ann = make.member("ann")
    token = token_for(ann)
    db.session.execute(update(Member).where(Member.id == ann.id).values(suspended_until=utcnow() + timedelta(days=3)))
    db.session.commit()
    assert Api(client).post("tokens", json={"login": "ann", "password": PASSWORD}).status_code == 403
    assert Api(client, token).get("me").status_code == 401


def test_a_revoked_or_expired_or_unknown_token_gets_401(client, make, db):
    ann = make.member("ann")
    revoked, expired = token_for(ann), token_for(ann)
    mine = Api(client, revoked)
    token_id = next(t["id"] for t in mine.get("tokens").get_json()["items"]
                    if t["prefix"] == revoked[:10])
    assert mine.delete(f"tokens/{token_id}").status_code == 204
    db.session.execute(update(ApiToken).where(ApiToken.token_hash == hash_secret(expired))
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    for secret in (revoked, expired, "cmt_nonsense"):
        response = Api(client, secret).get("me")
        assert response.status_code == 401 and error_of(response)["code"] == "invalid_token"
        assert "Bearer" in response.headers["WWW-Authenticate"]


def test_a_password_change_ends_sign_in_tokens(client, make, db):
    ann = make.member("ann")
    token = token_for(ann)
    db.session.execute(update(Member).where(Member.id == ann.id).values(session_version=Member.session_version + 1))
    db.session.commit()
    assert Api(client, token).get("me").status_code == 401


def test_nobody_may_revoke_someone_elses_token(client, make, db):
    ann, bob = make.member("ann"), make.member("bob")
    token_for(ann)
    ann_token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.member_id == ann.id))
    response = Api(client, token_for(bob)).delete(f"tokens/{ann_token_id}")
    assert response.status_code == 404
    assert db.session.get(ApiToken, ann_token_id).revoked_at is None


def test_me_without_a_token_is_401_json(client, db):
    response = Api(client).get("me")
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"


def test_a_read_only_token_cannot_write(client, make, db):
    ann = make.member("ann")
    thread = make.thread()
    response = Api(client, token_for(ann, ["read"])).post(f"threads/{thread.id}/posts", json={"body": "Hello there"})
    assert response.status_code == 403 and error_of(response)["code"] == "insufficient_scope"
    assert Api(client, token_for(ann, ["read"])).get("me").status_code == 200


def test_a_members_token_never_gets_scopes_beyond_the_role(client, make, db):
    make.member("ann")
    body = Api(client).post("tokens", json={"login": "ann", "password": PASSWORD, "scopes": ["read", "crm"]}).get_json()
    assert body["scopes"] == ["read"]


def test_bad_json_wrong_types_missing_fields_and_unknown_fields(client, make, db):
    make.member("ann")
    guest = Api(client)
    response = guest.post("tokens", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and error_of(response)["code"] == "bad_json"
    response = guest.post("tokens", json=["a", "list"])
    assert response.status_code == 400
    response = guest.post("tokens", json={"login": 5, "password": None, "colour": "red"})
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert set(fields) == {"login", "password", "colour"}


def test_a_huge_body_gets_413_json(client, app, db):
    response = Api(client).post("tokens", data="x" * (app.config["MAX_CONTENT_LENGTH"] + 10),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"


def test_unknown_ids_routes_and_methods_answer_json(client, db):
    guest = Api(client)
    assert error_of(guest.get("threads/999999"))["code"] == "not_found"
    assert guest.get("threads/99999999999999").status_code == 404  # beyond any id: not a database error
    assert error_of(guest.get("no-such-thing"))["code"] == "not_found"
    response = guest.call("PUT", "me")
    assert response.status_code == 405 and "GET" in response.headers["Allow"] and error_of(response)
    response = guest.get("boards/nope/threads?page=abc")
    assert response.status_code in (400, 404) and error_of(response)


def test_cookie_sessions_must_send_the_csrf_token_to_write(app, client, auth, make, db):
    thread = make.thread()
    auth.login(make.member("ann"))
    app.config["WTF_CSRF_ENABLED"] = True
    path = f"/api/v1/threads/{thread.id}/posts"
    response = client.post(path, json={"body": "A reply from the browser"})
    assert response.status_code == 400 and error_of(response)["code"] == "csrf_failed"
    token = csrf_token_from(client.get("/settings").get_data(as_text=True))
    response = client.post(path, json={"body": "A reply from the browser"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert client.get("/api/v1/me").get_json()["username"] == "ann"  # reads need no token


def test_bearer_requests_need_no_csrf_token_and_ignore_cookies(app, client, auth, make, db):
    thread = make.thread()
    auth.login(make.member("ann"))
    bob = make.member("bob")
    app.config["WTF_CSRF_ENABLED"] = True
    api = Api(client, token_for(bob))
    response = api.post(f"threads/{thread.id}/posts", json={"body": "A reply from a script"})
    assert response.status_code == 201 and response.get_json()["author"]["username"] == "bob"


RATE_LIMIT_SCRIPT = textwrap.dedent("""
    import json, sys
    from application import create_app
    from community.extensions import db
    from tests import factories

    app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1], "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/rl.db",
                      "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        db.create_all()
        factories.member("ann")
    client = app.test_client()
    codes, last = [], None
    for n in range(7):
        response = client.post("/api/v1/tokens", json={"login": "ann", "password": "wrong-password-1"})
        codes.append(response.status_code)
    response = client.post("/api/v1/tokens", json={"login": "ann", "password": factories.PASSWORD})
    print(json.dumps({"codes": codes, "status": response.status_code, "retry": response.headers.get("Retry-After"),
                      "body": response.get_json()}))
""")


def test_rate_limits_answer_429_with_retry_after(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", RATE_LIMIT_SCRIPT, str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["codes"] == [401] * 6 + [429]  # "6 per minute", as the sign-in page
    assert outcome["status"] == 429 and int(outcome["retry"]) > 0
    assert outcome["body"]["error"]["code"] == "rate_limited"


def test_registration_through_the_api_follows_the_page_rules_and_can_be_turned_off(app, client, make, db):
    guest = Api(client)
    response = guest.post("members", json={"username": "newbie", "email": "new@example.com",
                                           "password": "a-long-enough-pass-9"})
    assert response.status_code == 201 and response.get_json()["username"] == "newbie"
    again = guest.post("members", json={"username": "NEWBIE", "email": "other@example.com",
                                        "password": "a-long-enough-pass-9"})
    assert again.status_code == 409 and "username" in error_of(again)["fields"]
    weak = guest.post("members", json={"username": "weakling", "email": "weak@example.com", "password": "password"})
    assert weak.status_code == 422 and "password" in error_of(weak)["fields"]
    app.config["API_REGISTRATION_ENABLED"] = False
    try:
        closed = guest.post("members", json={"username": "latecomer", "email": "late@example.com",
                                             "password": "a-long-enough-pass-9"})
    finally:
        app.config["API_REGISTRATION_ENABLED"] = True
    assert closed.status_code == 403 and error_of(closed)["code"] == "registration_closed"
    assert db.session.scalar(select(Member.id).where(Member.username == "latecomer")) is None


def test_member_profiles_are_public_without_private_fields(client, make, db):
    make.member("ann", role=Role.staff)
    body = Api(client).get("members/ANN").get_json()
    assert body["username"] == "ann" and body["role"] == "staff" and "email" not in body
    assert Api(client).get("members/nobody").status_code == 404


def test_a_signed_in_caller_cannot_register_another_account(client, make, db):
    response = Api(client, token_for(make.member("ann"))).post(
        "members", json={"username": "second", "email": "second@example.com", "password": "a-long-enough-pass-9"})
    assert response.status_code == 403 and error_of(response)["code"] == "signed_in"
