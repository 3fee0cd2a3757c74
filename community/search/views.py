"""/search (HTML), /api/v1/search (JSON) and /search/similar (the "before you post" suggestions)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..api.core import ApiError, reader
from ..errors import ServiceError
from ..extensions import limiter
from ..pages import error_response
from ..text import excerpt
from ..web import post_url
from . import query as search_query
from .parse import BadQuery, clean

bp = Blueprint("search", __name__)


def _search_limit() -> str:
    """Searches per address (SEARCH_RATE_LIMIT): a search costs far more than a page, so scraping is capped."""
    return current_app.config.get("SEARCH_RATE_LIMIT", "60 per minute; 600 per hour")


def _page() -> int | None:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) <= 4 and int(raw) >= 1 else None


def _run(extra: str = ""):
    page = _page()
    if page is None:
        raise BadQuery(_("The page number must be a whole number from 1 up."))
    q = request.args.get("q", "")
    return search_query.search(current_user, f"{q} {extra}" if extra else q, page=page,
                               sort=request.args.get("sort", "relevance"))


@bp.route("/search")
@limiter.limit(_search_limit)
def search():
    typed = clean(request.args.get("q", ""))[:1000]
    sort = request.args.get("sort", "relevance")
    try:
        results = _run()
    except ServiceError as exc:
        status = exc.status
        headers = {"Retry-After": "60"} if status == 503 else {}
        return render_template("community/search/search.html", results=None, typed=typed, sort=sort,
                               problem=str(exc.message), sorts=search_query.SORTS), status, headers
    return render_template("community/search/search.html", results=results, typed=typed, sort=results.sort,
                           problem=None, sorts=search_query.SORTS)


def _hit_json(hit) -> dict:
    post, thread = hit.post, hit.post.thread
    return {
        "id": post.id,
        "thread": {"id": thread.id, "title": thread.title, "url": url_for("forum.thread", thread_id=thread.id),
                   "solved": thread.is_solved, "replies": thread.reply_count},
        "board": {"id": thread.board.id, "slug": thread.board.slug, "name": thread.board.name},
        "author": post.author.username if post.author else None,
        "number": post.number,
        "created_at": post.created_at.isoformat(),
        "score": post.score,
        "url": post_url(post),
        "snippet": str(hit.snippet) or excerpt(post.body_html, 240),
        "snippet_is_html": bool(str(hit.snippet)),
    }


@bp.route("/api/v1/search")
@limiter.limit(_search_limit)
def api_search():
    """The /search page as JSON, with the API's conventions (bearer tokens with the read scope, ?board=slug)."""
    try:
        reader()
        board = request.args.get("board", "").strip()
        if board and not clean(board).replace("-", "").replace("_", "").isalnum():
            raise BadQuery(_("Give a board by its slug."))
        results = _run(f"board:{board}" if board else "")
    except ApiError as exc:
        return error_response(exc.status, exc.message, code=exc.code)
    except ServiceError as exc:
        return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields or None,
                              headers={"Retry-After": "60"} if exc.status == 503 else None)
    args = {"q": request.args.get("q", ""), "sort": results.sort, "board": board or None}
    next_url = url_for("search.api_search", **args, page=results.page + 1) if results.has_next else None
    return jsonify(items=[_hit_json(hit) for hit in results.hits], next=next_url, total=results.total,
                   page=results.page, pages=results.pages, sort=results.sort, suggestion=results.suggestion,
                   partial=results.partial)


@bp.route("/search/similar")
@limiter.limit(_search_limit)
def similar():
    """Threads like the title being typed, as JSON: {"items": [{"id", "title", "url", ...}]}."""
    title = request.args.get("title", "")
    if len(clean(title)) < current_app.config.get("TITLE_MIN_LENGTH", 5):
        return jsonify(items=[])
    try:
        threads = search_query.similar_threads(current_user, title)
    except ServiceError:
        return jsonify(items=[])  # a nicety while typing: say nothing rather than get in the way
    return jsonify(items=[{"id": t.id, "title": t.title, "url": url_for("forum.thread", thread_id=t.id),
                           "board": t.board.name, "replies": t.reply_count, "solved": t.is_solved}
                          for t in threads])
