"""The composer in Chromium: live preview, Ctrl+Enter to post in place, drafts across a reload, @ completion."""
from __future__ import annotations

import re
import sys
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _run, _server_env
from tests.e2e.test_member_journey import sign_in

pytestmark = pytest.mark.e2e


def open_thread(new_context, live_server):
    seeded = live_server.seeded
    page = new_context().new_page()
    sign_in(page, seeded["username"], seeded["password"])
    page.goto(f"/t/{seeded['thread_id']}")
    return page, page.get_by_label("Your reply")


def test_preview_then_ctrl_enter_posts_the_reply_in_the_thread(new_context, live_server):
    page, box = open_thread(new_context, live_server)
    word = uuid.uuid4().hex[:8]
    box.click()
    box.press_sequentially(f"Works **{word}** :smile:", delay=10)
    preview = page.locator("[data-composer-preview] .post-body")
    expect(preview.locator("strong")).to_have_text(word)
    expect(preview).to_contain_text("😄")
    box.press("Control+Enter")
    expect(page).to_have_url(re.compile(rf"/t/{live_server.seeded['thread_id']}\b"))
    expect(page.locator("article.post .post-body strong", has_text=word)).to_have_count(1)
    expect(page.get_by_label("Your reply")).to_have_value("")  # sent: the draft is gone


def test_reply_under_a_post_docks_the_composer_and_the_thread_stays_in_view(new_context, live_server):
    page, box = open_thread(new_context, live_server)
    first = page.locator("article.post").first
    url = page.url
    first.get_by_role("link", name="Quote").click()
    expect(page).to_have_url(url)  # no reply page: the thread's own composer
    composer = page.locator("form#reply")
    expect(composer).to_have_class(re.compile(r"\bis-docked\b"))
    expect(composer).to_contain_text("In reply to maya #1")
    expect(box).to_be_focused()
    expect(box).to_have_value(re.compile(r"^> \[@maya\]\(.*\):\n>\n> Welcome to the e2e board", re.S))
    assert page.evaluate("getComputedStyle(document.querySelector('form#reply')).position") == "fixed"
    first.scroll_into_view_if_needed()
    expect(first).to_be_in_viewport()
    word = uuid.uuid4().hex[:8]
    box.press("Control+End")
    box.press_sequentially(f"Quoted and answered {word}", delay=5)
    box.press("Control+Enter")
    mine = page.locator("article.post", has_text=f"Quoted and answered {word}")
    expect(mine).to_have_count(1)
    expect(mine.locator(".in-reply-to")).to_contain_text("maya #1")
    expect(mine.locator(".post-body blockquote")).to_contain_text("Welcome to the e2e board")


def test_a_draft_survives_a_reload_and_esc_minimises(new_context, live_server):
    page, box = open_thread(new_context, live_server)
    text = f"Half-written reply {uuid.uuid4().hex[:6]}"
    box.click()
    box.press_sequentially(text, delay=10)
    expect(page.locator("[data-composer-status]")).to_have_text("Draft saved")
    page.reload()
    expect(page.get_by_label("Your reply")).to_have_value(text)
    expect(page.locator("[data-composer-status]")).to_contain_text("Your draft from earlier is back.")

    page.get_by_label("Your reply").press("Escape")
    expect(page.get_by_label("Your reply")).to_be_hidden()
    page.get_by_role("button", name="Open the editor").click()
    expect(page.get_by_label("Your reply")).to_be_visible()
    page.get_by_role("button", name="Discard draft").click()
    expect(page.get_by_label("Your reply")).to_have_value("")
    page.reload()
    expect(page.get_by_label("Your reply")).to_have_value("")


def test_at_completion_picks_a_member_and_quote_takes_the_selection(new_context, live_server):
    page, box = open_thread(new_context, live_server)
    box.click()
    box.press_sequentially("Thanks @ma", delay=20)
    option = page.get_by_role("option", name=re.compile("@maya"))
    expect(option).to_be_visible()
    expect(page.get_by_role("listbox")).to_be_visible()
    expect(box).to_have_attribute("aria-activedescendant", re.compile(r"-0$"))
    box.press("Enter")
    expect(box).to_have_value("Thanks @maya ")
    expect(page.locator("[data-composer-preview] a.mention")).to_have_text("@maya")

    page.locator("article.post").first.locator(".post-body p").first.select_text()
    page.locator("article.post").first.locator(".post-body p").first.dispatch_event("mouseup")
    page.get_by_role("button", name="Quote selection").click()
    expect(box).to_have_value(re.compile(r"> \[@maya\]\(.*\):\n>\n> Welcome to the e2e board"))
    box.fill("")
    page.wait_for_timeout(1200)  # the empty box discards the draft before the next test


ADD_MEMBER = """
from application import create_app
from community.extensions import db
from community.members.models import Member
from community.members.services import register_member
app = create_app()
with app.app_context():
    if db.session.query(Member).filter_by(username="wang_xm").first() is None:
        register_member("wang_xm", "wang_xm@example.com", "harbour-lantern-2931", display_name="王小明")
        db.session.commit()
"""
TAG_THREAD = """
import sys
from application import create_app
from community.extensions import db
from community.forum.models import Thread
from community.forum.services import set_tags
app = create_app()
with app.app_context():
    set_tags(db.session.get(Thread, int(sys.argv[1])), ["router-reboot", "routing"])
    db.session.commit()
"""


def test_at_completion_finds_a_chinese_display_name_and_inserts_the_username(new_context, live_server):
    env = _server_env(live_server.workdir, urlsplit(live_server.url).port)
    _run("adding a member with a Chinese display name", [sys.executable, "-c", ADD_MEMBER], env, live_server.workdir)
    page, box = open_thread(new_context, live_server)
    box.click()
    box.press_sequentially("你好 @王小", delay=30)
    option = page.get_by_role("option", name=re.compile("王小明"))
    expect(option).to_be_visible()
    option.click()
    expect(box).to_have_value("你好 @wang_xm ")
    box.fill("")
    page.wait_for_timeout(1200)  # the empty box discards the draft before the next test


def test_hash_completion_offers_tags_in_the_text_and_in_the_tags_field(new_context, live_server):
    env = _server_env(live_server.workdir, urlsplit(live_server.url).port)
    _run("tagging the thread", [sys.executable, "-c", TAG_THREAD, str(live_server.seeded["thread_id"])], env,
         live_server.workdir)
    page, box = open_thread(new_context, live_server)
    box.click()
    box.press_sequentially("See #rou", delay=30)
    expect(page.get_by_role("listbox").get_by_role("option")).to_have_count(2)  # not the theme select's
    box.press("ArrowDown")
    box.press("Tab")
    expect(box).to_have_value(re.compile(r"^See #rout(ing|er-reboot) $"))
    box.fill("")
    page.wait_for_timeout(1200)

    page.goto(f"/b/{live_server.seeded['board']}/new")
    tags = page.get_by_label("Tags (optional)")
    tags.press_sequentially("wifi, rout", delay=30)
    page.get_by_role("option", name="#routing").click()
    expect(tags).to_have_value("wifi, routing, ")
