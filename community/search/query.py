"""Searching: the query language, the reader's filter, a page of hits with snippets, similar threads.

The query language: words (all must match, stemmed in English, segmented in Chinese), "phrases", OR,
NOT / -word, ( ) groups, and filters board:slug, kind:question (the board's kind), author:name,
tag:name, status:planned, is:solved, is:unsolved, is:unanswered, is:thread, after:2024-01-01,
before:2024-12-31, date:2024-05 or date:2024-01-01..2024-03-31 (a filter can be negated with -).

What a reader may see is decided twice: inside the Whoosh query, which subtracts every document the
reader may not find (boards not readable per `permissions.readable_visibilities`, read from the
database; deleted, hidden or pending posts; whispers unless `can_see_whispers`), and then
`permissions.can_view_post` on the rows of the page, which also catches a change the index has not
caught up with yet.
"""
from __future__ import annotations

import re
import threading
from itertools import accumulate
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from math import ceil

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from whoosh import qparser
from whoosh import collectors
from whoosh.collectors import TimeLimit
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.query import And, AndMaybe, AndNot, Every, Not, NullQuery, Or, Phrase, Require, Term

from .. import permissions
from ..errors import ServiceError
from ..extensions import db
from ..forum.models import Board, BoardKind, IdeaStatus, Post, Thread, Visibility
from ..web import Paging
from .analysis import BilingualAnalyzer, is_han
from .columns import ColumnRange, bm25_norms, field_lengths, global_values, seconds
from .index import IndexUnavailable, service

SORTS = ("relevance", "newest", "votes")
MAX_PAGE = 50
TIME_LIMIT = 2.0  # seconds a single search may spend collecting hits

_FILTER = re.compile(r'(?<![^\s(])(-?)(board|kind|author|tag|status|is|before|after|date):("[^"]*"|[^\s()"]+)', re.I)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"', "＂": '"'})
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class BadQuery(ServiceError):
    code = "bad_query"
    status = 400


class SearchUnavailable(ServiceError):
    code = "search_unavailable"
    status = 503


@dataclass
class Hit:
    post: Post
    snippet: Markup
    title: Markup


@dataclass
class Results(Paging):
    """A page of search hits; the paging (page, pages, has_prev, has_next, items, total) is every list's."""

    query: str
    sort: str
    page: int = 1
    pages: int = 1
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    suggestion: str | None = None
    partial: bool = False

    @property
    def items(self) -> list[Hit]:
        return self.hits


# ---- parsing -----------------------------------------------------------------------------------

def clean(raw: str | None) -> str:
    """Return the query as typed, normalised: NFKC, curly quotes made straight, control characters gone."""
    text = unicodedata.normalize("NFKC", raw or "").translate(_QUOTES)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch for ch in text)
    return " ".join(text.split())


def _parser():
    parser = qparser.MultifieldParser(["title", "body"], _schema(), group=qparser.AndGroup)
    for plugin in (qparser.FieldsPlugin, qparser.WildcardPlugin, qparser.RangePlugin, qparser.BoostPlugin,
                   qparser.EveryPlugin, qparser.SingleQuotePlugin, qparser.FuzzyTermPlugin):
        parser.remove_plugin_class(plugin)
    parser.add_plugin(qparser.PlusMinusPlugin())
    return parser


_schema_cache = None


def _schema():
    global _schema_cache
    if _schema_cache is None:
        from .index import schema

        _schema_cache = schema()
    return _schema_cache


def _day(text: str, end: bool = False) -> int:
    match = _DATE.match(text)
    if not match:
        raise ValueError(text)
    year, month, day = int(match.group(1)), match.group(2), match.group(3)
    if day:
        start = date(year, int(month), int(day))
        stop = start + timedelta(days=1)
    elif month:
        start = date(year, int(month), 1)
        stop = date(year + (start.month == 12), start.month % 12 + 1, 1)
    else:
        start, stop = date(year, 1, 1), date(year + 1, 1, 1)
    moment = stop if end else start
    return seconds(datetime(moment.year, moment.month, moment.day))


