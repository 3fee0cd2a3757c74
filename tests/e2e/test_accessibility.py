"""Accessibility in Chromium: axe-core finds no serious or critical violation on the main pages, in light
and in dark mode; the theme switch, the keyboard shortcuts and the hidden live-updates banner.

axe-core comes from npm (package.json, `npm ci`): node_modules/axe-core/axe.min.js is injected into each
page. Injecting a script by content is what the Content-Security-Policy forbids, so the axe contexts
bypass the CSP (and only they).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.site_map import DEMO_PASSWORD, ROLES, demo_site
from tests.e2e.test_member_journey import sign_in

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag",
                                                    values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")}`);
}"""


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN)


@pytest.fixture(scope="module")
def axe_file():
    if not AXE.exists():
        problem = f"{AXE} is missing: run `npm ci` (make install-dev does)"
        if os.environ.get("CI"):
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    return AXE


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_main_pages_have_no_serious_accessibility_violations(scheme, axe_file, demo_server, demo_context):
    site = demo_site(demo_server)
    context = demo_context(color_scheme=scheme, bypass_csp=True, reduced_motion="reduce")
    page = context.new_page()
    sign_in(page, ROLES["admin"], DEMO_PASSWORD)  # the one role that reaches them all (the review queue too)
    found = {}
    for name, path in site["main"].items():
        assert page.goto(path).status == 200, path
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") is (scheme == "dark")
        problems = axe_violations(page)
        if problems:
            found[f"{name} {path}"] = problems
    guest = demo_context(color_scheme=scheme, bypass_csp=True).new_page()
    for name in ("home", "thread"):
        guest.goto(site["main"][name])
        if problems := axe_violations(guest):
            found[f"guest {name}"] = problems
    assert found == {}, "\n".join(f"{where}: {'; '.join(problems)}" for where, problems in found.items())


def test_the_theme_switch_is_remembered_and_rendered_by_the_server(demo_server, demo_context):
    demo_site(demo_server)
    page = demo_context(color_scheme="light").new_page()
    page.goto("/")
    background = "getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(background)
    page.get_by_label("Theme").select_option("dark")
    assert page.evaluate(background) != light
    page.goto("/latest")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")  # from the cookie, before any script
    assert page.evaluate("localStorage.getItem('theme')") == "dark"
    assert page.evaluate(background) != light
    page.get_by_label("Theme").select_option("system")
    page.reload()
    assert page.locator("html").get_attribute("data-theme") is None
    assert page.evaluate(background) == light


def test_keyboard_shortcuts_move_between_posts_reply_search_and_show_help(demo_server, demo_context):
    site = demo_site(demo_server)
    page = demo_context().new_page()
    sign_in(page, ROLES["member"], DEMO_PASSWORD)
    page.goto(site["main"]["thread"])
    posts = page.locator("article.post")
    assert posts.count() >= 3
    page.keyboard.press("j")
    expect(posts.nth(0)).to_have_class(re.compile(r"\bis-current\b"))
    expect(posts.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(posts.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(posts.nth(0)).to_be_focused()
    page.keyboard.press("r")
    reply_box = page.locator("#reply textarea")
    expect(reply_box).to_be_focused()
    page.keyboard.type("jk/?")  # typing in the composer is typing, not shortcuts
    expect(reply_box).to_have_value(re.compile(r"jk/\?$"))
    expect(page.get_by_role("dialog")).to_have_count(0)
    reply_box.fill("")
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search")).to_be_focused()
    page.locator("h1").click()
    page.keyboard.press("Control+j")  # with a modifier: the browser's, not ours
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Next post")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()


def test_the_hidden_live_updates_banner_is_not_shown_nor_a_tab_stop(demo_server, demo_context):
    site = demo_site(demo_server)
    page = demo_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto(site["main"]["thread"])
    banner = page.locator(".live-banner")
    expect(banner).to_be_hidden()
    for _ in range(40):  # the first forty Tab stops never land on it
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.classList.contains('live-banner')") is False


def test_reduced_motion_turns_animations_off(demo_server, demo_context):
    site = demo_site(demo_server)
    page = demo_context(reduced_motion="reduce").new_page()
    page.goto(site["main"]["thread"])
    page.evaluate("document.querySelector('article.post').classList.add('live-new')")
    assert page.evaluate("getComputedStyle(document.querySelector('article.post')).animationName") == "none"
