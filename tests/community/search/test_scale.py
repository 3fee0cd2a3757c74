"""What keeps search fast at 1 000 000 posts (issue 18) changes no answer: the same hits, order and count."""
from __future__ import annotations

import hashlib
import importlib.util
import random
from pathlib import Path

import pytest
from sqlalchemy import text

from community import MIGRATIONS_DIR, search
from community.extensions import db
from community.forum import services as forum_services
from community.search.analysis import BilingualAnalyzer, index_tokens
from community.search.backends import postgres
from community.search.backends.postgres import PostgresSearch, tsquery
from community.search.parse import parse


def test_index_tokens_are_the_analyzers_tokens(search_backend):
    """The postgres backend's reindex analyzes with `index_tokens`; it must index what the analyzer would."""
    if search_backend != "whoosh":
        pytest.skip("no backend involved: once is enough")
    rng = random.Random(5)
    words = ["Running", "runners", "the", "it's", "e-mail", "U.S.A.", "naïve", "Straße", "ÉCOLE", "of", "是",
             "的", "中华人民共和国", "退货流程", "蓝牙耳机连接不稳定", "，", "。", "深色模式", "x2", "4.2", "__init__"]
    texts = ["", "the of and", "的是了", "中华人民共和国境内的保修政策 and the 退货 firmwares"]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(300)]
    analyzer = BilingualAnalyzer()
    for value in texts:
        expected = [(token.text, token.pos) for token in analyzer(value, positions=True, mode="index")]
        assert index_tokens(value) == expected, value


def test_a_word_asked_in_title_or_body_needs_no_weights(app, search_backend):
    """`'w'` finds what `'w':A | 'w':D` finds (so PostgreSQL's GIN index answers without rereading rows)."""
    if search_backend != "postgres":
        pytest.skip("the postgres backend's SQL")
    with app.test_request_context():
        assert tsquery(parse("sync").query) == "'sync'"
        assert tsquery(parse('"battery drains"').query) == "('batteri' <-> 'drain')"
        assert tsquery(parse("sync client").query) == "('sync' & 'client')"
        assert tsquery(parse("sync OR router").query) == "('sync' | 'router')"
        # a word several tokens long must stay whole in one field: left as it was
        assert tsquery(parse("深色模式").query) == "(('深色':A & '模式':A) | ('深色':D & '模式':D))"


@pytest.fixture
def forum(make):
    """Threads whose titles and bodies hold the words in many mixes: openings and replies of every length."""
    rng = random.Random(3)
    vocabulary = ["sync", "router", "battery", "refund", "firmware", "printer", "cable", "invoice"]
    filler = ["when", "works", "again", "fails", "morning", "still", "only", "night", "sync works"]
    for number in range(14):
        title = " ".join(rng.choice(vocabulary + filler) for _ in range(rng.randint(2, 6)))
        thread = make.thread(title=title.capitalize(),
                             body=" ".join(rng.choice(vocabulary + filler) for _ in range(rng.randint(1, 60))))
        for _ in range(rng.randint(0, 6)):
            make.post(thread, body=" ".join(rng.choice(vocabulary + filler * 3)
                                            for _ in range(rng.randint(1, 40 if number % 2 else 3))))


@pytest.mark.parametrize("query", ["sync", "router battery", '"sync works"', "refund OR invoice", "cable -printer"])
def test_ranking_the_openings_first_finds_the_same_page(forum, find, search_backend, monkeypatch, query):
    """Above PostgresSearch.FEW hits the openings are ranked first; the page, its order and the count are
    those of ranking every hit, and the shortcut is taken when the bound allows it."""
    if search_backend != "postgres":
        pytest.skip("the postgres backend's ranking")
    every = find(query)
    monkeypatch.setattr(PostgresSearch, "FEW", 0)
    taken = []
    original = PostgresSearch._top_openings

    def spy(self, *args):
        found = original(self, *args)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(PostgresSearch, "_top_openings", spy)
    shortcut = find(query)
    assert [item["id"] for item in shortcut["items"]] == [item["id"] for item in every["items"]]
    assert shortcut["total"] == every["total"] > 0
    assert taken, "the shortcut was not tried"


def test_the_shortcut_is_taken_when_titles_hold_the_word(make, find, search_backend, monkeypatch, app):
    """Enough openings with the word in their titles: the page comes from the openings alone, and a reply
    that says the word many times still ranks below them (as when every hit is ranked)."""
    if search_backend != "postgres":
        pytest.skip("the postgres backend's ranking")
    for n in range(3):
        thread = make.thread(title=f"Router question {n}", body="It restarts at night.")
        make.post(thread, body="router " * 30)
    monkeypatch.setattr(PostgresSearch, "FEW", 0)
    every_rank = []
    original = PostgresSearch._top_openings

    def spy(self, *args):
        found = original(self, *args)
        every_rank.append(found)
        return found

    monkeypatch.setattr(PostgresSearch, "_top_openings", spy)
    app.config["SEARCH_PER_PAGE"], per_page = 3, app.config["SEARCH_PER_PAGE"]
    try:
        body = find("router")
    finally:
        app.config["SEARCH_PER_PAGE"] = per_page
    assert every_rank and every_rank[0] is not None, "the bound should let the openings answer"
    assert [item["thread"]["title"] for item in body["items"]] == [f"Router question {n}" for n in range(3)]
    assert [item["number"] for item in body["items"]] == [1, 1, 1]  # the replies saying it 30 times: below
    assert body["total"] == 6