def _filter_query(name: str, value: str, boards: dict, kinds: dict):
    value = value.strip('"').strip()
    name = name.lower()
    if not value:
        raise BadQuery(_l("The filter %(name)s: needs a value.", name=name))
    folded = value.casefold()
    if name == "board":  # a board the reader may not read is no board at all
        return Term("board_id", str(boards.get(folded, 0)))
    if name == "kind":  # the readable boards of that kind (from the database: no index field needed)
        if folded not in {k.value for k in BoardKind}:
            raise BadQuery(_l("Unknown kind %(value)s. Try one of: %(known)s.", value=value,
                              known=", ".join(k.value for k in BoardKind)))
        ids = kinds.get(folded) or [0]
        return Or([Term("board_id", str(board_id)) for board_id in ids]) if len(ids) > 1 else Term("board_id", str(ids[0]))
    if name == "author":
        return Term("author", folded.lstrip("@"))
    if name == "tag":
        return Term("tags", folded.lstrip("#"))
    if name == "status":
        status = folded.replace("-", "_").replace(" ", "_")
        if status not in {s.value for s in IdeaStatus}:
            raise BadQuery(_l("Unknown status %(value)s. Try one of: %(known)s.", value=value,
                              known=", ".join(s.value for s in IdeaStatus)))
        return Term("facts", f"s_{status}")
    if name == "is":
        known = {"solved", "unsolved", "unanswered", "answered", "thread", "reply"}
        if folded not in known:
            raise BadQuery(_l("Unknown filter is:%(value)s. Try is:solved, is:unsolved, is:unanswered or is:thread.",
                              value=value))
        return Term("facts", {"thread": "opening"}.get(folded, folded))
    try:
        if name == "after":
            return ColumnRange("created", _day(value), None)
        if name == "before":
            return ColumnRange("created", None, _day(value))
        first, _sep, last = value.partition("..")
        return ColumnRange("created", _day(first) if first else None,
                           _day(last or first, end=True) if (last or not _sep) else None)
    except ValueError:
        raise BadQuery(_l("Dates are written like 2024-05-31, 2024-05 or 2024; date ranges like "
                          "date:2024-01-01..2024-03-31.")) from None


@dataclass
class Parsed:
    text: str  # the words part, as typed
    query: object  # the Whoosh query, filters included
    has_words: bool


def parse(raw: str | None, boards: dict | None = None, kinds: dict | None = None) -> Parsed:
    """Turn what the reader typed into a Whoosh query; raise BadQuery with a clear message."""
    config = current_app.config
    typed = clean(raw)
    if len(typed) > config["SEARCH_MAX_QUERY_LENGTH"]:
        raise BadQuery(_l("That search is too long. Please use at most %(n)d characters.",
                          n=config["SEARCH_MAX_QUERY_LENGTH"]))
    filters, negated = [], []
    for neg, name, value in _FILTER.findall(typed):
        (negated if neg else filters).append(_filter_query(name, value, boards or {}, kinds or {}))
    words = " ".join(_FILTER.sub(" ", typed).split())
    if len(words.split()) + len(filters) + len(negated) > config["SEARCH_MAX_TERMS"]:
        raise BadQuery(_l("That search has too many words. Please use at most %(n)d.", n=config["SEARCH_MAX_TERMS"]))
    query = NullQuery
    if words:
        try:
            query = _parser().parse(words)
        except Exception:  # the parser is lenient; anything it cannot take is the query's fault
            raise BadQuery(_l("We could not understand that search. Try plain words.")) from None
    has_words = query is not NullQuery and bool(list(query.leaves()))
    if not has_words:
        query = Every() if (filters or negated) else NullQuery
    parts = ([query] if query is not NullQuery else []) + filters + [Not(q) for q in negated]
    combined = And(parts) if len(parts) > 1 else (parts[0] if parts else NullQuery)
    return Parsed(words, combined, has_words)


# ---- the reader's filter -----------------------------------------------------------------------

