"""Hostile queries, a missing or corrupt index, concurrent writers, and the reindex command."""
from __future__ import annotations

import threading
import time
import traceback
from datetime import UTC, datetime

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import DATETIME, NUMERIC

from community import search
from community.extensions import db
from community.forum.models import Post, Visibility
from community.search.backends import whoosh as whoosh_backend
from community.search.backends.whoosh import INDEX_NAME, _open, _writer, schema
from tests.community.search.conftest import titles

HOSTILE = [
    '"unbalanced quote', 'two "unbalanced "quotes', "*", "?", "***", "a*", "(((", ")))", "NOT", "OR OR OR", "-", "--",
    "AND", "board:", 'tag:""', "author:", "is:", "date:..", "date:2024-13-45", "after:2024-02-30", "before:99999",
    "\x00\x01\x02", "\u202e\u200b\u200d\ufeff", "e\u0301\u0301\u0301", "🙂🙃" * 50, "\ud7ff", "%00", "' OR 1=1 --",
    "<script>alert(1)</script>", "退货" * 150, "a " * 60, "x" * 10_000, ("word " * 2000), "\\", "title:secret",
    "visibility:staff", "deleted:t", "^2", "word^999", "~", "word~3", "[a TO z]", "{a TO z}", "'single", "*:*",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_answer_clearly_and_quickly(q, make, client):
    make.thread(title="A normal thread about routers")
    assert search.wait()
    started = time.monotonic()
    html = client.get("/search", query_string={"q": q})
    api = client.get("/api/v1/search", query_string={"q": q})
    assert time.monotonic() - started < 5
    assert html.status_code in (200, 400), html.status_code
    assert api.status_code in (200, 400), api.get_data(as_text=True)[:300]
    if api.status_code == 400:
        assert api.get_json()["error"]["message"]
        page = html.get_data(as_text=True)  # a NUL is refused before the search runs (community/hostile.py)
        assert 'class="flash flash-error search-problem"' in page or "NUL character" in page
    assert "<script>alert" not in html.get_data(as_text=True)


def test_a_very_long_query_gets_a_clear_message(client, find):
    body = find("x" * 10_000, expect=400)
    assert body["error"] == {"code": "bad_query", "message": "That search is too long. Please use at most 400 characters."}


def test_fields_the_reader_may_not_query_are_just_words(make, find):
    board = make.board(visibility=Visibility.staff)
    make.thread(board=board, title="Staff secret roadmap")
    assert find("visibility:staff")["total"] == 0
    assert find("deleted:t")["total"] == 0


def test_bad_page_numbers_are_answered_not_crashed(client):
    for page in ("0", "-1", "abc", "99999999", "1.5"):
        response = client.get("/api/v1/search", query_string={"q": "router", "page": page})
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "bad_query"


def _break(path, how: str) -> None:
    if how == "old-schema":  # as written before dates and scores became columns
        for entry in path.iterdir():
            entry.unlink()
        old = schema()
        old.remove("created")
        old.remove("score")
        old.add("created", DATETIME(sortable=True))
        old.add("score", NUMERIC(sortable=True, signed=True, bits=32))
        writer = whoosh_index.create_in(str(path), old, indexname=INDEX_NAME).writer()
        writer.add_document(post_id="1", facts="v_public opening", body="hairdryer", created=datetime(2020, 1, 1))
        writer.commit()
    elif how == "missing":
        for entry in path.iterdir():
            entry.unlink()
    else:
        for entry in path.iterdir():
            if entry.suffix in (".toc", ".seg"):
                entry.write_bytes(b"\x00garbage\xff" * 10)


@pytest.mark.parametrize("how", ["missing", "corrupt", "old-schema"])
def test_a_broken_index_is_rebuilt_and_search_says_so_meanwhile(how, make, client, app, whoosh_index):
    make.thread(title="Hairdryer smells burnt")
    assert search.wait()
    index = whoosh_index
    hold = threading.Event()
    original = index._rebuild_now

    def slow_rebuild(session):  # hold the rebuild so that the page can be seen while it runs
        hold.wait(10)
        original(session)

    index._rebuild_now = slow_rebuild
    try:
        index._ix = None  # as a freshly started process would find it
        _break(index.path, how)
        during = client.get("/search", query_string={"q": "hairdryer"})
        assert during.status_code == 503
        assert "Search is being rebuilt and will be back in a few minutes." in during.get_data(as_text=True)
        api = client.get("/api/v1/search", query_string={"q": "hairdryer"})
        assert api.status_code == 503 and api.get_json()["error"]["code"] == "search_unavailable"
        health = client.get("/healthz").get_json()["checks"]["search_index"]
        assert health == {"ok": True, "rebuilding": True}
    finally:
        hold.set()
        del index._rebuild_now
    assert search.wait()
    response = client.get("/api/v1/search", query_string={"q": "hairdryer"})
    assert response.status_code == 200 and titles(response.get_json()) == ["Hairdryer smells burnt"]
    assert client.get("/healthz").get_json()["checks"]["search_index"] == {"ok": True, "documents": 1}
    this_year = datetime.now(UTC).year
    after = client.get("/api/v1/search", query_string={"q": f"hairdryer date:{this_year}"}).get_json()
    assert titles(after) == ["Hairdryer smells burnt"]


def test_concurrent_posting_never_fails_and_everything_gets_indexed(make, app, auth, find):
    make.board(slug="busy")
    names = [make.member(f"writer{n}").username for n in range(8)]
    errors, statuses = [], []

    def write(username, n):
        try:
            client = app.test_client()
            client.post("/login", data={"login": username, "password": "correct-horse-battery-9"})
            for k in range(3):
                response = client.post("/b/busy/new", data={"title": f"Concurrent toaster {n}-{k}",
                                                            "body": f"Toaster story number {n}-{k}.", "tags": ""})
                statuses.append(response.status_code)
        except Exception:  # pragma: no cover - reported below
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=write, args=(name, n)) for n, name in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [], errors[:1]
    assert statuses == [302] * 24
    assert find("toaster")["total"] == 24
    assert db.session.query(Post).count() == 24


