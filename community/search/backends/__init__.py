"""Search backends: one interface, two engines (SEARCH_BACKEND = whoosh | postgres).

- `whoosh` (default): an embedded index in files on this host's disk, kept by one writer thread per
  process after each commit (backends/whoosh.py; Whoosh's private internals only in whoosh_private.py).
- `postgres`: documents in the shared PostgreSQL database (a tsvector with a GIN index), written in the
  event's own transaction, so every process and host sees a change at commit (backends/postgres.py).

Both take the same query (parse.py turns what a reader types into a Whoosh query tree: words, phrases,
OR, NOT, filters), the same reader's filter (readerfilter.py) and give post ids in order; highlights,
the page's permission check and spelling suggestions' checks are shared (query.py, highlight.py).

A backend offers:
    search(member, query, boards, limit, sort, count=True) -> Found   (raises NothingReadable)
    spelling(word) -> str | None               a close word of the titles, for "did you mean"
    changed(session, changed)                  the posts/threads/openings/members a transaction changed
    rebuild(progress=None) -> int              refill from the database (the old content answers meanwhile)
    clear(); wait(timeout) -> bool; health() -> dict; document_count() -> int
"""
from __future__ import annotations

from flask import current_app

from .base import Found, IndexUnavailable

NAMES = ("whoosh", "postgres")
__all__ = ["NAMES", "Found", "IndexUnavailable", "backend", "check", "name_of"]


def name_of(app) -> str:
    return (app.config.get("SEARCH_BACKEND") or "whoosh").strip().lower()


def check(app) -> None:
    """Refuse to start with an unknown backend, or `postgres` without a PostgreSQL database."""
    name = name_of(app)
    if name not in NAMES:
        raise RuntimeError(f"SEARCH_BACKEND must be one of {', '.join(NAMES)}, not {name!r}.")
    if name == "postgres" and not str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        raise RuntimeError("SEARCH_BACKEND=postgres stores the search documents in PostgreSQL: set DATABASE_URL "
                           "to a PostgreSQL database (postgresql+psycopg://...), or use SEARCH_BACKEND=whoosh.")


def backend(app=None, name: str | None = None):
    """Return this app's search backend (or the one named, e.g. while switching)."""
    app = app or current_app._get_current_object()
    name = name or name_of(app)
    if name == "postgres":
        from . import postgres  # noqa: PLC0415  (only deployments that chose it load it)

        return postgres.backend(app)
    from . import whoosh  # noqa: PLC0415

    return whoosh.service(app)
