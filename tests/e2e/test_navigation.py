"""Finding one's way in a real browser: the phone menu, the Boards menu, and the language switcher."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_member_journey import DESKTOP, PHONE, horizontal_overflow

pytestmark = pytest.mark.e2e


def test_on_a_phone_the_navigation_is_one_menu_that_opens(new_context, live_server):
    page = new_context(**PHONE).new_page()
    page.goto("/")
    toggle = page.locator("summary.nav-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("Menu")
    latest = page.get_by_role("link", name="Latest", exact=True)
    expect(latest).to_be_hidden()  # everything is folded into the one menu
    expect(page.get_by_role("link", name="Roadmap")).to_be_hidden()
    assert horizontal_overflow(page) <= 0, "the home page scrolls sideways on a 390px wide screen"

    toggle.click()
    for name in ("Latest", "Roadmap", "Leaderboard", "Rewards", "Sign in"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    page.locator(".boards-menu > summary").click()
    board = page.locator(".boards-menu").get_by_role("link", name="General")
    expect(board).to_be_visible()
    assert horizontal_overflow(page) <= 0, "the open menu makes the page scroll sideways"
    board.click()
    expect(page).to_have_url(f"{live_server.url}/b/general")
    expect(page.get_by_role("link", name="Latest", exact=True)).to_be_hidden()  # closed again on the next page


def test_on_a_desktop_the_whole_bar_shows_and_boards_drop_down(new_context):
    page = new_context(**DESKTOP).new_page()
    page.goto("/latest")
    expect(page.locator("summary.nav-toggle")).to_be_hidden()
    for name in ("Latest", "Roadmap", "Leaderboard", "Rewards"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    page.locator(".boards-menu > summary").click()
    expect(page.locator(".boards-menu").get_by_role("link", name="General")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".boards-menu").get_by_role("link", name="General")).to_be_hidden()


def test_a_guest_switches_to_chinese_and_it_stays_chinese(new_context, live_server):
    page = new_context(**PHONE).new_page()
    page.goto("/roadmap")
    page.locator(".language-switcher").get_by_role("button", name="简体中文").click()
    expect(page).to_have_url(f"{live_server.url}/roadmap")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("路线图")
    page.goto(f"/t/{live_server.seeded['thread_id']}")  # the next page too
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("footer").get_by_role("link", name="管理透明度")).to_be_visible()
    page.locator(".language-switcher").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