@dataclass
class Boards:
    readable: dict  # {slug: id} of the boards the reader may read
    others: list  # ids of every other board
    kinds: dict = field(default_factory=dict)  # {kind: [ids]} of the readable boards


def boards_of(member) -> Boards:
    """Sort the boards into readable and not, by their visibility in the database now (one query)."""
    visibilities = set(permissions.readable_visibilities(member))
    boards = Boards({}, [])
    for board_id, slug, visibility, kind in db.session.execute(
            select(Board.id, Board.slug, Board.visibility, Board.kind).order_by(Board.id)):
        if visibility in visibilities:
            boards.readable[slug] = board_id
            boards.kinds.setdefault(kind.value, []).append(board_id)
        else:
            boards.others.append(board_id)
    return boards


def reader_filter(member, boards: Boards | None = None):
    """Return what `member` may not find, as a Whoosh query to subtract from every search.

    Raises NothingReadable when the member may read no board at all. Subtracting what is not allowed
    (usually few documents) is far cheaper in Whoosh than intersecting with everything that is.
    """
    boards = boards_of(member) if boards is None else boards
    if not boards.readable:
        raise NothingReadable
    readable = set(permissions.readable_visibilities(member))
    parts = [Term("facts", "gone")]
    parts += [Term("facts", f"v_{v.value}") for v in Visibility if v not in readable]
    parts += [Term("board_id", str(board_id)) for board_id in boards.others]
    if not _sees_whispers(member):
        parts.append(Term("facts", "whisper"))
    return Or(parts)


class NothingReadable(Exception):
    """The reader may read no board."""


def _sees_whispers(member) -> bool:
    """Whispers (staff-only replies) show to whom moderation's predicate allows: staff and moderators."""
    predicate = getattr(permissions, "can_see_whispers", None)
    return predicate(member) if predicate else (permissions.is_staff(member) or permissions.is_moderator(member))


# ---- searching -----------------------------------------------------------------------------------

def _searcher():
    try:
        return service().shared_searcher()
    except IndexUnavailable:
        raise SearchUnavailable(_l("Search is being rebuilt and will be back in a few minutes. "
                                   "Browsing the boards works as usual meanwhile.")) from None


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


# The documents a class of readers may not find, per open index state: {(state, reader key): set}.
_excluded_cache: dict = {}
_excluded_lock = threading.Lock()


def _index_state(searcher) -> tuple:
    """Identify what `searcher` reads: the index generation and its segments (docnums are stable within)."""
    reader = searcher.reader()
    segments = tuple(sub.segment().segment_id() if hasattr(sub, "segment") else id(sub)
                     for sub, _offset in reader.leaf_readers())
    return (str(service().path), reader.generation(), segments)


def excluded_docs(searcher, member, boards: Boards) -> set:
    """Return the docnums (in `searcher`) that `member` may not find, cached per index state and per
    class of reader (the boards it may not read, the visibilities, whether it sees whispers).

    Raises NothingReadable when the member may read no board at all.
    """
    query = reader_filter(member, boards)
    key = (_index_state(searcher), tuple(sorted(boards.others)),
           tuple(sorted(v.value for v in Visibility if v not in set(permissions.readable_visibilities(member)))),
           _sees_whispers(member))
    found = _excluded_cache.get(key)
    if found is None:
        found = _docs(searcher, query)  # a set (Whoosh's filters take no frozenset); never changed
        with _excluded_lock:
            if any(other[0] != key[0] for other in _excluded_cache) or len(_excluded_cache) > 64:
                _excluded_cache.clear()  # the index changed: the old sets describe other documents
            _excluded_cache[key] = found
    return found


def _read_block_ids(matcher) -> None:
    """Read the current block's ids as Whoosh's `_read_ids` does, decoding the deltas in C (accumulate)."""
    if matcher._ids is None:
        if matcher._data is None:
            matcher._read_data()
        ids = matcher._data[0]
        matcher._ids = ids if matcher._byteids else tuple(accumulate(ids))


