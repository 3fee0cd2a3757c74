"""Reactions and bookmarks in a real browser: a "thanks" counts in place and reaches another reader's open page
live; "remind me tomorrow" bookmarks the thread and shows on /bookmarks."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.test_votes import register

pytestmark = pytest.mark.e2e


def test_thanks_counts_in_place_and_live_and_a_bookmark_reminds_tomorrow(new_context, live_server, screenshot_dir):
    suffix = uuid.uuid4().hex[:6]
    author = new_context().new_page()
    register(author, f"host_{suffix}")
    author.goto(f"/b/{live_server.seeded['board']}/new")
    title = f"Pairing two speakers {suffix}"
    author.get_by_label("Title").fill(title)
    author.get_by_label("Message").fill("Hold both power buttons for five seconds, then wait for the chime.")
    author.get_by_role("button", name="Start thread").click()
    expect(author).to_have_url(re.compile(r"/t/\d+$"))
    thread_url = author.url
    # the author cannot react to their own post: counts only, no buttons
    expect(author.locator("#post-1 form[data-react]")).to_have_count(0)

    # another member reads the thread with the page open (the live channel joined)
    watcher = new_context().new_page()
    register(watcher, f"watch_{suffix}")
    watcher.goto(thread_url)
    watcher_thanks = watcher.locator('#post-1 button[data-kind="thanks"] .reaction-count')
    expect(watcher_thanks).to_have_text("")
    watcher.wait_for_timeout(1000)  # the socket connects and joins the thread

    fan = new_context().new_page()
    register(fan, f"fan_{suffix}")
    fan.goto(thread_url)
    fan.evaluate("window.__notReloaded = true")
    thanks = fan.locator('#post-1 button[data-kind="thanks"]')
    thanks.click()
    expect(thanks.locator(".reaction-count")).to_have_text("1")
    expect(thanks).to_have_attribute("aria-pressed", "true")
    assert fan.evaluate("window.__notReloaded === true"), "the page reloaded instead of reacting in place"
    # the other reader's page shows the new count without a reload
    expect(watcher_thanks).to_have_text("1", timeout=10_000)
    watcher.screenshot(path=str(screenshot_dir / "reactions-thread.png"), full_page=True)
    # "Who reacted" lists the fan
    fan.goto(thread_url)
    fan.locator("#post-1 .reactions-who").click()
    expect(fan.locator(".reactors")).to_contain_text(f"fan_{suffix}")

    # bookmark the thread with "remind me tomorrow", then find it on /bookmarks
    fan.goto(thread_url)
    head = fan.locator(".thread-bookmark")
    head.get_by_text("Remind me").click()
    head.get_by_role("button", name="Tomorrow").click()
    expect(fan.get_by_text("Bookmarked. We will remind you then.")).to_be_visible()
    expect(fan.locator(".thread-bookmark .bookmark-toggle")).to_have_text("Bookmarked")
    fan.goto("/bookmarks")
    entry = fan.locator(".bookmarks-list li").first
    expect(entry).to_contain_text(title)
    # the reminder's time: 9:00 tomorrow in the member's zone (the text may read "in 20 hours"; the title is absolute)
    expect(entry.locator(".bookmark-remind-at time")).to_have_attribute("title", re.compile(r"\b0?9:00"))
    fan.screenshot(path=str(screenshot_dir / "bookmarks.png"), full_page=True)
