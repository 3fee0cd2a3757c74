"""The Whoosh index's schema: one document per post (the query language parses against it too)."""
from __future__ import annotations

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema

from ..analysis import BilingualAnalyzer

INDEX_NAME = "posts"


def schema() -> Schema:
    """One document per post. Few fields on purpose: each one costs time on every document written.

    `facts` holds the thread's and post's state as keywords (see `documents.facts`); title and body are
    not stored - snippets are highlighted from the database rows of the page. The date (seconds since
    1970) and the score are columns only: filtered and sorted by, never searched as terms (see
    whoosh_columns.py).
    """
    analyzer = BilingualAnalyzer()
    return Schema(
        post_id=ID(stored=True, unique=True),
        thread_id=ID,
        board_id=ID,
        author=ID,
        tags=KEYWORD(commas=True, lowercase=True),
        facts=KEYWORD,
        title=TEXT(analyzer=analyzer, field_boost=2.0, spelling=True),
        body=TEXT(analyzer=analyzer),
        created=COLUMN(NumericColumn("q")),
        score=COLUMN(NumericColumn("i")),
    )


_schema_cache = None


def index_schema() -> Schema:
    """Return the search index's schema (built once)."""
    global _schema_cache
    if _schema_cache is None:
        _schema_cache = schema()
    return _schema_cache
