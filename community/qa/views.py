"""POST /t/<id>/accept (post_id) and POST /t/<id>/unaccept; plus the accepted-answer template helper."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2 import pass_context
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import ServiceError
from ..extensions import db, limiter
from ..forum.models import Post
from ..pages import error_response, wants_json
from ..permissions import can_view_post
from ..web import load_thread, post_url
from . import services

bp = Blueprint("qa", __name__)


@bp.route("/t/<int:thread_id>/accept", methods=["POST"])
@login_required
@limiter.limit("30 per minute", methods=["POST"])
def accept(thread_id: int):
    thread = load_thread(thread_id)
    raw = (request.form.get("post_id") or "").strip()
    if not raw.isdigit() or len(raw) > 12:
        return error_response(400, _("Choose the reply to accept."), fields={"post_id": _("A post number is required.")})
    post = db.session.get(Post, int(raw))
    if post is None or post.thread_id != thread.id or not can_view_post(current_user, post):
        abort(404)
    try:
        services.accept_answer(current_user, post)
    except ServiceError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.message, code=exc.code)
    db.session.commit()
    if wants_json():
        return jsonify(thread_id=thread.id, accepted_post_id=post.id)
    flash(_("Marked as the accepted answer."), "success")
    return redirect(post_url(post))


@bp.route("/t/<int:thread_id>/unaccept", methods=["POST"])
@login_required
@limiter.limit("30 per minute", methods=["POST"])
def unaccept(thread_id: int):
    thread = load_thread(thread_id)
    try:
        services.unaccept_answer(current_user, thread)
    except ServiceError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.message, code=exc.code)
    db.session.commit()
    if wants_json():
        return jsonify(thread_id=thread.id, accepted_post_id=None)
    flash(_("The thread no longer has an accepted answer."), "info")
    return redirect(url_for("forum.thread", thread_id=thread.id))


@pass_context
def accepted_answer(context, thread):
    """Template helper: the accepted answer of `thread` with its author, or None.

    Taken from the page's posts when it is on the page, else loaded in one query (once per request).
    """
    post_id = thread.accepted_post_id
    if post_id is None:
        return None
    cache = g.setdefault("accepted_answers", {})
    if post_id not in cache:
        items = getattr(context.get("posts"), "items", None)
        on_page = [p for p in items if getattr(p, "id", None) == post_id] if isinstance(items, (list, tuple)) else []
        post = on_page[0] if on_page else db.session.scalar(
            select(Post).where(Post.id == post_id).options(joinedload(Post.author)))
        if post is not None:
            set_committed_value(post, "thread", thread)
            if post.is_deleted or not can_view_post(current_user, post):
                post = None
        cache[post_id] = post
    return cache[post_id]
