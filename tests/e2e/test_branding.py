"""Branding in Chromium on a phone: an admin uploads a logo and sets a primary colour; the home page shows
the logo (decoded by the browser) and the header band and buttons take the colour, with no CSP violation."""
from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.test_admin import PASSWORD, flask
from tests.e2e.test_member_journey import PHONE, horizontal_overflow, sign_in

pytestmark = pytest.mark.e2e
BRAND = "#0b6b5c"
BRAND_RGB = "rgb(11, 107, 92)"


def logo_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (240, 80), (11, 107, 92)).save(out, format="PNG")
    return out.getvalue()


def test_an_admin_brands_the_site_and_readers_see_logo_and_colour(live_server, new_context, screenshot_dir):
    admin = f"brand_{uuid.uuid4().hex[:6]}"
    flask(live_server, "create-admin", "--username", admin, "--email", f"{admin}@example.com", "--password", PASSWORD)

    page = new_context(**PHONE).new_page()
    sign_in(page, admin, PASSWORD)
    page.goto("/admin/site")
    assert horizontal_overflow(page) <= 0
    page.get_by_label("Primary colour").fill("#ff0000")  # unreadable with white and with dark text
    page.get_by_role("button", name="Save site settings").click()
    expect(page.locator("#primary_color-error")).to_contain_text("4.5:1")
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(screenshot_dir / "branding-admin-phone.png"), full_page=True)

    page.get_by_label("Community name").fill("Lantern Makers")
    page.get_by_label("Primary colour").fill(BRAND)
    page.get_by_label("Logo").set_input_files({"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()})
    page.get_by_role("button", name="Save site settings").click()
    expect(page.get_by_text("The site settings have been saved.")).to_be_visible()

    guest = new_context(**PHONE).new_page()
    for reader in (page, guest):
        reader.goto("/")
        logo = reader.locator("img.intro-logo")
        expect(logo).to_be_visible()
        assert logo.evaluate("img => img.complete && img.naturalWidth") == 240
        assert reader.locator(".bar .brand-logo").evaluate("img => img.naturalWidth") == 240
        expect(reader.locator(".bar .brand")).to_contain_text("Lantern Makers")
        header = reader.locator(".site-header").evaluate("el => getComputedStyle(el).borderTopColor")
        assert header == BRAND_RGB
        assert horizontal_overflow(reader) <= 0
    register = guest.locator(".site-header .button.primary")
    assert register.evaluate("el => getComputedStyle(el).backgroundColor") == BRAND_RGB
    guest.screenshot(path=str(screenshot_dir / "branding-home-phone.png"), full_page=True)
    guest.goto("/latest")
    link = guest.locator("main a").first
    assert link.evaluate("el => getComputedStyle(el).color") == BRAND_RGB

    # put the default look back for the other tests sharing this server
    page.goto("/admin/site")
    page.get_by_label("Community name").fill("")
    page.get_by_label("Primary colour").fill("")
    page.get_by_label("Remove the logo").check()
    page.get_by_role("button", name="Save site settings").click()
    expect(page.get_by_text("The site settings have been saved.")).to_be_visible()
