"""Search in a real browser: the header box, highlighted results, and "before you post" suggestions."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .test_member_journey import sign_in

pytestmark = pytest.mark.e2e


def test_search_from_the_header_and_similar_threads_while_typing_a_title(new_context, live_server):
    word = "zq" + uuid.uuid4().hex[:8]
    page = new_context().new_page()
    sign_in(page, live_server.seeded["username"], live_server.seeded["password"])
    page.goto(f"/b/{live_server.seeded['board']}/new")
    page.get_by_label("Title").fill(f"Kettle {word} whistles")
    page.get_by_label("Message").fill(f"The {word} kettle whistles before the water boils.")
    page.get_by_role("button", name="Start thread").click()
    expect(page).to_have_url(re.compile(r"/t/\d+$"))

    page.get_by_role("searchbox", name="Search").first.fill(word)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    for _ in range(20):  # the index is written just after the commit, by the server's writer thread
        if page.locator(".search-hit").count():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.locator(".search-count")).to_contain_text("1 result")
    expect(page.locator(".search-hit mark").first).to_have_text(re.compile(word, re.I))

    page.goto(f"/b/{live_server.seeded['board']}/new")
    page.get_by_label("Title").fill(f"my {word} kettle")
    suggestions = page.locator("#similar-threads")
    expect(suggestions).to_be_visible()
    expect(suggestions.get_by_role("link").first).to_have_text(f"Kettle {word} whistles")  # the best match first
