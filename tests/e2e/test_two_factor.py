"""Passkeys as a second factor in Chromium, with its virtual authenticator (a CDP session from Playwright):
a member adds a passkey in settings, gets recovery codes, signs out, and signs in with password + passkey.

WebAuthn refuses IP addresses as the relying party, so the browser reaches the server as `localhost`."""
from __future__ import annotations

import sys
import uuid
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _run, _server_env

pytestmark = pytest.mark.e2e
PASSWORD = "passkey-e2e-password-42"

MAKE_MEMBER = r"""
import sys
from application import create_app
from community.extensions import db
from community.members.services import register_member
app = create_app()
with app.app_context():
    register_member(sys.argv[1], sys.argv[1] + "@example.com", sys.argv[2])
    db.session.commit()
"""


def _member(live_server) -> str:
    username = f"key_{uuid.uuid4().hex[:6]}"
    env = _server_env(live_server.workdir, urlparse(live_server.url).port)
    _run("making a member", [sys.executable, "-c", MAKE_MEMBER, username, PASSWORD], env, live_server.workdir)
    return username


def _sign_in_with_password(page, username):
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_member_adds_a_passkey_and_signs_in_with_it(browser, live_server, csp_watch):
    username = _member(live_server)
    base = live_server.url.replace("127.0.0.1", "localhost")
    context = browser.new_context(base_url=base, locale="en-US")
    context.set_default_timeout(15_000)
    csp_watch.attach(context)
    errors = []
    context.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
            "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]

        _sign_in_with_password(page, username)
        expect(page.locator("form[action='/logout'] button")).to_be_attached()
        page.goto("/settings/two-factor")
        page.get_by_label("Name of the passkey").fill("My laptop")
        page.get_by_role("button", name="Add a passkey").click()
        # ten Argon2 hashes at production cost: give the server time
        expect(page.locator("#recovery-codes code")).to_have_count(10, timeout=60_000)
        expect(page.locator("[data-passkey]")).to_contain_text("My laptop")
        assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1

        page.locator("form[action='/logout'] button").first.click()
        _sign_in_with_password(page, username)
        expect(page).to_have_url(f"{base}/login/two-factor")
        expect(page.locator("form[action='/logout'] button")).to_have_count(0)  # the password alone: not in
        page.get_by_role("button", name="Use a passkey").click()
        expect(page.locator("form[action='/logout'] button")).to_be_attached()
        page.goto("/settings")
        expect(page.locator("#sessions")).to_contain_text("this browser")
    finally:
        context.close()
    assert errors == [], live_server.log_tail()
    assert csp_watch.violations() == []
