"""Scoring and collecting: the matches of a query as sets of documents, ranked by BM25F, ordered by a
column or collected by Whoosh under a time limit, minus what the reader may not find.

The usual shapes are computed here from whole posting blocks (C speed); any other goes through Whoosh.
"""
from __future__ import annotations

import time

from flask import current_app
from whoosh import collectors
from whoosh.collectors import TimeLimit
from whoosh.query import And, AndMaybe, AndNot, Every, Not, NumericRange, Or, Phrase, Require, Term, TermRange
from whoosh.scoring import BM25FScorer, WeightScorer
from whoosh.searching import Results as WhooshResults

from . import whoosh_private as private
from .whoosh_columns import ColumnRange, bm25_norms, field_lengths, global_values
from .whoosh_schema import index_schema

TIME_LIMIT = 2.0  # seconds a single search may spend collecting hits


class _Deadline(collectors.WrappingCollector):
    """Stop collecting after `seconds` (Whoosh's TimeLimitCollector needs SIGALRM, main thread only)."""

    def __init__(self, child, seconds: float):
        super().__init__(child)
        self.seconds = seconds
        self.seen = 0

    def prepare(self, top_searcher, q, context):
        self.child.prepare(top_searcher, q, context)
        self.deadline = time.monotonic() + self.seconds
        self.seen = 0

    def collect(self, sub_docnum):
        self.seen += 1
        if not self.seen % 256 and time.monotonic() > self.deadline:
            raise TimeLimit
        return self.child.collect(sub_docnum)


def _leaf_docs(searcher, query) -> set:
    """Return the global docnums of a Term's postings, read a block at a time (not a matcher step each)."""
    found: set = set()
    subs = searcher.subsearchers or [(searcher, 0)]
    for sub, offset in subs:
        matcher, _boost, gone = private.unwrap(query.matcher(sub))
        if not private.is_block_leaf(matcher):
            found.update(docnum + offset for docnum in query.docs(sub))
            continue
        ids: set = set()
        for block, _weights, _value in private.blocks(matcher):
            ids.update(block)
        ids -= gone
        found.update(ids if not offset else (docnum + offset for docnum in ids))
    return found


class _Unsupported(Exception):
    """A query shape the set algebra here does not handle: Whoosh's own searching takes it."""


def matching_docs(searcher, query, strict: bool = False) -> set:
    """Return the docnums matching `query` by set algebra over its terms' postings (C speed, unscored).

    Matches what Whoosh's matchers find; any query shape not handled here goes through Whoosh, or
    raises _Unsupported when `strict` (the caller then searches through Whoosh, under its time limit).
    """
    kind = type(query)
    if kind is Term:
        return _leaf_docs(searcher, query)
    if kind is ColumnRange:
        return query.docs_in(searcher)
    if kind is Phrase and _phrase_fits(query):
        try:
            return _phrase_docs(searcher, query)
        except _Unsupported:
            if strict:
                raise
    if kind is Every and query.fieldname is None:
        return set(searcher.reader().all_doc_ids())
    if kind is Or and not any(isinstance(sub, Not) for sub in query.subqueries):
        found: set = set()
        for sub in query.subqueries:
            found |= matching_docs(searcher, sub, strict)
        return found
    if kind is And:
        positive = [sub for sub in query.subqueries if not isinstance(sub, (Not, Every))]
        negative = [sub.query for sub in query.subqueries if isinstance(sub, Not)]
        if not positive and Every() in query.subqueries:  # filters only, all negated: from every document
            positive = [Every()]
        if positive:
            sets = sorted((matching_docs(searcher, sub, strict) for sub in positive), key=len)
            found = sets[0].intersection(*sets[1:])
            for sub in negative:
                if not found:
                    break
                found -= matching_docs(searcher, sub, strict)
            return found
    if kind is AndNot:
        return matching_docs(searcher, query.a, strict) - matching_docs(searcher, query.b, strict)
    if kind is AndMaybe:
        return matching_docs(searcher, query.a, strict)
    if kind is Require:
        return matching_docs(searcher, query.a, strict) & matching_docs(searcher, query.b, strict)
    if strict:
        raise _Unsupported
    return set(searcher.docs_for_query(query))


# ---- phrases: candidates by set algebra, then positions of those candidates only --------------------

def _phrase_fits(query) -> bool:
    """An exact phrase (Whoosh's default slop of 1) over a field that stores positions."""
    field = index_schema()[query.fieldname] if query.fieldname in index_schema() else None
    return (query.slop == 1 and bool(query.words) and field is not None and field.format is not None
            and field.format.supports("positions"))


