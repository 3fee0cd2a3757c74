"""Choosing and switching the search backend; the postgres backend shared by several hosts."""
from __future__ import annotations

import pytest

from application import create_app
from community import search
from community.extensions import db
from community.search.backends import backend
from tests import factories
from tests.community.search.conftest import titles
from tests.conftest import TEST_DATABASE_URL

ON_POSTGRES = (TEST_DATABASE_URL or "").startswith("postgresql")
needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="the postgres backend needs TEST_DATABASE_URL=postgresql...")


def test_postgres_backend_without_postgresql_refuses_to_start_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCH_BACKEND", "postgres")
    with pytest.raises(RuntimeError, match="SEARCH_BACKEND=postgres .*PostgreSQL"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                    "TESTING": True})


def test_an_unknown_backend_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCH_BACKEND", "elastic")
    with pytest.raises(RuntimeError, match="SEARCH_BACKEND must be one of whoosh, postgres"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                    "TESTING": True})


@needs_postgres
def test_switching_fills_the_new_backend_while_the_old_keeps_answering(app, make, find, search_backend):
    if search_backend != "whoosh":
        pytest.skip("switches from whoosh to postgres")
    for n in range(3):
        make.thread(title=f"Percolator drips {n}")
    backend(app, "postgres").clear()  # a community that never ran the postgres backend
    answers = []
    runner = app.test_cli_runner()

    original = backend(app, "postgres").reindex

    def reindex_and_search(progress=None):  # half way, a reader searches: whoosh answers in full
        def step(n):
            if progress:
                progress(n)
            answers.append(find("percolator")["total"])
        return original(progress=step)

    postgres = backend(app, "postgres")
    postgres.reindex = reindex_and_search
    try:
        result = runner.invoke(args=["community", "search", "reindex", "--backend", "postgres"])
    finally:
        del postgres.reindex
    assert result.exit_code == 0, result.output
    assert "Indexing posts (postgres)" in result.output and "Indexed 3 posts" in result.output
    assert answers and all(total == 3 for total in answers)
    app.config["SEARCH_BACKEND"] = "postgres"  # the switch (search_backend puts it back)
    assert titles(find("percolator")) and find("percolator")["total"] == 3


@needs_postgres
def test_two_hosts_sharing_postgresql_find_each_others_posts_at_once(app, tmp_path, search_backend):
    """Two apps with their own instance folders (as two hosts have) and one database: no per-process state."""
    if search_backend != "postgres":
        pytest.skip("several hosts use the postgres backend")
    hosts = [create_app({"INSTANCE_PATH": str(tmp_path / name), "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
                         "TESTING": True, "SEARCH_BACKEND": "postgres", "RATELIMIT_ENABLED": False,
                         "SECRET_KEY": "two-hosts"}) for name in ("a", "b")]
    with hosts[0].app_context():
        factories.thread(title="Espresso grinder clogs on host A")
        db.session.commit()
    with hosts[1].test_client() as client:
        body = client.get("/api/v1/search", query_string={"q": "grinder"}).get_json()
    assert titles(body) == ["Espresso grinder clogs on host A"]
    with hosts[1].app_context():
        assert search.wait(0)  # nothing was queued anywhere: written at commit
        db.engine.dispose()
    with hosts[0].app_context():
        db.engine.dispose()
