"""Web helpers every area shares: paging, loading a thread or post (404/410), the URL of a post.

One page type for every list: `Page`. Offset lists are cut with `paginate` (Flask-SQLAlchemy's
`db.paginate`); lists cut by something other than an offset (a thread's posts by their number,
search hits by the index) fill a `Page` themselves, or, like search's `Results`, take the paging
interface from `Paging`. A page past the end raises `PageOutOfRange`; views turn it into a 404
with `paged` (the API into its JSON 404).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import ceil

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from . import registry
from .extensions import db
from .forum.models import Board, Post, Thread
from .members.models import Member
from .pages import abort_with, error_response, wants_json
from .permissions import can_locate_post, can_view_board, can_view_thread
from .render import fast_url

# ---- paging -------------------------------------------------------------------------------------

class PageOutOfRange(Exception):
    """The page asked for does not exist."""


class Paging:
    """What every page of a list answers, for the pager and the API's `next`: page, pages, has_prev, has_next."""

    page: int
    pages: int

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


@dataclass
class Page(Paging):
    """One page of a list: its items, its number (from 1), how many pages there are (at least 1) and items in all."""

    items: list
    page: int
    pages: int
    total: int


def page_count(total: int, per_page: int, page: int) -> int:
    """Return how many pages `total` items make (at least one), raising PageOutOfRange when `page` is not one of them."""
    pages = max(1, ceil(total / per_page))
    if page < 1 or page > pages:
        raise PageOutOfRange(page)
    return pages


def paginate(query, page: int, per_page: int, count=None) -> Page:
    """Return page `page` of `query` (a select of one model, ordered), raising PageOutOfRange past the end.

    The total is counted from `query` unless a cheaper `count` select is given.
    """
    if count is None:
        found = db.paginate(query, page=max(page, 1), per_page=per_page, max_per_page=None, error_out=False)
        return Page(found.items, page, page_count(found.total, per_page, page), found.total)
    total = db.session.scalar(count)
    pages = page_count(total, per_page, page)
    found = db.paginate(query, page=page, per_page=per_page, max_per_page=None, error_out=False, count=False)
    return Page(found.items, page, pages, total)