def _term_positions(searcher, fieldname: str, word: str, wanted: set) -> dict:
    """Return {global docnum: positions of `word`} for the docnums in `wanted`, decoding only those."""
    found: dict = {}
    decode = index_schema()[fieldname].format.decode_positions
    for sub, offset in (searcher.subsearchers or [(searcher, 0)]):
        matcher, _boost, _gone = private.unwrap(Term(fieldname, word).matcher(sub))  # deleted: not wanted anyway
        if not matcher.is_active():
            continue
        if not private.is_block_leaf(matcher):
            raise _Unsupported
        for block, _weights, value in private.blocks(matcher):
            for i, docnum in enumerate(block):
                if docnum + offset in wanted:
                    found[docnum + offset] = decode(value(i))
    return found


def _phrase_docs(searcher, query) -> set:
    """Return the docnums where the phrase's words stand next to each other in order, as Whoosh's
    SpanNear2 (slop 1) finds them: some position p with word i at p + i for every i."""
    if not _phrase_fits(query):
        raise _Unsupported
    words, fieldname = list(query.words), query.fieldname
    sets = sorted((_leaf_docs(searcher, Term(fieldname, word)) for word in set(words)), key=len)
    candidates = sets[0].intersection(*sets[1:])
    if not candidates or len(words) == 1:
        return candidates
    positions = {word: _term_positions(searcher, fieldname, word, candidates) for word in set(words)}
    found = set()
    for docnum in candidates:
        starts = set(positions[words[0]].get(docnum, ()))
        for i, word in enumerate(words[1:], 1):
            if not starts:
                break
            starts &= {p - i for p in positions[word].get(docnum, ())}
        if starts:
            found.add(docnum)
    return found


def _phrase_scores(searcher, query) -> dict:
    """Score phrase matches as Whoosh does: the words' BM25F scores summed in its matcher tree's order."""
    docs = _phrase_docs(searcher, query)
    if not docs:
        return {}
    parts = [_leaf_scores(searcher, Term(query.fieldname, word)) for word in query.words]

    def tree(items, docnum):  # whoosh.util.make_binary_tree's shape: a + (b + c), (a + b) + (c + d)
        if len(items) == 1:
            return items[0][docnum]
        half = len(items) // 2
        return tree(items[:half], docnum) + tree(items[half:], docnum)

    boost = query.boost
    return {docnum: tree(parts, docnum) * boost for docnum in docs}


# ---- relevance without a matcher step per document ----------------------------------------------
#
# Whoosh scores every match in pure Python through a tree of matchers (its block-quality skipping
# rarely skips here: short posts put a near-top document in almost every block). For the usual shapes
# - words, OR, AND, NOT, -word and term/date filters - the same BM25F sums are computed here from
# whole posting blocks and a per-segment array of field lengths; other shapes (phrases) go to Whoosh.

class _NoLengths:
    def __getitem__(self, docnum):
        return 1


_NO_LENGTHS = _NoLengths()


def _leaf_scores(searcher, query) -> dict:
    """Return {global docnum: BM25F score} of a Term, as Whoosh's matcher would score each posting."""
    scores: dict = {}
    for sub, offset in (searcher.subsearchers or [(searcher, 0)]):
        matcher, boost, gone = private.unwrap(query.matcher(sub))
        if not matcher.is_active():
            continue
        if not private.is_block_leaf(matcher):
            raise _Unsupported
        score = private.length_score(matcher.scorer)
        if score is not None:
            lengths = field_lengths(sub.reader(), query.fieldname)
        elif type(matcher.scorer) is WeightScorer:  # a field without lengths (ids, keywords): its weight
            score, lengths = (lambda weight, _length: weight), _NO_LENGTHS
        else:
            raise _Unsupported
        bm25 = type(matcher.scorer) is BM25FScorer
        if bm25:  # Whoosh's bm25(), inlined over a block (the same arithmetic, so the same floats)
            sc = matcher.scorer
            idf, k1p = sc.idf, sc.K1 + 1
            norms = bm25_norms(sub.reader(), query.fieldname, sc.K1, sc.B, sc.avgfl)
        for block, weights, _value in private.blocks(matcher, weights=True):
            pairs = zip(block, weights, strict=True)
            if gone:
                pairs = [(d, w) for d, w in pairs if d not in gone]
            if bm25:
                scores.update({d + offset: idf * ((w * k1p) / (w + norms[d])) * boost for d, w in pairs})
            else:
                scores.update({d + offset: score(w, lengths[d]) * boost for d, w in pairs})
    return scores


def _constant(query) -> bool:
    """A part that scores the same for every document (ranges, Every): only its matches matter."""
    return isinstance(query, (Every, NumericRange, TermRange, ColumnRange))


