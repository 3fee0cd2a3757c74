"""Search tests share the session app's real Whoosh index (in its instance folder), emptied per test."""
from __future__ import annotations

import pytest

from community import search
from community.search.index import service


@pytest.fixture(autouse=True)
def empty_index(app, db):
    """Start each test with an empty, readable index (earlier tests' writes drained first)."""
    search.wait()
    index = service(app)
    index.enqueue("clear")
    assert search.wait()
    index.index()  # opened (a previous test may have removed it); raises if it cannot be
    yield index
    search.wait()


@pytest.fixture
def find(client):
    """Return find(q, **args) -> the JSON of /api/v1/search after the index caught up."""

    def run(q, expect=200, **args):
        assert search.wait()
        response = client.get("/api/v1/search", query_string={"q": q, **args})
        assert response.status_code == expect, response.get_data(as_text=True)[:500]
        return response.get_json()

    return run


def titles(body) -> list[str]:
    return [item["thread"]["title"] for item in body["items"]]