def page_arg() -> int:
    """Return the ?page= argument, answering 400 when it is not a positive whole number."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
        abort_with(400, _("The page number must be a whole number from 1 up."))
    return int(raw)


def paged(fn, *args, **kwargs):
    """Call `fn` (a service returning a Page), answering 404 when the page asked for does not exist."""
    try:
        return fn(*args, **kwargs)
    except PageOutOfRange:
        abort_with(404, _("There is no such page."))


def page_posts(context) -> list:
    """The items of the page's `posts` (a Page in a template's context) that have an id: what a template helper
    that answers for the whole page at once (the fragment keys' `*_of_page`) goes over."""
    items = getattr(context.get("posts"), "items", None)
    return [item for item in items if hasattr(item, "id")] if isinstance(items, (list, tuple)) else []


def of_page(context, known_name: str, ask, key=lambda item: item.id) -> dict:
    """{post id: answer} for every post of the page, read from the request's dict `g.<known_name>` that the per-post
    helper `ask(item)` fills for the whole page at its first call (one query per page, not per post)."""
    items = page_posts(context)
    if not items:
        return {}
    known = g.setdefault(known_name, {})
    for item in items:
        if key(item) not in known:
            ask(item)
    return {item.id: known[key(item)] for item in items}


def page_of_post(post: Post) -> int:
    """Return the thread page on which `post` is shown."""
    return (post.number - 1) // current_app.config["POSTS_PER_PAGE"] + 1


# ---- loading ------------------------------------------------------------------------------------

def load_board(slug: str) -> Board:
    """Return the board the current user may read, 404 otherwise."""
    board = db.session.scalar(select(Board).where(Board.slug == slug))
    if board is None or not can_view_board(current_user, board):
        abort(404)
    return board


MAX_ID = 2**31 - 1  # ids beyond the database's integer are no rows (and must not reach PostgreSQL as a bind)


_WITH_TAGS = (joinedload(Thread.tags),)  # the thread page shows them: one statement with the thread, not two


def load_thread(thread_id: int, with_tags: bool = False) -> Thread:
    """Return the thread the current user may see: 404 when missing, on a board they may not read or awaiting
    approval, 410 when deleted. `with_tags`: its tags in the same statement (else a second one loads them)."""
    thread = (db.session.get(Thread, thread_id, options=_WITH_TAGS if with_tags else None)
              if thread_id <= MAX_ID else None)
    if thread is None or not can_view_board(current_user, thread.board):
        abort(404)
    if not can_view_thread(current_user, thread):
        if thread.pending:
            abort(404)  # awaiting approval: it never was public, so it does not exist for this reader
        if thread.is_hidden and not thread.is_deleted:
            abort_with(410, _("This thread is hidden pending review."))
        abort_with(410, _("This thread has been deleted."))
    return thread


def thread_from_form(field: str = "thread_id") -> Thread:
    """The live thread a staff form names by id (404 when the id is not a number, missing or deleted)."""
    raw = request.form.get(field, "")
    thread = db.session.get(Thread, int(raw)) if raw.isdigit() and int(raw) <= MAX_ID else None
    if thread is None or thread.deleted_at is not None:
        abort(404)
    return thread


def load_post(post_id: int, author_state: bool = False, also=None, params: dict | None = None) -> Post:
    """Return the post the current user may locate (404/410 as `load_thread`; 404 for a whisper or a post
    awaiting approval they may not see). `author_state`: the author's id and deleted_at come in the same
    query (what a vote's CRM entries read of them; anything else read of the author loads on access).
    `also`: a column expression (built once) the same statement evaluates with the post, with its `params`
    (a vote's lock on its voter: one round trip less; community/votes/services.py `voter_hold`)."""
    if post_id > MAX_ID:
        abort(404)
    # One query for the post, its thread and board (the thread's tags wait until something reads them):
    # a vote or a reply form needs only these for its permission checks.
    post = db.session.scalar(_post_query(author_state, also), dict(params or {}, post_id=post_id))
    if post is None:
        abort(404)
    load_thread(post.thread_id)
    if not can_locate_post(current_user, post):
        abort(404)  # a whisper or a post awaiting approval does not exist for this reader
    return post


@lru_cache(maxsize=8)
def _post_query(author_state: bool, also=None):
    options = [joinedload(Post.thread, innerjoin=True).lazyload(Thread.tags)]
    if author_state:
        options.append(joinedload(Post.author).load_only(Member.id, Member.deleted_at))
    entities = (Post,) if also is None else (Post, also)
    return select(*entities).where(Post.id == bindparam("post_id")).options(*options)


# ---- URLs ---------------------------------------------------------------------------------------

def post_url(post: Post, **kwargs) -> str:
    """Return the URL of the thread page showing `post`, anchored at it."""
    page = page_of_post(post)
    if not kwargs:  # the common case, once per post on a thread page: no url_for walk
        url = fast_url("forum.thread", thread_id=post.thread_id)
        return f"{url}?page={page}#post-{post.number}" if page > 1 else f"{url}#post-{post.number}"
    return url_for("forum.thread", thread_id=post.thread_id, page=page if page > 1 else None,
                   _anchor=f"post-{post.number}", **kwargs)


# ---- answering ----------------------------------------------------------------------------------

def refused(exc, back: str):
    """Answer a ServiceError of a form or fetch() request: roll back, then the JSON error, or flash it and go `back`."""
    db.session.rollback()
    if wants_json():
        return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)
    flash(str(exc.message), "error")
    return redirect(back)


@lru_cache(maxsize=32)
def _header_counts_select(counts: tuple):
    """One statement of the header's counts (each built once per process and kind of member): built once too."""
    return select(*(count.scalar_subquery() for count in counts))


def header_count(name: str) -> int:
    """The signed-in member's number `name` for the page header (`registry.register_header_count`).

    Every registered count not yet known in this request comes from one statement (a scalar subquery each), kept
    on `g` under its name as `once_per_request` keeps it; 0 for a guest, or when the database is down.
    """
    if name not in g:
        if not current_user.is_authenticated:
            return 0
        member = current_user._get_current_object()
        wanted = {key: build for key, build in registry.header_counts().items() if key not in g}
        if name not in wanted:
            return 0
        try:
            row = db.session.execute(_header_counts_select(tuple(build(member) for build in wanted.values())),
                                     {"member_id": member.id}).one()
        except SQLAlchemyError:
            db.session.rollback()
            return 0
        for key, value in zip(wanted, row, strict=True):
            setattr(g, key, value or 0)
    return g.get(name)


def once_per_request(name: str, compute, fallback):
    """`compute()` once per request (kept on `g` under `name`), for what the page frame shows (header counts,
    the Boards menu); `fallback` when the database is down, so an error page still renders."""
    if name not in g:
        try:
            setattr(g, name, compute())
        except SQLAlchemyError:
            db.session.rollback()
            return fallback
    return g.get(name)
