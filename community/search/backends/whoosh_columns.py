"""Per-document values read a segment at a time: dates, scores and field lengths, cached per segment.

A segment's files never change once written (deletions live beside them), so what is read from a
segment is kept until the segment is merged away. Dates and scores are Whoosh columns, not indexed
fields: a date filter is a range over the segment's sorted dates (a bisection, not the dozens of
numeric-trie terms a Whoosh DateRange expands to), and the newest and votes sorts take the top of
the matching documents by their column values. Not indexing them also keeps 16 postings per post
out of the index, a third of what a reindex writes.
"""
from __future__ import annotations

import threading
from bisect import bisect_left

from whoosh import matching
from whoosh.query import Query
from whoosh.util.numeric import byte_to_length

from . import whoosh_private

_cache: dict = {}
_lock = threading.Lock()


def _remember(key, value):
    with _lock:
        if len(_cache) > 256:  # segments merged away leave their entries behind: start afresh now and then
            _cache.clear()
        _cache[key] = value
    return value


def leaf_readers(searcher):
    """Yield (segment reader, docnum offset) of every segment `searcher` reads."""
    reader = searcher.reader()
    if reader.is_atomic():
        yield reader, 0
    else:
        yield from reader.leaf_readers()


def _per_segment(what: str):
    """Decorate `fn(reader, fieldname)`: computed once per segment and field, then kept (see the module)."""
    def decorate(fn):
        def cached(reader, fieldname: str):
            key = (reader.segment().segment_id(), what, fieldname)
            found = _cache.get(key)
            return found if found is not None else _remember(key, fn(reader, fieldname))
        cached.__doc__ = fn.__doc__
        return cached
    return decorate


@_per_segment("values")
def values(reader, fieldname: str) -> list:
    """Return the value of numeric column `fieldname` for every document of segment `reader`."""
    doccount = reader.doc_count_all()
    column_type = reader.schema[fieldname].column_type
    default = column_type.default_value()
    found = whoosh_private.column_numbers(reader, fieldname, column_type)
    if found is None:
        return [default] * doccount
    return found + [default] * (doccount - len(found))


@_per_segment("sorted")
def _sorted(reader, fieldname: str) -> tuple[list, list]:
    """Return (the segment's values in ascending order, the docnums in that order)."""
    column = values(reader, fieldname)
    order = sorted(range(len(column)), key=column.__getitem__)
    return [column[d] for d in order], order


@_per_segment("lengths")
def field_lengths(reader, fieldname: str) -> list:
    """Return the length of text field `fieldname` in every document of segment `reader`."""
    doccount = reader.doc_count_all()
    raw = whoosh_private.length_bytes(reader, fieldname)
    if raw is None:
        return [1] * doccount
    table = [1] + [byte_to_length(b) for b in range(1, 256)]  # 0: no length, scored as 1 (Whoosh's default)
    return [table[b] for b in raw] + [1] * (doccount - len(raw))


def bm25_norms(reader, fieldname: str, k1: float, b: float, avgfl: float) -> list:
    """Return BM25F's length part, k1 * ((1 - b) + b * length / avgfl), of every document of the segment
    (the same arithmetic as Whoosh's bm25(), so the same floats; avgfl changes as the index grows)."""
    key = (reader.segment().segment_id(), "bm25", fieldname)  # one per segment and field: avgfl moves with
    found = _cache.get(key)                                      # every commit, and each list is megabytes
    if found is None or found[0] != (k1, b, avgfl):
        one_b = 1 - b
        found = _remember(key, ((k1, b, avgfl),
                                [k1 * (one_b + b * length / avgfl) for length in field_lengths(reader, fieldname)]))
    return found[1]


class ColumnRange(Query):
    """Documents whose numeric column `fieldname` lies in [start, end) (either end may be open).

    A Whoosh query, so that it combines with every other (And, Not, phrases) and Whoosh's own
    searching; `docs_in` gives the same documents as a set for the set algebra in query.py.
    """

    def __init__(self, fieldname: str, start: int | None = None, end: int | None = None, boost: float = 1.0):
        self.fieldname, self.start, self.end, self.boost = fieldname, start, end, boost

    def __repr__(self):
        return f"{type(self).__name__}({self.fieldname!r}, {self.start!r}, {self.end!r})"

    def __unicode__(self):
        return f"{self.fieldname}:[{self.start} TO {self.end})"

    __str__ = __unicode__

    def __eq__(self, other):
        return (type(other) is type(self) and self.fieldname == other.fieldname and self.start == other.start
                and self.end == other.end and self.boost == other.boost)

    def __hash__(self):
        return hash((type(self).__name__, self.fieldname, self.start, self.end))

    def is_range(self):
        return True

    def estimate_size(self, ixreader):
        return ixreader.doc_count_all()

    def _segment_docs(self, reader) -> list:
        ordered, docnums = _sorted(reader, self.fieldname)
        low = 0 if self.start is None else bisect_left(ordered, self.start)
        high = len(ordered) if self.end is None else bisect_left(ordered, self.end)
        found = docnums[low:high]
        gone = whoosh_private.deleted_docs(reader)
        return [d for d in found if d not in gone] if gone else found

    def docs_in(self, searcher) -> set:
        """Return the matching global docnums of `searcher` as a set."""
        found: set = set()
        for reader, offset in leaf_readers(searcher):
            docs = self._segment_docs(reader)
            found.update(docs if not offset else (d + offset for d in docs))
        return found

    def matcher(self, searcher, context=None):
        docs = sorted(self.docs_in(searcher))
        if not docs:
            return matching.NullMatcher()
        return matching.ListMatcher(docs, all_weights=self.boost)

    def docs(self, searcher):
        return iter(sorted(self.docs_in(searcher)))


def global_values(searcher, fieldname: str) -> list:
    """Return the column's values indexed by the searcher's global docnums."""
    found: list = []
    for reader, _offset in leaf_readers(searcher):
        found.extend(values(reader, fieldname))
    return found
