"""Local times in a real browser in Shanghai: the browser's zone becomes the member's setting on the first
visit (a guest's is kept in a cookie), times are labelled with it, and recent ones read "... ago" / "...前"."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.test_votes import register

pytestmark = pytest.mark.e2e


def test_a_member_in_shanghai_gets_the_zone_from_the_browser_and_relative_times(new_context, live_server):
    page = new_context(timezone_id="Asia/Shanghai").new_page()
    with page.expect_response(lambda r: r.url.endswith("/settings/timezone")) as saved:
        register(page, f"lihua_{uuid.uuid4().hex[:6]}")  # the first page signed in posts the zone, once
    assert saved.value.status == 200
    thread = f"/t/{live_server.seeded['thread_id']}"
    page.goto(thread)
    stamp = page.locator("#post-1 time").first
    expect(stamp).to_have_attribute("title", re.compile(r"\(Asia/Shanghai\)$"))
    expect(stamp).to_have_text(re.compile(r"ago$"))
    # the absolute time on hover is the UTC time 8 hours later
    iso, title = stamp.get_attribute("datetime"), stamp.get_attribute("title")
    expected = page.evaluate("""iso => new Date(iso).toLocaleTimeString('en-US',
        {timeZone: 'Asia/Shanghai', hour: 'numeric', minute: '2-digit'})""", iso)
    assert expected.replace("\u202f", " ").split(" ")[0] in title
    page.goto("/settings")
    expect(page.locator("#timezone-input")).to_have_value("Asia/Shanghai")


def test_a_chinese_guest_reads_relative_times_in_chinese_and_keeps_the_zone_in_a_cookie(new_context, live_server):
    context = new_context(timezone_id="Asia/Shanghai", locale="zh-CN")
    page = context.new_page()
    thread = f"/t/{live_server.seeded['thread_id']}"
    page.goto(thread)
    expect(page.locator("#post-1 time").first).to_have_text(re.compile(r"前$"))
    assert any(c["name"] == "tz" and c["value"] == "Asia/Shanghai" for c in context.cookies())
    page.goto(thread)
    expect(page.locator("#post-1 time").first).to_have_attribute("title", re.compile(r"\(Asia/Shanghai\)$"))
