"""A poll in a real browser: started with a thread, voted on with JavaScript and without it."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .test_member_journey import sign_in

pytestmark = pytest.mark.e2e


def test_poll_started_with_a_thread_is_voted_on_with_and_without_javascript(new_context, live_server):
    suffix = uuid.uuid4().hex[:6]
    title = f"Which features next {suffix}?"

    # The author's browser runs at UTC+8: the closing time typed in is local time.
    author = new_context(timezone_id="Asia/Shanghai").new_page()
    sign_in(author, live_server.seeded["username"], live_server.seeded["password"])
    # the member reads times in Shanghai's zone (other tests' browsers may have set it otherwise before)
    author.goto("/settings")
    author.locator("#timezone-input").fill("Asia/Shanghai")
    author.get_by_role("button", name="Save time zone").click()
    expect(author.locator("#timezone-input")).to_have_value("Asia/Shanghai")
    author.goto(f"/b/{live_server.seeded['board']}/new")
    author.get_by_label("Title").fill(title)
    author.get_by_label("Message").fill("Tell us what you would use most.")
    author.get_by_text("Add a poll (optional)").click()
    author.get_by_label("Question", exact=True).fill("Which features do you want?")
    author.get_by_label("Options", exact=True).fill("Maps\nMusic\nWeather")
    author.get_by_label("several options").check()
    author.get_by_label("At most this many options (optional)").fill("2")
    author.get_by_label("Closing time (optional)").fill("2999-01-02T10:30")
    author.get_by_role("button", name="Start thread").click()

    expect(author).to_have_url(re.compile(r"/t/\d+$"))
    thread_url = author.url
    poll = author.locator("section.poll")
    expect(poll.get_by_role("heading")).to_contain_text("Which features do you want?")
    expect(poll).to_contain_text("Choose up to 2 options.")
    # 10:30 at UTC+8 typed in, shown back in the author's zone (taken from the browser), the zone on hover
    expect(poll.locator(".poll-meta time")).to_contain_text("10:30")
    expect(poll.locator(".poll-meta time")).to_have_attribute("title", re.compile(r"10:30.*Asia/Shanghai"))
    expect(poll.locator(".poll-meta time")).to_have_attribute("datetime", "2999-01-02T02:30:00Z")

    # With JavaScript, a third box cannot be ticked once two are.
    poll.get_by_label("Maps").check()
    poll.get_by_label("Weather").check()
    expect(poll.get_by_label("Music")).to_be_disabled()
    poll.get_by_role("button", name="Vote").click()
    expect(author.get_by_role("status").filter(has_text="Your vote has been saved.")).to_be_visible()
    results = author.locator("section.poll .poll-results")
    expect(results.locator(".poll-result")).to_have_count(3)
    expect(results.locator(".poll-result", has_text="Maps")).to_contain_text("100% · 1 vote")
    expect(results.locator(".poll-result", has_text="Music")).to_contain_text("0% · 0 votes")

    # Without JavaScript: a new member registers and votes with the plain form.
    voter = new_context(java_script_enabled=False).new_page()
    username = f"voter_{suffix}"
    voter.goto("/register")
    voter.get_by_label("Username").fill(username)
    voter.get_by_label("Email").fill(f"{username}@example.com")
    voter.get_by_label("Password", exact=True).fill("quiet-meadow-4821")
    voter.get_by_role("button", name="Create account").click()
    voter.goto(thread_url)
    poll = voter.locator("section.poll")
    expect(poll).to_contain_text("The results show once you have voted.")
    expect(poll.locator(".poll-results")).to_have_count(0)
    poll.get_by_label("Music").check()
    poll.get_by_role("button", name="Vote").click()
    results = voter.locator("section.poll .poll-results")
    expect(results.locator(".poll-result", has_text="Music")).to_contain_text("50% · 1 vote")
    expect(results.locator(".poll-result", has_text="Maps")).to_contain_text("50% · 1 vote")
    expect(voter.locator("section.poll .poll-total")).to_contain_text("2 members voted.")
