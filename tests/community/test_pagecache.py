"""The guest page cache (community/pagecache.py) and the fast per-post helpers (community/render.py)."""
from __future__ import annotations

from datetime import UTC, datetime

import flask_babel
import pytest
from flask import render_template_string, url_for
from sqlalchemy import select, update

from community import pagecache, render
from community.extensions import db as _db
from community.forum import services as forum
from community.forum.models import Post, Thread, Visibility
from community.pagecache import PageCache


@pytest.fixture
def page_cache(app):
    """Turn the cache on (it is off under the test client) with a fresh store; off again afterwards."""
    app.config["PAGE_CACHE_SECONDS"] = 60
    app.extensions["community.pagecache"] = PageCache(16)
    yield app.extensions["community.pagecache"]
    app.config["PAGE_CACHE_SECONDS"] = 0
    app.extensions["community.pagecache"] = PageCache(16)


def rename_behind_the_services_back(thread, title):
    """Change the title without a signal: only a page rendered afresh can show it."""
    _db.session.execute(update(Thread).where(Thread.id == thread.id).values(title=title))
    _db.session.commit()


def test_guests_share_one_rendering_until_the_thread_changes(client, make, page_cache):
    thread = make.thread(title="Router keeps rebooting")
    assert "Router keeps rebooting" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    rename_behind_the_services_back(thread, "Renamed quietly")
    # the stored page is served: proof that the second guest did not cause a rendering
    assert "Router keeps rebooting" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    # a reply goes through the services and their signals: the next guest sees it, and the new title
    make.post(thread, body="Have you tried a shorter cable?")
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Have you tried a shorter cable?" in page and "Renamed quietly" in page


def test_an_edit_reaches_guests_at_once(client, make, page_cache):
    thread = make.thread(body="Original wording of the question.")
    client.get(f"/t/{thread.id}")
    opening = _db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    forum.edit_post(thread.author, opening, "Better wording of the question.")
    _db.session.commit()
    assert "Better wording of the question." in client.get(f"/t/{thread.id}").get_data(as_text=True)


def test_signed_in_readers_never_get_the_guest_page(client, auth, make, page_cache):
    member = make.member("ivy")
    thread = make.thread(title="Old title here")
    client.get(f"/t/{thread.id}")
    rename_behind_the_services_back(thread, "Brand new title")
    auth.login(member)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Brand new title" in page and "Old title here" not in page
    assert 'name="csrf_token"' in page  # their own page, with their own token and reply form


def test_a_page_is_stored_per_language(client, make, page_cache):
    thread = make.thread()
    english = client.get(f"/t/{thread.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    chinese = client.get(f"/t/{thread.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="en"' in english and 'lang="zh-CN"' in chinese


def test_the_permission_check_still_runs_before_a_stored_page(client, make, page_cache):
    thread = make.thread()
    assert client.get(f"/t/{thread.id}").status_code == 200
    private = make.board(slug="insiders", visibility=Visibility.members)
    _db.session.execute(update(Thread).where(Thread.id == thread.id).values(board_id=private.id))
    _db.session.commit()
    assert client.get(f"/t/{thread.id}").status_code == 404


def test_pages_that_carry_a_session_token_are_not_stored(app, make, page_cache):
    thread = make.thread()
    with app.test_request_context(f"/t/{thread.id}"):
        assert pagecache.cached_thread_page(thread.id) is None

        render_template_string("{{ csrf_token() }}")
        pagecache.store(thread.id, "<p>with a token</p>")
    assert page_cache._pages == {}


def test_the_cache_is_bounded_and_expires(monkeypatch):
    cache = PageCache(entries=2)
    for thread_id in (1, 2, 3):
        cache.put((f"/t/{thread_id}", "en"), thread_id, cache.generation(thread_id), b"page", 60)
    assert cache.get(("/t/1", "en"), 1) is None and cache.get(("/t/3", "en"), 3) == b"page"
    cache.put(("/t/9", "en"), 9, cache.generation(9), b"page", -1)
    assert cache.get(("/t/9", "en"), 9) is None
    generation = cache.generation(5)
    cache.bump(5)  # the thread changed while its page was being rendered: that rendering is not kept
    cache.put(("/t/5", "en"), 5, generation, b"stale", 60)
    assert cache.get(("/t/5", "en"), 5) is None


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "yyyy-MM-dd HH:mm"])
def test_format_datetime_says_what_babel_says(app, locale, fmt):
    moments = [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2025, 12, 31, 23, 59, 59)]
    with app.test_request_context("/"):
        with flask_babel.force_locale(locale):
            for moment in moments:
                assert render.format_datetime(moment, fmt) == flask_babel.format_datetime(moment, fmt)


def test_fast_url_builds_what_url_for_builds(app):
    with app.test_request_context("/"):
        for _ in range(2):  # the second time from the per-request template
            assert render.fast_url("forum.thread", thread_id=42) == url_for("forum.thread", thread_id=42)
            assert render.fast_url("members.profile", username="lin.xiao-yu_2") == \
                url_for("members.profile", username="lin.xiao-yu_2")
