"""The theme choice (community/appearance): the server renders the reader's theme from the `theme` cookie,
ignores anything else, keeps one guest page per theme in the page cache, and every page carries the switch,
the shortcut help and their scripts."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from community.extensions import db as _db
from community.forum.models import Thread
from community.pagecache import PageCache


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.get_data(as_text=True)).group(0)


@pytest.mark.parametrize("cookie, expected", [("dark", 'data-theme="dark"'), ("light", 'data-theme="light"')])
def test_the_chosen_theme_is_on_the_html_element(client, cookie, expected):
    client.set_cookie("theme", cookie)
    assert expected in html_tag(client.get("/"))


@pytest.mark.parametrize("cookie", [None, "system", "neon", '"><script>'])
def test_without_a_valid_choice_the_page_follows_the_system(client, cookie):
    if cookie:
        client.set_cookie("theme", cookie)
    assert "data-theme" not in html_tag(client.get("/"))


def test_every_page_has_the_theme_switch_and_the_shortcut_help(client):
    page = client.get("/latest").get_data(as_text=True)
    assert 'id="theme-choice"' in page and 'id="shortcuts-help"' in page
    assert "/static/js/theme.js" in page and "/static/js/shortcuts.js" in page
    assert "csrf_token" not in page.split('data-page-tools', 1)[1]  # a guest's page stays shareable


def test_the_switch_shows_the_current_choice(client):
    client.set_cookie("theme", "dark")
    page = client.get("/latest").get_data(as_text=True)
    assert re.search(r'<option value="dark" selected>', page)


def test_the_guest_page_cache_keeps_one_page_per_theme(app, client, make):
    app.config["PAGE_CACHE_SECONDS"] = 60
    app.extensions["community.pagecache"] = PageCache(16)
    try:
        thread = make.thread(title="Colours of the night")
        assert "data-theme" not in html_tag(client.get(f"/t/{thread.id}"))
        client.set_cookie("theme", "dark")
        assert 'data-theme="dark"' in html_tag(client.get(f"/t/{thread.id}"))
        _db.session.execute(update(Thread).where(Thread.id == thread.id).values(title="Quietly renamed"))
        _db.session.commit()
        # the dark page was cached too: served again, not rendered afresh
        assert "Colours of the night" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 0
        app.extensions["community.pagecache"] = PageCache(16)


def test_the_live_updates_banner_is_labelled(client, make):
    thread = make.thread()
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert re.search(r'<button type="button" class="live-banner" hidden>New replies</button>', page)