@pytest.mark.parametrize("query", ['"sync works"', '"router battery sync"', '"sync works" refund', '"works again" OR sync',
                                   '-"sync works" router', '"sync works" after:2000-01-01'])
def test_phrases_found_by_their_pairs_are_those_the_words_positions_give(forum, find, search_backend, monkeypatch,
                                                                          query):
    """A phrase's candidates come from `pairs` (every two adjacent words) and are checked against `terms`: the
    same page and count as the phrase over `terms` alone; and every pair PostgreSQL's `<->` can match in a
    document's terms (what migration 0023_ph writes for documents already there) is among its pairs."""
    if search_backend != "postgres":
        pytest.skip("the postgres backend's phrases")
    paired = find(query)
    monkeypatch.setattr(postgres, "_required_pairs", lambda query: set())
    alone = find(query)
    assert [item["id"] for item in paired["items"]] == [item["id"] for item in alone["items"]]
    assert paired["total"] == alone["total"]
    spec = importlib.util.spec_from_file_location("m0023", Path(MIGRATIONS_DIR) / "versions" / "0023_ph_search_pairs.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    missing = db.session.scalar(text(
        "WITH m AS (SELECT post_id, pairs FROM search_pairs) SELECT count(*) FROM (SELECT d.post_id, "
        + migration.PAIRS_SQL + " AS from_terms FROM search_documents d) f JOIN m USING (post_id) "
        "WHERE NOT (tsvector_to_array(f.from_terms) <@ tsvector_to_array(m.pairs))"))
    assert missing == 0
    assert _unpaired() == (0, 0)


def _unpaired() -> tuple:
    """(documents without their pairs' row, pairs' rows without their document)."""
    return tuple(db.session.execute(text(
        "SELECT (SELECT count(*) FROM search_documents d WHERE NOT EXISTS "
        "(SELECT 1 FROM search_pairs p WHERE p.post_id = d.post_id)), "
        "(SELECT count(*) FROM search_pairs p WHERE NOT EXISTS "
        "(SELECT 1 FROM search_documents d WHERE d.post_id = p.post_id))")).one())


def test_pairs_are_written_and_deleted_with_their_documents(make, find, search_backend):
    """search_pairs holds one row per document, written and deleted in the same statement as it: by a post,
    an edit, a deletion, a full reindex and a first fill (the GIN indexes dropped and built again)."""
    if search_backend != "postgres":
        pytest.skip("the postgres backend's pairs")

    def pairs() -> int:
        assert _unpaired() == (0, 0)
        return db.session.scalar(text("SELECT count(*) FROM search_pairs"))

    thread = make.thread(title="Sync works again", body="the router battery sync works")
    reply = make.post(thread, body="battery sync works for me too")
    other = make.thread(title="Another", body="battery sync works here")
    db.session.commit()
    other_id = other.id
    assert pairs() == 3 and find('"battery sync works"')["total"] == 3
    forum_services.edit_post(reply.author, reply, "nothing to add")
    db.session.commit()
    assert pairs() == 3 and find('"battery sync works"')["total"] == 2
    db.session.execute(postgres._DELETE, {"ids": [reply.id]})
    db.session.commit()
    assert pairs() == 2
    search.backend().reindex()
    assert pairs() == 3 and find('"battery sync works"')["total"] == 2
    db.session.execute(text("DELETE FROM badge_grants WHERE post_id IN (SELECT id FROM posts WHERE thread_id = :t)"),
                       {"t": other_id})  # (the first post's badge)
    db.session.execute(text("DELETE FROM posts WHERE thread_id = :t"), {"t": other_id})  # cascades to both
    db.session.commit()
    assert pairs() == 2 and find('"battery sync works"')["total"] == 1
    db.session.execute(text("TRUNCATE search_documents"))  # its pairs are left: the first fill drops them
    db.session.commit()
    assert find('"battery sync works"')["total"] == 0
    search.backend().reindex()
    assert pairs() == 2 and find('"battery sync works"')["total"] == 1
    assert db.session.scalar(text(
        "SELECT count(*) FROM pg_indexes WHERE indexname IN ('ix_search_documents_terms', 'ix_search_pairs_pairs')")) == 2


def test_long_pairs_are_hashed_alike():
    long = "x" * 900
    assert postgres.pair_lexeme("sync", "work") == "sync work"
    assert postgres.pair_lexeme(long, "年" * 100) == hashlib.md5(f"{long} {'年' * 100}".encode()).hexdigest()
    assert postgres.pair_lexeme(long, "y" * 50) == f"{long} {'y' * 50}"


def test_document_frequencies_from_the_counts_are_the_documents(forum, make, search_backend, monkeypatch, app):
    """On a large table a word's document frequency (the rank's idf) is summed from search_counts, gone
    documents included: the same figures as counting the documents."""
    if search_backend != "postgres":
        pytest.skip("the postgres backend's ranking")
    thread = make.thread(title="Sync gone", body="sync router")
    db.session.execute(text("UPDATE search_documents SET terms = terms || CAST(:g AS tsvector) "
                            "WHERE thread_id = :t"), {"t": thread.id, "g": "'facts:gone'"})
    db.session.commit()
    words = ["sync", "router", "work", "nowher"]
    postgres._frequencies.clear()
    counted = postgres._document_frequencies(words)
    monkeypatch.setattr(postgres, "LARGE_TABLE", 0)
    postgres._frequencies.clear()
    summed = postgres._document_frequencies(words)
    postgres._frequencies.clear()
    assert summed[1] == counted[1] and counted[1]["sync"] > 0 and counted[1]["nowher"] == 0
