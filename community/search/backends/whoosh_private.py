"""Every use of Whoosh's private internals, in one place.

Checked against whoosh-reloaded 2.7.5 (the `whoosh` package, codec `whoosh3`). whoosh-reloaded is no
longer maintained (its README says so since May 2025): if an upgrade or a fork changes these names, this
is the one module to read again; tests/community/search/test_counting.py compares every fast path here
with Whoosh's own public searching and fails loudly when they part.

What is reached into, and why:
- `W3PerDocReader._cached_reader` / `_readers`: remember that a field has no length column (reindex speed).
- a numeric column's `_dbfile`, `_basepos`, `_count`, `_fixedlen`, `_typecode`; the lengths column
  (`LENGTHS_COLUMN`, `_lenfield`): read a segment's dates, scores and field lengths in one read.
- `W3LeafMatcher`'s posting block (`_ids`, `_data`, `_byteids`, `_i`, `_weights`, `_values`,
  `_read_data`, `_read_weights`, `_read_values`, `_next_block`), `FilterMatcher._exclude` / `_ids`,
  `WeightLengthScorer._score`: score and collect a whole block at C speed instead of a matcher step each.
"""
from __future__ import annotations

import struct
from itertools import accumulate

from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher, WrappingMatcher
from whoosh.scoring import WeightLengthScorer

WHOOSH_VERSION_CHECKED = "whoosh-reloaded 2.7.5"


def remember_missing_columns() -> None:
    """Let Whoosh's per-document reader remember that a field has no length column.

    Whoosh 2.7 caches the column readers it finds but not the ones it does not, so writing a segment
    asks the file system once per posting of every ID/KEYWORD field (a fifth of reindex time here).
    A segment's files never change once written, so remembering "none" is safe.
    """
    reader = whoosh3.W3PerDocReader
    if getattr(reader, "_community_patched", False):
        return
    original = reader._cached_reader

    def _cached_reader(self, fieldname, column):
        found = original(self, fieldname, column)
        if found is None:
            self._readers[fieldname] = None
        return found

    reader._cached_reader = _cached_reader
    reader._community_patched = True


def column_numbers(reader, fieldname: str, column_type) -> list | None:
    """Return the stored values of numeric column `fieldname` of segment `reader` (maybe fewer than its
    documents: the rest have the default), or None when the segment has no such column."""
    perdoc = reader._perdoc
    column = perdoc._cached_reader(fieldname, column_type) if perdoc.has_column(fieldname) else None
    if column is None or not column._count:
        return None
    raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
    return list(struct.unpack(f"!{column._count}{column._typecode}", raw))


def length_bytes(reader, fieldname: str) -> bytes | None:
    """Return the encoded length byte of text field `fieldname` per document of the segment, or None."""
    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    return column._dbfile.get(column._basepos, column._count) if column._count else b""


def deleted_docs(reader) -> frozenset | set:
    """Return the segment's deleted docnums."""
    if not reader.has_deletions():
        return frozenset()
    return reader.deleted_docs_set if hasattr(reader, "deleted_docs_set") else frozenset(
        d for d in range(reader.doc_count_all()) if reader.is_deleted(d))


def unwrap(matcher):
    """Return (the leaf matcher under a boost and a deletion filter, its boost, the deleted docnums)."""
    boost = 1.0
    if type(matcher) is WrappingMatcher:  # the query's boost
        matcher, boost = matcher.child, matcher.boost
    gone: set = set()
    if isinstance(matcher, FilterMatcher) and matcher._exclude:  # the segment's deleted documents
        matcher, gone = matcher.child, set(matcher._ids)
    return matcher, boost, gone


def is_block_leaf(matcher) -> bool:
    """True when `matcher` reads whoosh3 posting blocks (what `blocks` can walk)."""
    return isinstance(matcher, W3LeafMatcher)


def _read_block_ids(matcher) -> None:
    """Read the current block's ids as Whoosh's `_read_ids` does, decoding the deltas in C (accumulate)."""
    if matcher._ids is None:
        if matcher._data is None:
            matcher._read_data()
        ids = matcher._data[0]
        matcher._ids = ids if matcher._byteids else tuple(accumulate(ids))


def blocks(matcher, weights: bool = False):
    """Yield (docnums, weights or None, value(i)) for each posting block of a leaf, from its position on.

    `value(i)` returns the encoded value (positions) of the block's i-th posting yielded; call it before
    asking for the next block.
    """
    while matcher.is_active():
        _read_block_ids(matcher)
        start = matcher._i
        found_weights = None
        if weights:
            if matcher._weights is None:
                matcher._read_weights()
            found_weights = matcher._weights[start:]

        def value(i, _matcher=matcher, _start=start):
            if _matcher._values is None:
                _matcher._read_values()
            return _matcher._values[_start + i]

        yield matcher._ids[start:], found_weights, value
        matcher._next_block()


def length_score(scorer):
    """Return the scorer's per-posting function score(weight, length), or None for another kind."""
    return scorer._score if isinstance(scorer, WeightLengthScorer) else None
