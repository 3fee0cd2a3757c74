"""/bookmarks: the member's bookmarks (remove, change the reminder) and the bookmark buttons' endpoints.

Every form works without JavaScript (a redirect back); fetch() with Accept: application/json gets JSON.
A target the member may not see answers 404, as if it did not exist.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2 import pass_context

from ..errors import ServiceError
from ..extensions import db, limiter
from ..forum.models import Post, Thread
from ..pages import wants_json
from ..permissions import can_bookmark
from ..web import MAX_ID, of_page, page_arg, paged, post_url, refused
from . import services
from .models import Bookmark

bp = Blueprint("bookmarks", __name__)
LIMIT = "60 per minute; 600 per hour"


def _whole(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10 or int(raw) > MAX_ID:
        abort(404)
    return int(raw)


def load_target(thread_id: int | None, post_id: int | None) -> tuple[Thread | None, Post | None]:
    """Return (thread, None) or (None, post) the current member may bookmark; 404 otherwise."""
    if (thread_id is None) == (post_id is None):
        abort(400)
    thread = db.session.get(Thread, thread_id) if thread_id is not None else None
    post = db.session.get(Post, post_id) if post_id is not None else None
    if (thread or post) is None or not can_bookmark(current_user, thread=thread, post=post):
        abort(404)
    return thread, post


def target_url(thread: Thread | None, post: Post | None) -> str:
    return post_url(post) if post is not None else url_for("forum.thread", thread_id=thread.id)


def _back(thread=None, post=None):
    if request.form.get("back") == "bookmarks" or (thread is None and post is None):
        return redirect(url_for(".index"))
    return redirect(target_url(thread, post))


def _refused(exc: ServiceError, thread=None, post=None):
    back = url_for(".index") if request.form.get("back") == "bookmarks" or (thread is None and post is None) \
        else target_url(thread, post)
    return refused(exc, back)


def bookmark_json(bookmark: Bookmark | None) -> dict:
    if bookmark is None:
        return {"bookmarked": False, "id": None, "remind_at": None}
    return {"bookmarked": True, "id": bookmark.id,
            "remind_at": bookmark.remind_at.isoformat() if bookmark.remind_at else None}


@bp.route("/bookmarks")
@login_required
def index():
    found = paged(services.member_bookmarks, current_user, page_arg())
    return render_template("community/bookmarks/index.html", bookmarks=found,
                           available={b.id for b in found.items if services.available(current_user, b)},
                           target_url=target_url)


@bp.route("/bookmarks", methods=["POST"])
@login_required
@limiter.limit(LIMIT, methods=["POST"])
def create():
    thread, post = load_target(_whole("thread_id"), _whole("post_id"))
    try:
        remind_at = services.remind_time(request.form.get("remind"), request.form.get("remind_at"),
                                             zone=current_user.timezone)
        bookmark = services.add_bookmark(current_user, thread=thread, post=post, note=request.form.get("note"),
                                         remind_at=remind_at)
    except ServiceError as exc:
        return _refused(exc, thread, post)
    db.session.commit()
    if wants_json():
        return jsonify(bookmark_json(bookmark))
    flash(_("Bookmarked. We will remind you then.") if bookmark.remind_at else _("Bookmarked."), "success")
    return _back(thread, post)


@bp.route("/bookmarks/toggle", methods=["POST"])
@login_required
@limiter.limit(LIMIT, methods=["POST"])
def toggle():
    thread, post = load_target(_whole("thread_id"), _whole("post_id"))
    try:
        bookmark = services.toggle_bookmark(current_user, thread=thread, post=post)
    except ServiceError as exc:
        return _refused(exc, thread, post)
    db.session.commit()
    if wants_json():
        return jsonify(bookmark_json(bookmark))
    return _back(thread, post)


def _own(bookmark_id: int) -> Bookmark:
    bookmark = db.session.get(Bookmark, bookmark_id) if bookmark_id <= MAX_ID else None
    if bookmark is None or bookmark.member_id != current_user.id:
        abort(404)
    return bookmark


@bp.route("/bookmarks/<int:bookmark_id>/delete", methods=["POST"])
@login_required
@limiter.limit(LIMIT, methods=["POST"])
def delete(bookmark_id: int):
    services.remove_bookmark(current_user, _own(bookmark_id))
    db.session.commit()
    if wants_json():
        return jsonify(bookmark_json(None))
    flash(_("Bookmark removed."), "success")
    return redirect(url_for(".index"))


@bp.route("/bookmarks/<int:bookmark_id>/reminder", methods=["POST"])
@login_required
@limiter.limit(LIMIT, methods=["POST"])
def reminder(bookmark_id: int):
    bookmark = _own(bookmark_id)
    try:
        remind_at = services.remind_time(request.form.get("remind"), request.form.get("remind_at"),
                                             zone=current_user.timezone)
        services.set_reminder(current_user, bookmark, remind_at, note=request.form.get("note"))
    except ServiceError as exc:
        return _refused(exc)
    db.session.commit()
    if wants_json():
        return jsonify(bookmark_json(bookmark))
    flash(_("Reminder saved.") if remind_at else _("Reminder removed."), "success")
    return redirect(url_for(".index"))


@pass_context
def bookmark_of(context, thread=None, post=None) -> int | None:
    """Template helper: the id of the viewer's bookmark on `thread` or `post`, or None.

    The first call on a page loads the viewer's bookmarks on the page's thread and all its posts (`thread`
    and `posts` in the context) in one query, so the thread page costs the same queries for any length.
    """
    if not current_user.is_authenticated:
        return None
    key = services.target_key(thread=thread, post=post)
    known = g.setdefault("bookmarks_known", {})
    if key not in known:
        items = getattr(context.get("posts"), "items", None)
        post_ids = {p.id for p in (items if isinstance(items, (list, tuple)) else ()) if hasattr(p, "id")}
        thread_ids = {t.id for t in (context.get("thread"), thread) if t is not None and hasattr(t, "id")}
        if post is not None:
            post_ids.add(post.id)
        found = services.bookmarked_targets(current_user, thread_ids=thread_ids, post_ids=post_ids)
        known.update({f"thread:{i}": found.get(f"thread:{i}") for i in thread_ids})
        known.update({f"post:{i}": found.get(f"post:{i}") for i in post_ids})
    return known.get(key)


@pass_context
def bookmarks_of_page(context) -> dict[int, int | None]:
    """Template helper: {post id: `bookmark_of(post=...)`} for every post of the page (`posts`), same one query.

    For the fragment keys (community/fragments.py): one call per page, not one per post.
    """
    if not current_user.is_authenticated:
        return {}
    return of_page(context, "bookmarks_known", lambda item: bookmark_of(context, post=item),
                   key=lambda item: f"post:{item.id}")