def test_requests_do_not_wait_for_a_locked_index(make, app, auth, client, find, whoosh_index):
    """Another writer (a second process, the reindex command) holds Whoosh's lock: posting is not slowed."""
    member = make.member("patient")
    board = make.board(slug="locked")
    auth.login(member)
    ix = whoosh_index.index()
    lock = ix.lock("WRITELOCK")
    assert lock.acquire(blocking=False)
    try:
        started = time.monotonic()
        response = client.post("/b/locked/new", data={"title": "Written while locked", "body": "Kettle lock story."})
        assert response.status_code == 302
        assert time.monotonic() - started < 2
        assert not search.wait(0.5)  # the writer is waiting for the lock, not the request
    finally:
        lock.release()
    assert titles(find("kettle")) == ["Written while locked"]
    assert board.id


def test_reindex_command_rebuilds_from_the_database_with_a_progress_bar(make, app, find, whoosh_index):
    for n in range(3):
        make.thread(title=f"Microwave beeps {n}")
    assert search.wait()
    _break(whoosh_index.path, "missing")
    whoosh_index._ix = None
    result = app.test_cli_runner().invoke(args=["community", "search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexing posts" in result.output and "Indexed 3 posts" in result.output
    assert _open(whoosh_index.path).doc_count() == 3
    assert find("microwave")["total"] == 3


def test_reindex_keeps_a_healthy_index_searchable_and_drops_stale_documents(make, app, find, whoosh_index):
    make.thread(title="Juicer drips")
    assert search.wait()
    writer = whoosh_index.index().writer()
    writer.add_document(post_id="99999", thread_id="1", board_id="1", facts="v_public reply",
                        body="stale juicer")
    writer.commit()
    result = app.test_cli_runner().invoke(args=["community", "search", "reindex"])
    assert result.exit_code == 0, result.output
    with whoosh_index.searcher() as searcher:
        assert searcher.doc_count() == 1
    assert INDEX_NAME == "posts"


def test_changes_made_while_a_rebuild_is_pending_survive_a_failed_rebuild(make, find, whoosh_index, monkeypatch):
    """A reader found the index unreadable and scheduled a rebuild; a reply committed meanwhile is held for it.
    The rebuild then fails (the database went away, another writer kept the lock): the reply is still
    written to the index that stays, not lost because the rebuild was trusted to read it."""
    make.thread(title="Blender is loud")
    assert search.wait()
    failures = []

    def failing_rebuild(path, progress=None, session=None):
        failures.append(path)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(whoosh_backend, "rebuild", failing_rebuild)
    whoosh_index.rebuilding = True  # what schedule_rebuild sets before it queues the rebuild
    make.thread(title="Blender lid cracked")
    time.sleep(0.2 + whoosh_index.app.config.get("SEARCH_WRITE_DELAY", 0))  # the writer has taken the change
    whoosh_index.enqueue("rebuild")
    assert search.wait()
    assert failures and not whoosh_index.rebuilding
    assert sorted(titles(find("blender"))) == ["Blender is loud", "Blender lid cracked"]


def test_changes_held_back_by_another_writers_lock_are_written_once_it_is_released(make, find, whoosh_index,
                                                                                   monkeypatch):
    """Another writer (a long reindex) holds Whoosh's lock longer than the writer waits: the change is kept
    and written when the lock is free, not dropped with a logged error."""
    make.thread(title="Percolator drips")
    assert search.wait()
    monkeypatch.setattr(whoosh_backend, "_writer", lambda ix, timeout=120.0, limitmb=64: _writer(ix, 0.1, limitmb))
    lock = whoosh_index.index().lock("WRITELOCK")
    assert lock.acquire(blocking=False)
    try:
        make.thread(title="Percolator overflows")
        assert not search.wait(1.5)  # tried, gave up on the lock, holding the change
    finally:
        lock.release()
    assert search.wait(10)
    assert sorted(titles(find("percolator"))) == ["Percolator drips", "Percolator overflows"]

