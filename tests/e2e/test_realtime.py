"""Two people on one thread in Chromium: one writes, the other sees it live, once."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_reader_sees_a_reply_appear_without_reloading(live_server, new_context):
    seeded = live_server.seeded
    thread_url = f"/t/{seeded['thread_id']}"
    reader = new_context().new_page()
    reader.goto(thread_url)
    expect(reader.locator("#live-thread")).to_be_attached()

    writer = new_context().new_page()
    writer.goto("/login")
    writer.get_by_label("Username or email").fill(seeded["username"])
    writer.get_by_label("Password", exact=True).fill(seeded["password"])
    writer.get_by_role("button", name="Sign in").click()
    expect(writer.get_by_role("button", name="Sign out")).to_be_visible()
    writer.goto(thread_url)

    # the reader is told who is writing
    expect(reader.locator(".live-presence")).to_contain_text("2 reading", timeout=15_000)
    body = f"Live reply {uuid.uuid4().hex[:8]}"
    writer.locator("#reply textarea").press_sequentially("Live", delay=30)
    expect(reader.locator(".live-presence")).to_contain_text(re.compile(r"is replying"), timeout=15_000)
    writer.locator("#reply textarea").fill(body)
    writer.get_by_role("button", name="Post reply").click()

    expect(reader.locator("article.post", has_text=body)).to_have_count(1, timeout=15_000)
    reader.reload()
    expect(reader.locator("article.post", has_text=body)).to_have_count(1)  # no duplicate after reloading


def test_author_hears_of_a_reply_live_in_the_header(live_server, new_context):
    seeded = live_server.seeded
    author = new_context().new_page()
    author.goto("/login")
    author.get_by_label("Username or email").fill(seeded["username"])
    author.get_by_label("Password", exact=True).fill(seeded["password"])
    author.get_by_role("button", name="Sign in").click()
    expect(author.get_by_role("button", name="Sign out")).to_be_visible()
    author.goto("/latest")
    link = author.locator(".notifications-link")
    before = int(link.locator(".badge-unread").text_content() or 0) if link.locator(".badge-unread").count() else 0

    username = f"rt{uuid.uuid4().hex[:8]}"
    replier = new_context().new_page()
    replier.goto("/register")
    replier.get_by_label("Username").fill(username)
    replier.get_by_label("Email").fill(f"{username}@example.com")
    replier.get_by_label("Password", exact=True).fill("quiet-meadow-4821")
    replier.get_by_role("button", name="Create account").click()
    expect(replier.get_by_role("button", name="Sign out")).to_be_visible()
    replier.goto(f"/t/{seeded['thread_id']}")
    replier.locator("#reply textarea").fill("Have you tried the other channel?")
    replier.get_by_role("button", name="Post reply").click()

    expect(link.locator(".badge-unread")).to_have_text(str(before + 1), timeout=15_000)
    expect(author.locator(".live-toast")).to_contain_text(f"{username} replied", timeout=15_000)