def _scores(searcher, query) -> dict:
    """Return {global docnum: score} for every match of `query`; raise _Unsupported for other shapes."""
    kind = type(query)
    if kind is Term:
        return _leaf_scores(searcher, query)
    if kind is Phrase:
        return _phrase_scores(searcher, query)
    if kind is Or and not any(isinstance(sub, Not) or _constant(sub) for sub in query.subqueries):
        parts = [_scores(searcher, sub) for sub in query.subqueries]
        if len(parts) == 2:  # a + b == b + a exactly: add the smaller into a copy of the larger
            parts.sort(key=len, reverse=True)
        total: dict = dict(parts[0]) if parts else {}
        for part in parts[1:]:  # more parts: in Whoosh's order, as float sums depend on it
            get = total.get
            for docnum, score in part.items():
                total[docnum] = get(docnum, 0.0) + score
        return total
    if kind is And:
        scored = [sub for sub in query.subqueries if not isinstance(sub, Not) and not _constant(sub)]
        if not scored:
            raise _Unsupported
        parts = sorted((_scores(searcher, sub) for sub in scored), key=len)
        total = dict(parts[0])
        for part in parts[1:]:
            total = {docnum: score + part[docnum] for docnum, score in total.items() if docnum in part}
        for sub in query.subqueries:
            if total and sub not in scored:
                keep = matching_docs(searcher, sub.query if isinstance(sub, Not) else sub)
                negate = isinstance(sub, Not)
                total = {d: sc for d, sc in total.items() if (d in keep) != negate}
        return total
    if kind is AndNot:
        total, gone = _scores(searcher, query.a), matching_docs(searcher, query.b)
        return {d: sc for d, sc in total.items() if d not in gone}
    if kind is AndMaybe:
        total, extra = _scores(searcher, query.a), _scores(searcher, query.b)
        return {d: sc + extra.get(d, 0.0) for d, sc in total.items()}
    raise _Unsupported


def _ranked(searcher, query, excluded: set, limit: int):
    """Return (the top `limit` (score, docnum) pairs the reader may see, their count), or None for
    a query shape left to Whoosh."""
    try:
        scores = _scores(searcher, query)
    except _Unsupported:
        return None
    total = len(scores) - len(excluded.intersection(scores))
    if not total or limit < 1:
        return [], total
    # Only the documents scoring at least the k-th best score can be in the top: find that score by a
    # sort of the floats (C), widen k until enough of them are allowed, then order those few.
    ordered = sorted(scores.values(), reverse=True)
    k = limit
    while True:
        cut = ordered[min(k, len(ordered)) - 1]
        top = [(score, docnum) for docnum, score in scores.items() if score >= cut and docnum not in excluded]
        if len(top) >= limit or k >= len(ordered):
            break
        k *= 4
    top.sort(key=lambda pair: (-pair[0], pair[1]))
    return top[:limit], total


def _by_column(searcher, query, excluded: set, limit: int, fieldname: str):
    """Return (the top `limit` (value, docnum) pairs the reader may see, highest value first, their
    count), or None for a query shape left to Whoosh's sorting collector."""
    try:
        docs = matching_docs(searcher, query, strict=True) - excluded
    except _Unsupported:
        return None
    column = global_values(searcher, fieldname)
    # Two C sorts: by docnum, then (stable) by value, highest first, so ties keep the lower docnum first.
    top = sorted(sorted(docs), key=column.__getitem__, reverse=True)[:limit]
    return [(column[docnum], docnum) for docnum in top], len(docs)


def _count(searcher, query, excluded: set) -> int:
    """Count the matches of `query` the reader may see, without scoring them."""
    return len(matching_docs(searcher, query) - excluded)


def collect(searcher, query, excluded: set, limit: int, sort: str, count: bool = True):
    """Return (the top `limit` allowed hits, how many allowed hits there are, whether time ran out).

    The usual shapes are ranked (`_ranked`) or ordered by a column (`_by_column`) from whole posting
    blocks; any other goes through Whoosh's collector under TIME_LIMIT, and its count walks the
    matching document numbers unscored, minus the excluded ones.
    """
    if sort == "relevance" and current_app.config.get("SEARCH_FAST_RANKING", True):
        ranked = _ranked(searcher, query, excluded, limit)
        if ranked is not None:
            top, total = ranked
            found = WhooshResults(searcher, query, top)
            return found, total, False
    if sort in ("newest", "votes"):
        ordered = _by_column(searcher, query, excluded, limit, "created" if sort == "newest" else "score")
        if ordered is not None:
            top, total = ordered
            return WhooshResults(searcher, query, top), total, False
    kwargs = {}
    if sort == "newest":
        kwargs = {"sortedby": "created", "reverse": True}
    elif sort == "votes":
        kwargs = {"sortedby": "score", "reverse": True}
    timed = _Deadline(searcher.collector(limit=limit, **kwargs), TIME_LIMIT)
    collector = collectors.FilterCollector(timed, restrict=excluded or None)
    partial = False
    try:
        searcher.search_with_collector(query, collector)
    except TimeLimit:
        partial = True
        collector.finish()
    found = collector.results()
    if partial or not count:
        return found, found.scored_length(), partial
    return found, max(_count(searcher, query, excluded), found.scored_length()), False
