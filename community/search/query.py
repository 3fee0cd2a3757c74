"""Searching: a page of hits with snippets for what a reader may find, and similar threads.

The query language is in `parse`, what a reader may not find in `readerfilter`, ranking, ordering and
collecting in the backend (backends/); this module puts them together, highlights the page's rows
(`highlight`) and checks each of them again with `permissions.can_view_post`. The same for every backend.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from math import ceil

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from whoosh.query import And, NullQuery, Or, Term

from .. import permissions
from ..errors import ServiceError
from ..extensions import db
from ..forum.models import Post, Thread
from ..web import Paging
from . import similar
from .analysis import is_han
from .backends import IndexUnavailable, backend
from .documents import plain_text
from .highlight import query_words, snippet
from .parse import BadQuery, Parsed, clean, parse
from .readerfilter import Boards, NothingReadable, boards_of

SORTS = ("relevance", "newest", "votes")
MAX_PAGE = 50


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


# ---- searching -----------------------------------------------------------------------------------

def _unavailable() -> SearchUnavailable:
    return SearchUnavailable(_l("Search is being rebuilt and will be back in a few minutes. "
                                "Browsing the boards works as usual meanwhile."))


def _find(member, query, boards: Boards, limit: int, sort: str, count: bool = True):
    """Ask the backend; raise SearchUnavailable while it cannot answer, NothingReadable for no board."""
    try:
        return backend().search(member, query, boards, limit, sort, count=count)
    except IndexUnavailable:
        raise _unavailable() from None


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
    try:
        found = _find(member, parsed.query, boards, page * per_page, sort)
    except NothingReadable:
        return results
    results.total, results.partial = found.total, found.partial
    results.pages = max(1, ceil(results.total / per_page))
    if results.total and page > results.pages:
        raise BadQuery(_l("There is no such page of results."))
    window = found.post_ids[(page - 1) * per_page:page * per_page]
    results.hits = _visible_hits(member, window, parsed.query if parsed.has_words else None)
    if not results.total and parsed.has_words:
        results.suggestion = _suggest(member, parsed, raw, boards)
    return results


def _visible_hits(member, order: list[int], query=None) -> list[Hit]:
    """Load the page's posts and keep those `member` may read now (the index may lag a moment);
    with `query`, mark its words in the title and a snippet of the body."""
    if not order:
        return []
    posts = {post.id: post for post in db.session.scalars(
        select(Post).where(Post.id.in_(order))
        .options(joinedload(Post.thread, innerjoin=True).joinedload(Thread.board, innerjoin=True), joinedload(Post.author))).unique()}
    body_words = query_words(query, "body") if query is not None else frozenset()
    title_words = query_words(query, "title") if query is not None else frozenset()
    hits = []
    for post_id in order:
        post = posts.get(post_id)
        if post is None or post.is_deleted or post.thread.is_deleted or not permissions.can_view_post(member, post):
            continue
        body = snippet(body_words, plain_text(post.body_html)) if query is not None else Markup("")
        title = snippet(title_words, post.thread.title) if query is not None and post.number == 1 else Markup("")
        hits.append(Hit(post=post, snippet=body, title=title))
    return hits


def _suggest(member, parsed: Parsed, raw: str, boards: Boards) -> str | None:
    """Offer the query with misspelt words corrected, when that finds something this reader may see."""
    changed, corrected = False, clean(raw)
    search_backend = backend()
    for word in set(re.findall(r"[^\W\d_]{3,}", parsed.text)):
        if is_han(word) or word in ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"):
            continue
        try:
            option = search_backend.spelling(word.lower())
        except Exception:
            return None
        if option and option != word.lower():
            corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", option, corrected)
            changed = True
    if not changed:
        return None
    try:
        query = parse(corrected, boards.readable, boards.kinds).query
        found = _find(member, query, boards, 1, "relevance", count=False)
    except (BadQuery, NothingReadable, SearchUnavailable):
        return None
    return corrected if found.total else None


# ---- before you post (the words and the threshold: `similar`) ----------------------------------------

SIMILAR_CANDIDATES = 20


def similar_threads(member, title: str, limit: int = 5) -> list[Thread]:
    """Return threads `member` may read that are about what `title` asks, best first (often none)."""
    words = similar.question_terms(title)
    if not words:
        return []
    query = Or([Term("title", w, boost=3.0) for w in words] + [Term("body", w) for w in words])
    try:
        found = _find(member, And([query, Term("facts", "opening")]), boards_of(member), SIMILAR_CANDIDATES,
                      "relevance", count=False)
    except NothingReadable:
        return []
    hits = _visible_hits(member, found.post_ids[:SIMILAR_CANDIDATES])
    kept = [(similar.offered(words, hit.post.thread.title, hit.post.body_html), hit.post.thread) for hit in hits]
    # more of the question's words first; the index's order among equals (sorted() is stable)
    return [thread for covered, thread in sorted(kept, key=lambda row: -row[0]) if covered][:limit]
