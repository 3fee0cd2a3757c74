"""The unscored hit count (set algebra over postings) finds exactly what Whoosh's own matchers find."""
from __future__ import annotations

from datetime import datetime

from whoosh import index as whoosh_index
from whoosh.query import Or, Term

from community.search.backends import whoosh_columns as columns
from community.search.backends.whoosh_schema import schema
from community.search.backends.whoosh_scoring import _by_column, _ranked, matching_docs
from community.search.documents import seconds
from community.search.parse import parse

QUERIES = ["sync", "sync -crash", "sync NOT crash", '"router works"', "退货", "深色模式", "sync OR crash -freeze",
           "+sync crash", "sync ANDMAYBE crash", "(sync OR crash) is:solved after:2025-06-01",
           "tag:hardware -author:ann", "is:solved", "sync -is:solved -tag:hardware", "nothingmatches",
           "sync before:2025-03-01", "date:2025-05", "crash date:2025-02-01..2025-08-31", "-date:2025",
           "sync -date:2025-03..2025-10", "date:2025-04..", "-tag:hardware", "after:2026-01-01",
           '"router works again"', '"works router"', '"sync sync"', '"增加深色模式" OR crash', 'sync -"sync works"']


def _segmented_index(tmp_path):
    """Return an index of three segments with deletions in each."""
    ix = whoosh_index.create_in(str(tmp_path), schema(), indexname="posts")
    words = ["sync crash", "sync freeze", "router works again", "如何办理退货流程", "希望增加深色模式 sync",
             "crash router", "sync sync works"]
    for segment in range(3):  # three commits: three segments
        writer = ix.writer()
        for n in range(40):
            post = segment * 40 + n
            writer.add_document(post_id=str(post), thread_id=str(post // 3), board_id="1",
                                author="ann" if post % 4 else "bob", tags="hardware" if post % 5 else "billing",
                                facts="live solved" if post % 3 else "live unsolved",
                                body=words[post % len(words)], title=words[(post * 3) % len(words)],
                                created=seconds(datetime(2025 if post % 13 else 2024, 1 + post % 12, 1 + post % 28, post % 24)),
                                score=(post * 7) % 23 - 5)
        writer.commit(merge=False)
    writer = ix.writer()
    for post in range(0, 120, 7):  # deletions in every segment
        writer.delete_by_term("post_id", str(post))
    writer.commit(merge=False)
    return ix


def test_count_matches_whoosh_on_segments_with_deletions(app, tmp_path):
    ix = _segmented_index(tmp_path)
    with app.test_request_context("/"), ix.searcher() as searcher:
        assert len(searcher.subsearchers) >= 3 and searcher.reader().has_deletions()
        for q in QUERIES:
            query = parse(q).query
            expected = set(searcher.docs_for_query(query))
            assert matching_docs(searcher, query) == expected, q
        assert len(matching_docs(searcher, parse("sync").query)) > 20
        may = {post for post in range(120) if post % 7 and post % 13 and post % 12 == 4}  # 2025-05, not deleted
        found = {int(searcher.stored_fields(d)["post_id"]) for d in matching_docs(searcher, parse("date:2025-05").query)}
        assert found == may and may


def test_newest_and_votes_order_as_whoosh_sorts(app, tmp_path):
    """Sorting by the date and score columns gives Whoosh's sorted order (ties by document) and count."""
    ix = _segmented_index(tmp_path)
    with app.test_request_context("/"), ix.searcher() as searcher:
        excluded = set(searcher.docs_for_query(parse("author:bob").query))
        for q in ["sync", "sync -crash date:2025", "is:solved", "-tag:hardware", "退货 OR crash"]:
            query = parse(q).query
            for fieldname in ("created", "score"):
                hits = [hit for hit in searcher.search(query, limit=None, sortedby=fieldname, reverse=True)
                        if hit.docnum not in excluded]
                column = searcher.reader().column_reader(fieldname)
                expected = sorted((hit.docnum for hit in hits), key=lambda d: (-column[d], d))[:10]
                top, total = _by_column(searcher, query, excluded, 10, fieldname)
                assert total == len(hits), q
                assert [docnum for _value, docnum in top] == expected, (q, fieldname)
                assert [value for value, _d in top] == sorted((value for value, _d in top), reverse=True)
        assert _by_column(searcher, parse('"router works"').query, excluded, 10, "created")[1] > 0


RANKED = ["sync", "sync -crash", "sync NOT crash", "退货", "深色模式", "sync OR crash -freeze", "+sync crash",
          "sync ANDMAYBE crash", "(sync OR crash) is:solved after:2025-06-01", "router works", "sync tag:hardware",
          "nothingmatches", '"router works"', '"router works again"', '"sync sync"', '"works router"',
          '"增加深色模式"', '"crash router" OR sync', 'sync -"sync works"', '"sync" date:2025']


def test_fast_ranking_scores_as_whoosh_does(app, tmp_path):
    """The block-at-a-time BM25F ranking gives Whoosh's own scores, order and count (minus excluded)."""
    ix = _segmented_index(tmp_path)
    with app.test_request_context("/"), ix.searcher() as searcher:
        excluded = set(searcher.docs_for_query(parse("author:bob").query))
        boosted = Or([Term("title", "sync", boost=2.0), Term("body", "sync", boost=0.5)])  # "before you post"
        for q in RANKED + [boosted]:
            query = parse(q).query if isinstance(q, str) else q
            expected = [(hit.score, hit.docnum)
                        for hit in searcher.search(query, limit=None, optimize=False) if hit.docnum not in excluded]
            count = len(expected)
            expected = sorted(expected, key=lambda pair: (-pair[0], pair[1]))[:15]
            top, total = _ranked(searcher, query, excluded, 15)
            assert total == count, q
            assert [docnum for _score, docnum in top] == [docnum for _score, docnum in expected], q
            # the same BM25F sums; Whoosh adds a constant for NOT and range parts (it changes no order)
            assert len({round(theirs - ours, 6) for (ours, _d), (theirs, _e) in zip(top, expected, strict=True)}) <= 1, q
        assert _ranked(searcher, parse('"router works"').query, excluded, 15)[1] > 0


def test_per_segment_caches_do_not_grow_with_every_commit(app, tmp_path):
    """BM25's length part depends on the index's average length, which every commit moves: the cache
    keeps one list per segment and field, not one per commit (each is megabytes on a large segment)."""
    ix = _segmented_index(tmp_path)
    with ix.searcher() as searcher:
        first = searcher.reader().leaf_readers()[0][0].segment().segment_id()
    with app.test_request_context("/"):
        for n in range(8):
            writer = ix.writer()
            writer.add_document(post_id=f"new{n}", thread_id="99", board_id="1", facts="v_public reply",
                                body="sync " * (n + 1), title="sync")
            writer.commit(merge=False)
            with ix.searcher() as searcher:
                assert _ranked(searcher, parse("sync").query, set(), 5)[1] > 0
    entries = [key for key in columns._cache if key[0] == first and key[1] == "bm25"]
    assert sorted(key[2] for key in entries) == ["body", "title"]
