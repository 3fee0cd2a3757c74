"""Cache-Control: a CDN or nginx may keep a guest's shareable page for PAGE_CACHE_SECONDS, and never a
signed-in reader's page, a guest's personal page (a form with a token, a flashed message) or an answer
that sets a cookie (community/headers.py)."""
from __future__ import annotations

import pytest
from flask import Flask, make_response

from community.forum.models import Visibility
from community.headers import SHAREABLE_PAGES, SecurityHeaders
from community.pagecache import PageCache
from tests.factories import PASSWORD

PUBLIC = "public, max-age=30"
PRIVATE = "private, no-store"


@pytest.fixture
def seconds(app):
    app.config["PAGE_CACHE_SECONDS"] = 30
    yield 30
    app.config["PAGE_CACHE_SECONDS"] = 0


@pytest.fixture
def site(make):
    board = make.board("open")
    author = make.member("mia")
    thread = make.thread(board=board, author=author, title="Headers for every reader")
    make.post(thread, author=author, body="A reply anyone may read.")
    private_board = make.board("inner", visibility=Visibility.members)
    hidden = make.thread(board=private_board, author=author, title="Members only thread here")
    return {"board": board, "thread": thread, "author": author, "hidden": hidden}


def shareable_urls(site) -> list[str]:
    return ["/", "/latest", f"/t/{site['thread'].id}", f"/b/{site['board'].slug}", f"/u/{site['author'].username}",
            "/search?q=reply", "/badges", "/leaderboard", "/transparency",
            "/developers/api"]


def test_guests_shareable_pages_may_be_kept_by_a_shared_cache(client, site, seconds):
    for url in shareable_urls(site):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == PUBLIC, url
        assert {"Cookie", "Accept-Language"} <= set(response.vary), url


def test_members_never_get_a_shareable_answer(client, auth, make, site, seconds):
    auth.login(make.member("bob"))
    for url in [*shareable_urls(site), "/settings", "/notifications", "/bookmarks", f"/t/{site['hidden'].id}"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == PRIVATE, url


def test_a_guests_personal_pages_are_private(client, site, seconds):
    # forms that carry this session's CSRF token
    for url in ("/login", "/register", "/password/forgot"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == PRIVATE, url
    # what a guest may not see, and what only redirects to sign-in
    for url in (f"/t/{site['hidden'].id}", "/settings", "/notifications", "/nothing-here"):
        response = client.get(url)
        assert response.status_code in (302, 404), url
        assert response.headers["Cache-Control"] == PRIVATE, url


def test_an_answer_that_sets_a_cookie_is_private(client, make, site, seconds):
    switched = client.post("/language", data={"language": "zh_CN", "next": "/"},
                           headers={"Origin": "http://localhost"})
    assert switched.status_code == 302 and switched.headers.getlist("Set-Cookie")
    assert switched.headers["Cache-Control"] == PRIVATE
    member = make.member("cora")
    signed_in = client.post("/login", data={"login": member.username, "password": PASSWORD})
    assert signed_in.headers.getlist("Set-Cookie") and signed_in.headers["Cache-Control"] == PRIVATE


def test_a_guest_with_a_flashed_message_waiting_gets_a_private_page(client, site, seconds):
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "You have signed out.")]
    response = client.get("/")
    assert "You have signed out." in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == PRIVATE


def test_a_page_served_from_the_guest_page_cache_is_shareable_too(app, client, site, seconds):
    app.extensions["community.pagecache"] = PageCache(16)
    try:
        first, second = client.get(f"/t/{site['thread'].id}"), client.get(f"/t/{site['thread'].id}")
        assert first.headers["Cache-Control"] == second.headers["Cache-Control"] == PUBLIC
    finally:
        app.extensions["community.pagecache"] = PageCache(16)


def test_with_the_page_cache_off_no_page_is_public(client, site):
    assert client.get(f"/t/{site['thread'].id}").headers["Cache-Control"] == PRIVATE


def test_every_shareable_page_is_a_real_endpoint(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert SHAREABLE_PAGES <= endpoints


def test_any_answer_that_sets_a_cookie_leaves_private_whatever_the_view_said():
    tiny = Flask("tiny")

    @tiny.route("/")
    def index():
        response = make_response("a public page that also sets a cookie")
        response.headers["Cache-Control"] = "public, max-age=60"
        response.set_cookie("choice", "dark")
        return response

    tiny.wsgi_app = SecurityHeaders(tiny.wsgi_app, tiny)
    response = tiny.test_client().get("/")
    assert response.headers["Cache-Control"] == PRIVATE and response.headers.getlist("Cache-Control") == [PRIVATE]