def _leaf_docs(searcher, query) -> set:
    """Return the global docnums of a Term's postings, read a block at a time (not a matcher step each)."""
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching.wrappers import FilterMatcher

    found: set = set()
    subs = searcher.subsearchers or [(searcher, 0)]
    for sub, offset in subs:
        matcher = query.matcher(sub)
        gone: set = set()
        if isinstance(matcher, FilterMatcher) and matcher._exclude:  # the segment's deleted documents
            matcher, gone = matcher.child, matcher._ids
        if not isinstance(matcher, W3LeafMatcher):
            found.update(docnum + offset for docnum in query.docs(sub))
            continue
        ids: set = set()
        while matcher.is_active():
            _read_block_ids(matcher)
            ids.update(matcher._ids[matcher._i:])
            matcher._next_block()
        ids -= set(gone)
        found.update(ids if not offset else (docnum + offset for docnum in ids))
    return found


class _Unsupported(Exception):
    """A query shape the set algebra here does not handle: Whoosh's own searching takes it."""


def _docs(searcher, query, strict: bool = False) -> set:
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
            found |= _docs(searcher, sub, strict)
        return found
    if kind is And:
        positive = [sub for sub in query.subqueries if not isinstance(sub, (Not, Every))]
        negative = [sub.query for sub in query.subqueries if isinstance(sub, Not)]
        if not positive and Every() in query.subqueries:  # filters only, all negated: from every document
            positive = [Every()]
        if positive:
            sets = sorted((_docs(searcher, sub, strict) for sub in positive), key=len)
            found = sets[0].intersection(*sets[1:])
            for sub in negative:
                if not found:
                    break
                found -= _docs(searcher, sub, strict)
            return found
    if kind is AndNot:
        return _docs(searcher, query.a, strict) - _docs(searcher, query.b, strict)
    if kind is AndMaybe:
        return _docs(searcher, query.a, strict)
    if kind is Require:
        return _docs(searcher, query.a, strict) & _docs(searcher, query.b, strict)
    if strict:
        raise _Unsupported
    return set(searcher.docs_for_query(query))


# ---- phrases: candidates by set algebra, then positions of those candidates only --------------------

def _phrase_fits(query) -> bool:
    """An exact phrase (Whoosh's default slop of 1) over a field that stores positions."""
    field = _schema()[query.fieldname] if query.fieldname in _schema() else None
    return (query.slop == 1 and bool(query.words) and field is not None and field.format is not None
            and field.format.supports("positions"))


def _term_positions(searcher, fieldname: str, word: str, wanted: set) -> dict:
    """Return {global docnum: positions of `word`} for the docnums in `wanted`, decoding only those."""
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching.wrappers import FilterMatcher

    found: dict = {}
    decode = _schema()[fieldname].format.decode_positions
    for sub, offset in (searcher.subsearchers or [(searcher, 0)]):
        matcher = Term(fieldname, word).matcher(sub)
        if isinstance(matcher, FilterMatcher) and matcher._exclude:  # deleted documents are not wanted anyway
            matcher = matcher.child
        if not matcher.is_active():
            continue
        if not isinstance(matcher, W3LeafMatcher):
            raise _Unsupported
        while matcher.is_active():
            _read_block_ids(matcher)
            start = matcher._i
            hits = [(i, docnum + offset) for i, docnum in enumerate(matcher._ids[start:], start)
                    if docnum + offset in wanted]
            if hits:
                if matcher._values is None:
                    matcher._read_values()
                values = matcher._values
                for i, docnum in hits:
                    found[docnum] = decode(values[i])
            matcher._next_block()
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
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching.wrappers import FilterMatcher, WrappingMatcher
    from whoosh.scoring import BM25FScorer, WeightLengthScorer, WeightScorer

    scores: dict = {}
    for sub, offset in (searcher.subsearchers or [(searcher, 0)]):
        matcher = query.matcher(sub)
        boost = 1.0
        if type(matcher) is WrappingMatcher:  # the query's boost
            matcher, boost = matcher.child, matcher.boost
        gone: set = set()
        if isinstance(matcher, FilterMatcher) and matcher._exclude:  # the segment's deleted documents
            matcher, gone = matcher.child, set(matcher._ids)
        if not matcher.is_active():
            continue
        if not isinstance(matcher, W3LeafMatcher):
            raise _Unsupported
        if isinstance(matcher.scorer, WeightLengthScorer):
            score, lengths = matcher.scorer._score, field_lengths(sub.reader(), query.fieldname)
        elif type(matcher.scorer) is WeightScorer:  # a field without lengths (ids, keywords): its weight
            score, lengths = (lambda weight, _length: weight), _NO_LENGTHS
        else:
            raise _Unsupported
        bm25 = type(matcher.scorer) is BM25FScorer
        if bm25:  # Whoosh's bm25(), inlined over a block (the same arithmetic, so the same floats)
            sc = matcher.scorer
            idf, k1p = sc.idf, sc.K1 + 1
            norms = bm25_norms(sub.reader(), query.fieldname, sc.K1, sc.B, sc.avgfl)
        while matcher.is_active():
            _read_block_ids(matcher)
            if matcher._weights is None:
                matcher._read_weights()
            start = matcher._i
            pairs = zip(matcher._ids[start:], matcher._weights[start:])
            if gone:
                pairs = [(d, w) for d, w in pairs if d not in gone]
            if bm25:
                scores.update({d + offset: idf * ((w * k1p) / (w + norms[d])) * boost for d, w in pairs})
            else:
                scores.update({d + offset: score(w, lengths[d]) * boost for d, w in pairs})
            matcher._next_block()
    return scores


