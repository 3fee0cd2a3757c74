"""Installable and readable offline, in Chromium: the manifest and its icons are real; a member who read a
public thread can open it again with the network cut (with a clear "saved copy" notice), gets the offline page
for anything not read, never gets a members-only page from the cache, and after signing out gets nothing kept."""
from __future__ import annotations

import io
import json
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.test_admin import PASSWORD, flask
from tests.e2e.test_member_journey import PHONE, sign_in

pytestmark = pytest.mark.e2e
NOTICE = "You are offline — this is a saved copy."


def test_the_manifest_and_its_icons_make_the_site_installable(live_server, page):
    response = page.request.get("/manifest.webmanifest")
    assert response.ok and response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.text())
    assert manifest["name"] and manifest["short_name"] and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["theme_color"].startswith("#")
    for icon in manifest["icons"]:
        data = page.request.get(icon["src"]).body()
        with Image.open(io.BytesIO(data)) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"] and image.format == "PNG"
    assert sorted(icon["sizes"] for icon in manifest["icons"]) == ["192x192", "512x512"]
    page.goto("/")
    assert page.locator('link[rel="manifest"]').get_attribute("href") == "/manifest.webmanifest"


def _start_private_thread(live_server, new_context) -> str:
    suffix = uuid.uuid4().hex[:6]
    admin = f"off_{suffix}"
    flask(live_server, "create-admin", "--username", admin, "--email", f"{admin}@example.com", "--password", PASSWORD)
    flask(live_server, "board", "create", "--slug", f"lounge-{suffix}", "--name", f"Lounge {suffix}",
          "--kind", "discussion", "--visibility", "members")
    page = new_context().new_page()
    sign_in(page, admin, PASSWORD)
    page.goto(f"/b/lounge-{suffix}/new")
    page.get_by_label("Title").fill(f"Members lantern plans {suffix}")
    page.get_by_label("Message").fill("Only members read these plans.")
    page.get_by_role("button", name="Start thread").click()
    expect(page.get_by_role("heading", name=f"Members lantern plans {suffix}")).to_be_visible()
    return page.url.removeprefix(live_server.url)


def test_a_member_reads_offline_and_nothing_is_kept_after_signing_out(live_server, new_context, screenshot_dir):
    private_path = _start_private_thread(live_server, new_context)
    seeded = live_server.seeded
    public_path = f"/t/{seeded['thread_id']}"

    context = new_context(**PHONE)
    page = context.new_page()
    sign_in(page, seeded["username"], seeded["password"])
    page.goto("/")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
    page.reload()
    assert page.evaluate("!!navigator.serviceWorker.controller")
    page.goto(public_path)
    expect(page.get_by_role("heading", name=seeded["title"])).to_be_visible()
    page.goto(private_path)
    expect(page.get_by_role("heading", name="Members lantern plans")).to_be_visible()
    page.wait_for_timeout(300)  # the worker stores the page behind the answer

    context.set_offline(True)
    page.goto(public_path)
    expect(page.get_by_role("heading", name=seeded["title"])).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=NOTICE)).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "offline-saved-copy-phone.png"), full_page=True)
    page.goto("/t/987654")
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    page.goto(private_path)  # read a moment ago, but only members may: never kept
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    expect(page.get_by_text("Only members read these plans.")).to_have_count(0)

    context.set_offline(False)
    page.goto("/")
    page.locator("summary.nav-toggle").click()  # on a phone the header is one menu
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in", include_hidden=True)).to_be_attached()  # in the closed menu
    context.set_offline(True)
    for path in (public_path, private_path):
        page.goto(path)
        expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
        expect(page.get_by_text("Only members read these plans.")).to_have_count(0)
    context.set_offline(False)

    # A session that ends elsewhere (no sign-out here): the first page made for someone else forgets the rest.
    sign_in(page, seeded["username"], seeded["password"])
    page.goto(public_path)
    page.wait_for_timeout(300)
    context.clear_cookies()
    page.goto("/latest")
    expect(page.get_by_role("link", name="Sign in", include_hidden=True)).to_be_attached()  # a guest's page now
    page.wait_for_timeout(300)
    context.set_offline(True)
    page.goto(public_path)
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    context.set_offline(False)
