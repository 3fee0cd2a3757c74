"""No page scrolls sideways on a 360 px phone, for a guest, a member, a moderator, staff and an admin.

The pages are every GET route without arguments plus one of each parameterised page (tests/e2e/site_map.py),
visited in the demo community; each role checks the pages it reaches (a 403/404 or the sign-in form is
not its page). "Scrolls sideways" is `document.documentElement.scrollWidth > window.innerWidth`.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.site_map import DEMO_PASSWORD, ROLES, demo_site, reachable
from tests.e2e.test_member_journey import sign_in

pytestmark = pytest.mark.e2e
PHONE_360 = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 768, "height": 1024}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 800}}
# The document's width past the layout viewport. Not `window.innerWidth`: a mobile Chromium zooms out to
# show a page that is too wide, and innerWidth (the visual viewport) grows with it.
WIDTH = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def overflowing_pages(context, pages) -> tuple[list[str], int]:
    """The pages wider than the window (path and excess in px), and how many pages were reached."""
    page, wide, reached = context.new_page(), [], 0
    for path in pages:
        response = page.goto(path, wait_until="domcontentloaded")
        if not reachable(response, page):
            continue
        reached += 1
        excess = page.evaluate(WIDTH)
        if excess > 0:
            wide.append(f"{path} (+{excess}px)")
    page.close()
    return wide, reached


@pytest.mark.parametrize("role", list(ROLES))
def test_no_page_scrolls_sideways_at_360_px(role, demo_server, demo_context):
    site = demo_site(demo_server)
    context = demo_context(**PHONE_360)
    if ROLES[role]:
        sign_in(context.new_page(), ROLES[role], DEMO_PASSWORD)
    wide, reached = overflowing_pages(context, site["pages"])
    assert reached >= 10, f"{role} reached only {reached} pages"
    assert wide == [], f"{role}: pages wider than a 360 px phone: {', '.join(wide)}"


@pytest.mark.parametrize("size", [TABLET, DESKTOP], ids=["tablet-768", "desktop-1366"])
def test_the_crm_profile_fits_a_tablet_and_a_desktop(size, demo_server, demo_context):
    site = demo_site(demo_server)
    context = demo_context(**size)
    page = context.new_page()
    sign_in(page, ROLES["staff"], DEMO_PASSWORD)
    for path in (site["main"]["crm_profile"], "/crm/members", "/crm/dashboard", "/developers/api"):
        assert page.goto(path).status == 200
        assert page.evaluate(WIDTH) <= 0, f"{path} is wider than {size['viewport']['width']} px"


def test_tables_become_stacked_cards_on_a_phone(demo_server, demo_context):
    demo_site(demo_server)
    page = demo_context(**PHONE_360).new_page()
    sign_in(page, ROLES["staff"], DEMO_PASSWORD)
    page.goto("/crm/members")
    cells = page.locator("main table tbody tr").first.locator("td")
    assert cells.count() >= 2
    first, second = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert second["y"] >= first["y"] + first["height"] - 1, "the cells of a row stack on a phone"
    assert abs(second["x"] - first["x"]) < 2
    header = page.locator("main table thead th").nth(1).inner_text().strip()
    expect(cells.nth(1)).to_have_attribute("data-label", header)  # shown before the value (::before)
    assert header in cells.nth(1).evaluate("cell => getComputedStyle(cell, '::before').content")
