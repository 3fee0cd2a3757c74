"""Votes in a real browser: with JavaScript the score changes in place; without it the form still works."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def register(page: Page, username: str) -> None:
    page.goto("/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill("quiet-meadow-4821")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_votes_change_the_score_in_place_with_javascript_and_by_form_without(new_context, live_server):
    suffix = uuid.uuid4().hex[:6]
    author = new_context().new_page()
    register(author, f"asker_{suffix}")
    author.goto(f"/b/{live_server.seeded['board']}/new")
    author.get_by_label("Title").fill(f"Best way to carry the speaker {suffix}?")
    author.get_by_label("Message").fill("A bag, a case, or just the box it came in?")
    author.get_by_role("button", name="Start thread").click()
    expect(author).to_have_url(re.compile(r"/t/\d+$"))
    thread_url = author.url
    # the author sees the score of their own post, but no buttons to vote on it
    opening = author.locator("#post-1")
    expect(opening.locator(".score")).to_have_text("0")
    expect(opening.get_by_role("button", name="Upvote")).to_have_count(0)

    # With JavaScript: the vote goes through fetch(), the page stays, the button shows pressed.
    fan = new_context().new_page()
    register(fan, f"fan_{suffix}")
    fan.goto(thread_url)
    fan.evaluate("window.__notReloaded = true")
    post = fan.locator("#post-1")
    upvote, downvote = post.get_by_role("button", name="Upvote"), post.get_by_role("button", name="Downvote")
    upvote.click()
    expect(post.locator(".score")).to_have_text("1")
    expect(upvote).to_have_attribute("aria-pressed", "true")
    downvote.click()
    expect(post.locator(".score")).to_have_text("-1")
    expect(downvote).to_have_attribute("aria-pressed", "true")
    expect(upvote).to_have_attribute("aria-pressed", "false")
    downvote.click()  # pressed again: the vote is taken back
    expect(post.locator(".score")).to_have_text("0")
    expect(downvote).to_have_attribute("aria-pressed", "false")
    upvote.click()
    expect(post.locator(".score")).to_have_text("1")
    assert fan.evaluate("window.__notReloaded === true"), "the page reloaded instead of voting in place"
    fan.reload()
    expect(fan.locator("#post-1").get_by_role("button", name="Upvote")).to_have_attribute("aria-pressed", "true")

    # Without JavaScript: the same buttons post the form and come back to the post.
    plain = new_context(java_script_enabled=False).new_page()
    register(plain, f"plain_{suffix}")
    plain.goto(thread_url)
    post = plain.locator("#post-1")
    post.get_by_role("button", name="Upvote").click()
    expect(plain).to_have_url(re.compile(r"/t/\d+#post-1$"))
    post = plain.locator("#post-1")
    expect(post.locator(".score")).to_have_text("2")
    expect(post.get_by_role("button", name="Upvote")).to_have_attribute("aria-pressed", "true")