def _constant(query) -> bool:
    """A part that scores the same for every document (ranges, Every): only its matches matter."""
    from whoosh.query import NumericRange, TermRange

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
                keep = _docs(searcher, sub.query if isinstance(sub, Not) else sub)
                negate = isinstance(sub, Not)
                total = {d: sc for d, sc in total.items() if (d in keep) != negate}
        return total
    if kind is AndNot:
        total, gone = _scores(searcher, query.a), _docs(searcher, query.b)
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
        docs = _docs(searcher, query, strict=True) - excluded
    except _Unsupported:
        return None
    column = global_values(searcher, fieldname)
    # Two C sorts: by docnum, then (stable) by value, highest first, so ties keep the lower docnum first.
    top = sorted(sorted(docs), key=column.__getitem__, reverse=True)[:limit]
    return [(column[docnum], docnum) for docnum in top], len(docs)


def _count(searcher, query, excluded: set) -> int:
    """Count the matches of `query` the reader may see, without scoring them."""
    return len(_docs(searcher, query) - excluded)


def _collect(searcher, query, excluded: set, limit: int, sort: str, count: bool = True):
    """Return (the top `limit` allowed hits, how many allowed hits there are, whether time ran out).

    The usual shapes are ranked (`_ranked`) or ordered by a column (`_by_column`) from whole posting
    blocks; any other goes through Whoosh's collector under TIME_LIMIT, and its count walks the
    matching document numbers unscored, minus the excluded ones.
    """
    if sort == "relevance" and current_app.config.get("SEARCH_FAST_RANKING", True):
        ranked = _ranked(searcher, query, excluded, limit)
        if ranked is not None:
            from whoosh.searching import Results as WhooshResults

            top, total = ranked
            found = WhooshResults(searcher, query, top)
            return found, total, False
    if sort in ("newest", "votes"):
        ordered = _by_column(searcher, query, excluded, limit, "created" if sort == "newest" else "score")
        if ordered is not None:
            from whoosh.searching import Results as WhooshResults

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


