"""The search page, the header box and the "before you post" suggestions, as a member meets them."""
from __future__ import annotations

from community import search


def test_search_page_shows_highlighted_results_with_links(make, client):
    thread = make.thread(title="Projector shows purple tint", body="After the update the projector shows a purple tint.")
    assert search.wait()
    page = client.get("/search?q=purple").get_data(as_text=True)
    assert "1 result" in page
    assert f'href="/t/{thread.id}#post-1"' in page
    assert '<mark class="match term0">purple</mark>' in page
    assert 'value="purple"' in page  # the box keeps what was typed


def test_every_page_has_a_search_box_in_the_header(client):
    page = client.get("/").get_data(as_text=True)
    assert 'class="header-search"' in page and 'action="/search"' in page


def test_empty_search_shows_the_form_and_help(client):
    page = client.get("/search").get_data(as_text=True)
    assert 'role="search"' in page and "How to search" in page and "result" not in page


def test_nothing_found_says_so_and_suggests_a_spelling(make, client):
    make.thread(title="Thermostat loses schedule")
    assert search.wait()
    page = client.get("/search?q=thermostta").get_data(as_text=True)
    assert "Did you mean" in page and "/search?q=thermostat" in page
    page = client.get("/search?q=zzzzqqq").get_data(as_text=True)
    assert "Nothing found" in page


def test_search_page_costs_the_same_queries_for_one_or_many_results(make, client, count_queries, app, search_backend):
    make.thread(title="Scanner jams once")
    assert search.wait()
    with count_queries() as few:
        assert client.get("/search?q=scanner").status_code == 200
    for n in range(15):
        make.thread(title=f"Scanner jams again {n}")
    assert search.wait()
    with count_queries() as many:
        page = client.get("/search?q=scanner").get_data(as_text=True)
    assert "16 results" in page
    # one of them: the site settings (community/settings.py); +1: the header's Boards menu (site.nav_boards);
    # +1 on postgres: the search itself is a query of the database
    assert len(many) == len(few) <= 6 + (search_backend == "postgres")


def test_new_thread_form_offers_similar_threads(make, auth, client):
    existing = make.thread(title="Washing machine will not drain", body="Water stays in the drum.")
    make.thread(title="Completely unrelated lamp question")
    board = make.board(slug="laundry")
    auth.login(make.member())
    assert search.wait()
    form = client.get("/b/laundry/new").get_data(as_text=True)
    assert 'id="similar-threads"' in form and "js/search-similar.js" in form
    items = client.get("/search/similar", query_string={"title": "my washing machine does not drain"}).get_json()["items"]
    assert items[0]["title"] == "Washing machine will not drain" and items[0]["url"] == f"/t/{existing.id}"
    assert len(items) == 1
    assert client.get("/search/similar", query_string={"title": "ab"}).get_json() == {"items": []}
    assert client.get("/search/similar", query_string={"title": "x" * 5000}).status_code == 200
    assert board.id


def test_similar_threads_in_chinese(make, client):
    make.thread(title="如何办理退货流程", body="耳机有杂音。")
    assert search.wait()
    items = client.get("/search/similar", query_string={"title": "想退货怎么办"}).get_json()["items"]
    assert [item["title"] for item in items] == ["如何办理退货流程"]
