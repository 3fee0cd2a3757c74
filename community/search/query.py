"""Searching: a page of hits with snippets for what a reader may find, and similar threads.

The query language is in `parse`, what a reader may not find in `readerfilter`, ranking, ordering and
collecting in `scoring`; this module puts them together and checks each row of the page again with
`permissions.can_view_post`.
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
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.query import And, NullQuery, Or, Term

from .. import permissions
from ..errors import ServiceError
from ..extensions import db
from ..forum.models import Post, Thread
from ..web import Paging
from . import similar
from .analysis import is_han
from .index import IndexUnavailable, plain_text, service
from .parse import BadQuery, Parsed, clean, parse
from .readerfilter import Boards, NothingReadable, boards_of, excluded_docs
from .scoring import collect

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

def _searcher():
    try:
        return service().shared_searcher()
    except IndexUnavailable:
        raise SearchUnavailable(_l("Search is being rebuilt and will be back in a few minutes. "
                                   "Browsing the boards works as usual meanwhile.")) from None


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
        found, results.total, results.partial = collect(searcher, parsed.query, excluded, page * per_page, sort)
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
    order = [int(hit["post_id"]) for hit in window]
    if not order:
        return []
    posts = {post.id: post for post in db.session.scalars(
        select(Post).where(Post.id.in_(order))
        .options(joinedload(Post.thread, innerjoin=True).joinedload(Thread.board, innerjoin=True), joinedload(Post.author))).unique()}
    hits = []
    for hit, post_id in zip(window, order, strict=True):
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
        _found, total, _partial = collect(searcher, query, excluded, 1, "relevance", count=False)
    except BadQuery:
        return None
    return corrected if total else None


# ---- before you post (the words and the threshold: `similar`) ----------------------------------------

SIMILAR_CANDIDATES = 20


def similar_threads(member, title: str, limit: int = 5) -> list[Thread]:
    """Return threads `member` may read that are about what `title` asks, best first (often none)."""
    words = similar.question_terms(title)
    if not words:
        return []
    query = Or([Term("title", w, boost=3.0) for w in words] + [Term("body", w) for w in words])
    with _searcher() as searcher:
        try:
            excluded = excluded_docs(searcher, member, boards_of(member))
        except NothingReadable:
            return []
        found, _total, _partial = collect(searcher, And([query, Term("facts", "opening")]), excluded,
                                           SIMILAR_CANDIDATES, "relevance", count=False)
        hits = _visible_hits(member, list(found[:SIMILAR_CANDIDATES]), highlight=False)
    kept = [(similar.offered(words, hit.post.thread.title, hit.post.body_html), hit.post.thread) for hit in hits]
    # more of the question's words first; the index's order among equals (sorted() is stable)
    return [thread for covered, thread in sorted(kept, key=lambda row: -row[0]) if covered][:limit]
