"""A visitor joins, starts a thread and a guest reads it, in Chromium against the real server."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("form[action='/logout'] button")).to_be_attached()  # on a phone it sits in the closed menu


def horizontal_overflow(page: Page) -> int:
    """Return how many CSS pixels the page is wider than the window (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def words_split_across_lines(page: Page, selector: str) -> list[str]:
    """Return the words inside `selector` that the browser broke over two lines (e.g. "valu|e")."""
    return page.evaluate("""selector => {
        const broken = [];
        for (const element of document.querySelectorAll(selector)) {
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                for (const match of node.data.matchAll(/\\S+/g)) {
                    const range = document.createRange();
                    range.setStart(node, match.index);
                    range.setEnd(node, match.index + match[0].length);
                    const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
                    if (tops.size > 1) broken.push(match[0]);
                }
            }
        }
        return broken;
    }""", selector)


def test_visitor_registers_starts_a_thread_and_a_guest_reads_it(new_context):
    suffix = uuid.uuid4().hex[:6]
    username = f"newbie_{suffix}"
    title = f"How do I pair the headset {suffix}?"
    body = ("My **headset** will not pair.\n\n"
            "1. Hold the power button\n"
            "2. Wait for the *blue* light\n\n"
            "The log says `E42` every time.")

    member = new_context().new_page()
    member.goto("/")
    member.get_by_role("link", name="Register").click()
    member.get_by_label("Username").fill(username)
    member.get_by_label("Email").fill(f"{username}@example.com")
    member.get_by_label("Password", exact=True).fill("quiet-meadow-4821")
    member.get_by_role("button", name="Create account").click()

    expect(member.get_by_role("status")).to_contain_text(f"Welcome, {username}!")
    expect(member.get_by_role("navigation", name="Main").get_by_role("link", name=username)).to_be_visible()

    member.get_by_role("link", name="General", exact=True).first.click()
    expect(member.get_by_role("heading", level=1)).to_have_text("General")
    member.get_by_role("link", name="New thread").click()
    member.get_by_label("Title").type(title)
    member.get_by_label("Message").type(body)
    member.get_by_role("button", name="Start thread").click()

    expect(member).to_have_url(re.compile(r"/t/\d+$"))
    expect(member.get_by_role("heading", level=1)).to_have_text(title)
    opening = member.locator("article.post").first
    expect(opening.locator(".post-body strong")).to_have_text("headset")
    expect(opening.locator(".post-body ol > li")).to_have_text(["Hold the power button", "Wait for the blue light"])
    expect(opening.locator(".post-body em")).to_have_text("blue")
    expect(opening.locator(".post-body code")).to_have_text("E42")
    expect(opening.locator(".post-body")).not_to_contain_text("**")
    expect(member.get_by_label("Your reply")).to_be_visible()

    guest = new_context().new_page()
    guest.goto("/")
    latest = guest.locator("section", has=guest.get_by_role("heading", name="Latest", exact=True))
    latest.get_by_role("link", name=title).click()
    expect(guest.get_by_role("heading", level=1)).to_have_text(title)
    expect(guest.locator("article.post").first.locator(".post-body")).to_contain_text("My headset will not pair.")
    expect(guest.locator(".post-body strong")).to_have_text("headset")
    expect(guest.locator(".signin-to-reply")).to_have_text("Sign in or register to reply.")
    expect(guest.locator(".signin-to-reply").get_by_role("link", name="Sign in")).to_have_attribute(
        "href", re.compile(r"^/login\?next=/t/\d+$"))
    expect(guest.get_by_label("Your reply")).to_have_count(0)
    expect(guest.get_by_role("button", name="Post reply")).to_have_count(0)


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_thread_page_fits_the_screen_with_a_usable_reply_form(device, new_context, live_server, screenshot_dir):
    seeded = live_server.seeded
    width = device["viewport"]["width"]
    page = new_context(**device).new_page()
    sign_in(page, seeded["username"], seeded["password"])

    page.goto(f"/t/{seeded['thread_id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(seeded["title"])
    expect(page.locator(".post-body table")).to_be_visible()
    # A wide table scrolls inside the post; its words stay whole rather than being chopped to fit.
    assert words_split_across_lines(page, ".post-body table") == []
    assert horizontal_overflow(page) <= 0, f"the thread page scrolls sideways on a {width}px wide screen"

    label = page.locator("#reply label", has_text="Your reply")
    expect(label).to_be_visible()
    reply_box = page.get_by_label("Your reply")
    reply_box.scroll_into_view_if_needed()
    for element in (label, reply_box, page.get_by_role("button", name="Post reply")):
        box = element.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, \
            f"{element} is not fully inside the {width}px wide screen: {box}"

    name = "phone" if device is PHONE else "desktop"
    page.screenshot(path=str(screenshot_dir / f"thread-{name}.png"), full_page=True)
    page.goto("/")
    page.screenshot(path=str(screenshot_dir / f"home-{name}.png"), full_page=True)
    assert horizontal_overflow(page) <= 0, f"the home page scrolls sideways on a {width}px wide screen"


def test_thread_page_leaves_the_focus_alone_and_marks_no_field_invalid(new_context, live_server):
    # Once broken: None attributes rendered as autofocus="None" aria-invalid="None", so the reply box
    # stole the focus on every thread page and screen readers called untouched fields invalid.
    seeded = live_server.seeded
    page = new_context(**PHONE).new_page()
    sign_in(page, seeded["username"], seeded["password"])

    page.goto(f"/t/{seeded['thread_id']}")
    expect(page.get_by_label("Your reply")).to_be_visible()
    expect(page.get_by_label("Your reply")).not_to_have_attribute("aria-invalid", re.compile(".*"))
    assert page.evaluate("document.activeElement.tagName") == "BODY", "a field took the focus on load"
