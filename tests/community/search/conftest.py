"""Search tests run against every backend: the session app's real Whoosh index (in its instance folder)
and, when the suite runs on PostgreSQL (TEST_DATABASE_URL), the postgres backend; emptied per test."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from community import search
from community.search.backends import backend
from tests.conftest import TEST_DATABASE_URL

BACKENDS = ["whoosh", "postgres"]


@pytest.fixture(params=BACKENDS)
def search_backend(request, app):
    """The SEARCH_BACKEND a test runs with (each search test runs once per backend)."""
    name = request.param
    if name == "postgres" and not (TEST_DATABASE_URL or "").startswith("postgresql"):
        pytest.skip("the postgres search backend runs when TEST_DATABASE_URL is a PostgreSQL database")
    previous = app.config["SEARCH_BACKEND"]
    app.config["SEARCH_BACKEND"] = name
    if name == "postgres":
        with app.app_context():
            try:  # spelling suggestions use pg_trgm where it can be installed
                with search.models.db.engine.begin() as connection:
                    connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            except Exception:
                pass
    yield name
    app.config["SEARCH_BACKEND"] = previous


@pytest.fixture(autouse=True)
def empty_index(app, db, search_backend):
    """Start each test with an empty, readable index (earlier tests' writes drained first)."""
    search.wait()
    index = backend(app)
    index.clear()
    assert search.wait()
    if search_backend == "whoosh":
        index.index()  # opened (a previous test may have removed it); raises if it cannot be
    yield index
    search.wait()


@pytest.fixture
def whoosh_index(empty_index, search_backend):
    """The Whoosh index itself (its files, its writer): tests of what only Whoosh has."""
    if search_backend != "whoosh":
        pytest.skip("about the Whoosh index's files")
    return empty_index


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