def search(member, raw: str | None, page: int = 1, sort: str = "relevance") -> Results:
    """Return one page of what `member` may find for `raw`, with highlighted snippets."""
    boards = boards_of(member)
    parsed = parse(raw, boards.readable, boards.kinds)
    sort = sort if sort in SORTS else "relevance"
    if not parsed.has_words and sort == "relevance":
        sort = "newest"  # nothing to rank by
    results = Results(query=clean(raw), sort=sort, page=page)
    if parsed.query is NullQuery:
        return results
    per_page = current_app.config["SEARCH_PER_PAGE"]
    if page < 1 or page > MAX_PAGE:
        raise BadQuery(_l("There is no such page of results."))
    with _searcher() as searcher:
        try:
            excluded = excluded_docs(searcher, member, boards)
        except NothingReadable:
            return results
        found, results.total, results.partial = _collect(searcher, parsed.query, excluded, page * per_page, sort)
        results.pages = max(1, ceil(results.total / per_page))
        if results.total and page > results.pages:
            raise BadQuery(_l("There is no such page of results."))
        found.fragmenter = ContextFragmenter(maxchars=240, surround=60)
        found.formatter = HtmlFormatter(tagname="mark", classname="match", termclass="term")
        window = [found[i] for i in range((page - 1) * per_page, min(page * per_page, found.scored_length()))]
        results.hits = _visible_hits(member, window, highlight=parsed.has_words)
        if not results.total and parsed.has_words:
            results.suggestion = _suggest(searcher, parsed, raw, excluded, boards)
    return results


def _snippet(hit, fieldname: str, text: str) -> Markup:
    try:
        marked = hit.highlights(fieldname, text=text, top=2)
    except Exception:  # a snippet is a nicety; never fail a search for it
        marked = ""
    return Markup(marked)  # whoosh's HtmlFormatter escapes the text around the <mark>s


def _visible_hits(member, window, highlight: bool = True) -> list[Hit]:
    """Load the page's posts and keep those `member` may read now (the index may lag a moment)."""
    from .index import plain_text

    order = [int(hit["post_id"]) for hit in window]
    if not order:
        return []
    posts = {post.id: post for post in db.session.scalars(
        select(Post).where(Post.id.in_(order))
        .options(joinedload(Post.thread, innerjoin=True).joinedload(Thread.board, innerjoin=True), joinedload(Post.author))).unique()}
    hits = []
    for hit, post_id in zip(window, order):
        post = posts.get(post_id)
        if post is None or post.is_deleted or post.thread.is_deleted or not permissions.can_view_post(member, post):
            continue
        body = _snippet(hit, "body", plain_text(post.body_html)) if highlight else Markup("")
        title = _snippet(hit, "title", post.thread.title) if highlight and post.number == 1 else Markup("")
        hits.append(Hit(post=post, snippet=body, title=title))
    return hits


def _suggest(searcher, parsed: Parsed, raw: str, excluded, boards: Boards) -> str | None:
    """Offer the query with misspelt words corrected, when that finds something this reader may see."""
    changed, corrected = False, clean(raw)
    for word in set(re.findall(r"[^\W\d_]{3,}", parsed.text)):
        if is_han(word) or word in ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"):
            continue
        try:
            options = searcher.suggest("title", word.lower(), limit=1, maxdist=2)
        except Exception:
            return None
        if options and options[0] != word.lower():
            corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", options[0], corrected)
            changed = True
    if not changed:
        return None
    try:
        query = parse(corrected, boards.readable, boards.kinds).query
        _found, total, _partial = _collect(searcher, query, excluded, 1, "relevance", count=False)
    except BadQuery:
        return None
    return corrected if total else None


# ---- before you post -------------------------------------------------------------------------------

_ANALYZER = BilingualAnalyzer()


def similar_threads(member, title: str, limit: int = 5) -> list[Thread]:
    """Return threads whose title (or opening post) shares words with `title`, best first."""
    typed = clean(title)[:200]
    words = list(dict.fromkeys(token.text for token in _ANALYZER(typed, mode="query")))[:20]
    if not words:
        return []
    query = Or([Term("title", w, boost=2.0) for w in words] + [Term("body", w, boost=0.5) for w in words])
    with _searcher() as searcher:
        try:
            excluded = excluded_docs(searcher, member, boards_of(member))
        except NothingReadable:
            return []
        found, _total, _partial = _collect(searcher, And([query, Term("facts", "opening")]), excluded, limit * 2,
                                           "relevance", count=False)
        hits = _visible_hits(member, list(found[:limit * 2]), highlight=False)
    return [hit.post.thread for hit in hits][:limit]
