"""The admin area in Chromium on a phone: an admin made with the contract's command creates a members-only
board through the form; a guest does not see it; no admin page scrolls sideways."""
from __future__ import annotations

import sys
import uuid
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _run, _server_env
from tests.e2e.test_member_journey import PHONE, horizontal_overflow, sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "admin-e2e-password-42"


def flask(live_server, *args) -> str:
    env = _server_env(live_server.workdir, urlparse(live_server.url).port)
    return _run(" ".join(args), [sys.executable, "-m", "flask", "--app", "wsgi", "community", *args], env,
                live_server.workdir)


def test_an_admin_creates_a_members_board_on_a_phone_and_a_guest_cannot_see_it(live_server, new_context):
    suffix = uuid.uuid4().hex[:6]
    admin = f"boss_{suffix}"
    flask(live_server, "create-admin", "--username", admin, "--email", f"{admin}@example.com", "--password", PASSWORD)
    flask(live_server, "board", "create", "--slug", f"cli-{suffix}", "--name", f"From the shell {suffix}",
          "--kind", "idea", "--visibility", "public")
    assert f"cli-{suffix}" in flask(live_server, "board", "list")

    page = new_context(**PHONE).new_page()
    sign_in(page, admin, PASSWORD)
    page.goto("/admin")
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Boards").click()
    assert horizontal_overflow(page) <= 0
    page.get_by_role("link", name="New board").click()
    assert horizontal_overflow(page) <= 0
    page.get_by_label("Name (English)").fill(f"Insiders {suffix}")
    page.get_by_label("Name (Simplified Chinese)").fill("内部")
    page.get_by_label("Slug").fill(f"insiders-{suffix}")
    page.get_by_label("Who can read it").select_option("members")
    page.get_by_role("button", name="Create board").click()
    expect(page.locator(f'[data-board="insiders-{suffix}"]')).to_be_visible()
    assert horizontal_overflow(page) <= 0
    page.goto(f"/admin/members?q={admin}")
    expect(page.locator(f'[data-member="{admin}"]')).to_be_visible()
    assert horizontal_overflow(page) <= 0

    guest = new_context(**PHONE).new_page()
    assert guest.goto(f"/b/insiders-{suffix}").status == 404
    guest.goto("/")
    expect(guest.locator("main").get_by_text(f"From the shell {suffix}")).to_be_visible()
    expect(guest.get_by_text(f"Insiders {suffix}")).to_have_count(0)
