"""Security headers: on pages, API answers and Engine.IO's /socket.io/ answers; HSTS and Secure cookies
under https (directly or through a trusted proxy); no-store for signed-in readers; a CSP naming only
the sources the site uses, whose violation reports are logged."""
from __future__ import annotations

import logging

import pytest

from community.members.models import Role
from tests.community.api.conftest import token_for
from tests.factories import PASSWORD


def csp_of(response) -> dict[str, list[str]]:
    policy = {}
    for directive in response.headers["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


@pytest.fixture
def thread(make):
    return make.thread(board=make.board("open"), author=make.member("mia"), title="Headers everywhere")


@pytest.fixture
def config(app):
    keys = ("TRUSTED_PROXIES", "FORCE_HTTPS_HEADERS", "UPLOADS_URL", "IMAGE_PROXY_URL", "SOCKETIO_URL")
    before = {key: app.config.get(key) for key in keys}
    yield app.config
    app.config.update(before)


def test_pages_carry_permissions_policy_coop_and_the_fixed_headers(client, thread):
    for url in ("/", "/latest", f"/t/{thread.id}", "/login", "/api/v1/boards", "/nothing-here"):
        response = client.get(url)
        assert response.headers["Permissions-Policy"].startswith("accelerometer=()"), url
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_the_csp_names_only_this_site_for_images_and_websockets(client, thread):
    policy = csp_of(client.get(f"/t/{thread.id}"))
    assert policy["img-src"] == ["'self'", "data:"]  # not "https:": any site could be loaded (and track readers)
    assert policy["connect-src"] == ["'self'"]  # not "ws: wss:": websockets to any host
    assert policy["script-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["report-uri"] == ["/csp-report"]


def test_the_csp_adds_the_configured_uploads_image_proxy_and_socket_origins(client, config):
    config.update(UPLOADS_URL="https://cdn.example.net/uploads/", IMAGE_PROXY_URL="https://img.example.net/p",
                  SOCKETIO_URL="https://live.example.net")
    policy = csp_of(client.get("/"))
    assert policy["img-src"] == ["'self'", "data:", "https://cdn.example.net", "https://img.example.net"]
    assert policy["connect-src"] == ["'self'", "https://live.example.net", "wss://live.example.net"]


def test_socket_io_answers_carry_the_security_headers(client):
    response = client.get("/socket.io/?EIO=4&transport=polling")
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("0{")  # Engine.IO's open
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Permissions-Policy" in response.headers and response.headers["X-Frame-Options"] == "DENY"


def test_no_hsts_and_no_secure_cookies_over_plain_http(client, make):
    member = make.member("ann")
    response = client.post("/login", data={"login": "ann", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    assert "Strict-Transport-Security" not in response.headers
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and not any("Secure" in cookie for cookie in cookies)
    assert member


def test_https_sends_hsts_and_marks_session_and_remember_cookies_secure(app, make):
    make.member("ann")
    client = app.test_client()
    response = client.post("https://localhost/login", data={"login": "ann", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert "session" in cookies and "remember_token" in cookies
    assert all("; Secure" in cookie for cookie in cookies.values()), cookies


def test_a_trusted_proxy_saying_https_gets_hsts_and_secure_cookies(app, make, config):
    make.member("ann")
    form = {"login": "ann", "password": PASSWORD, "remember": "y"}
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    # without TRUSTED_PROXIES anyone could claim https: the header is ignored
    response = app.test_client().post("/login", data=form, headers=forwarded)
    assert "Strict-Transport-Security" not in response.headers
    assert not any("Secure" in c for c in response.headers.getlist("Set-Cookie"))
    config["TRUSTED_PROXIES"] = 1
    response = app.test_client().post("/login", data=form, headers=forwarded)
    assert response.status_code == 302
    assert "Strict-Transport-Security" in response.headers
    assert all("; Secure" in c for c in response.headers.getlist("Set-Cookie"))


def test_force_https_headers_setting(client, config):
    config["FORCE_HTTPS_HEADERS"] = True
    assert "Strict-Transport-Security" in client.get("/").headers


def test_signed_in_answers_are_no_store(app, client, auth, make, thread):
    member = make.member("bob")
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token_for(member)}"})
    assert me.status_code == 200 and me.headers["Cache-Control"] == "private, no-store"
    auth.login(member)
    for url in ("/", f"/t/{thread.id}", "/settings", "/notifications", "/api/v1/me", "/api/v1/boards"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "private, no-store", url
    static = client.get("/static/css/site.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def test_guests_pages_may_be_cached(app, client, thread):
    app.config["PAGE_CACHE_SECONDS"] = 10  # off under the test client; tests/community/test_cache_control.py has the rest
    try:
        assert client.get(f"/t/{thread.id}").headers["Cache-Control"] == "public, max-age=10"
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 0


def test_staff_crm_pages_are_no_store(client, auth, make):
    auth.login(make.member("stan", role=Role.staff))
    assert client.get("/crm/members").headers["Cache-Control"] == "private, no-store"


def test_csp_reports_are_logged(client, caplog):
    report = {"csp-report": {"document-uri": "http://localhost/t/1", "violated-directive": "img-src",
                             "effective-directive": "img-src", "blocked-uri": "https://tracker.example/p.gif"}}
    with caplog.at_level(logging.WARNING, logger="community.csp"):
        response = client.post("/csp-report", json=report, headers={"Content-Type": "application/csp-report"})
        assert response.status_code == 204
        modern = [{"type": "csp-violation", "body": {"documentURL": "http://localhost/", "effectiveDirective":
                                                     "connect-src", "blockedURL": "wss://evil.example/"}}]
        assert client.post("/csp-report", json=modern,
                           headers={"Content-Type": "application/reports+json"}).status_code == 204
        forged = {"csp-report": {"blocked-uri": "x\n2026-01-01 ERROR forged line", "effective-directive": "img-src"}}
        assert client.post("/csp-report", json=forged).status_code == 204
    messages = [r.getMessage() for r in caplog.records if r.name == "community.csp"]
    assert not any("\n" in m for m in messages)
    assert any("img-src blocked https://tracker.example/p.gif" in m for m in messages), messages
    assert any("connect-src blocked wss://evil.example/" in m for m in messages), messages


def test_a_bearer_token_from_a_cookie_free_client_is_no_store(make, app):
    secret = token_for(make.member("tia"))
    response = app.test_client().get("/api/v1/notifications", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
