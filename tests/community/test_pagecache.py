"""The guest page cache (community/pagecache.py) and the fast per-post helpers (community/render.py)."""
from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import flask_babel
import pytest
import redis
from flask import render_template_string, url_for
from sqlalchemy import select, update

from community import pagecache, render
from community.cachestore import RedisStore
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
    with app.test_request_context(f"/t/{thread.id}"):
        assert pagecache.cached_thread_page(thread.id) is None  # nothing was kept


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


# ---- shared between hosts (community/cachestore.py's Redis store) ------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_or_skip() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def two_hosts(app):
    """Two page caches on one Redis, each with its own connection, as two hosts have; `serve(host)` picks one."""
    url = _redis_or_skip()
    prefix = f"test:pagecache:{uuid.uuid4().hex[:10]}:"
    hosts = {name: PageCache(16, store=RedisStore(url, prefix)) for name in ("a", "b")}

    def serve(name):
        app.extensions["community.pagecache"] = hosts[name]

    app.config["PAGE_CACHE_SECONDS"] = 60
    yield serve
    hosts["a"].store.clear()
    app.config["PAGE_CACHE_SECONDS"] = 0
    app.extensions["community.pagecache"] = PageCache(16)


def test_a_page_kept_by_one_host_is_served_by_the_other(client, make, two_hosts):
    thread = make.thread(title="Kettle whistles too early")
    two_hosts("a")
    client.get(f"/t/{thread.id}")
    rename_behind_the_services_back(thread, "Renamed quietly")
    two_hosts("b")
    assert "Kettle whistles too early" in client.get(f"/t/{thread.id}").get_data(as_text=True)


def test_an_edit_on_host_a_reaches_guests_of_host_b_at_once(client, make, two_hosts):
    thread = make.thread(title="Lamp flickers at night", body="Original wording of the question.")
    two_hosts("b")
    client.get(f"/t/{thread.id}")  # host B keeps the page
    two_hosts("a")  # the edit is made on host A: its signal bumps the generation in Redis
    opening = _db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    forum.edit_post(thread.author, opening, "Better wording of the question.")
    _db.session.commit()
    two_hosts("b")
    assert "Better wording of the question." in client.get(f"/t/{thread.id}").get_data(as_text=True)


def test_a_change_to_every_page_on_one_host_reaches_the_other(app, make, two_hosts):
    thread = make.thread()
    two_hosts("a")
    cache_a = app.extensions["community.pagecache"]
    two_hosts("b")
    cache_b = app.extensions["community.pagecache"]
    cache_b.put(("/t/1", "en"), thread.id, cache_b.generation(thread.id), b"page", 60)
    assert cache_b.get(("/t/1", "en"), thread.id) == b"page"
    cache_a.bump()  # a member renamed themselves: every page
    assert cache_b.get(("/t/1", "en"), thread.id) is None


def test_with_redis_unreachable_nothing_is_served_from_the_cache(app, client, make):
    """Fail safe: no page is kept or served, and an edit still goes through."""
    app.config["PAGE_CACHE_SECONDS"] = 60
    app.extensions["community.pagecache"] = PageCache(16, store=RedisStore("redis://127.0.0.1:1/0"))
    try:
        thread = make.thread(title="Toaster burns one side")
        assert client.get(f"/t/{thread.id}").status_code == 200
        rename_behind_the_services_back(thread, "Renamed while Redis is away")
        assert "Renamed while Redis is away" in client.get(f"/t/{thread.id}").get_data(as_text=True)
        make.post(thread, body="A reply while Redis is away.")
        assert "A reply while Redis is away." in client.get(f"/t/{thread.id}").get_data(as_text=True)
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 0
        app.extensions["community.pagecache"] = PageCache(16)


def test_the_app_keeps_pages_in_redis_when_redis_url_is_set(app):
    url = _redis_or_skip()
    app.extensions["community.cachestore"], saved = RedisStore(url, f"test:pagecache:{uuid.uuid4().hex[:10]}:"), \
        app.extensions["community.cachestore"]
    try:
        assert pagecache.make_cache(app).store is app.extensions["community.cachestore"]
    finally:
        app.extensions["community.cachestore"] = saved
    assert pagecache.make_cache(app).store is not saved  # in memory: a bounded store of its own
