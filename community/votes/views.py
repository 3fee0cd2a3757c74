"""POST /p/<id>/vote: plain forms get a redirect back to the post, fetch() gets {"score", "my_vote"}."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import pass_context

from ..errors import ServiceError
from ..extensions import db, limiter
from ..pages import error_response, wants_json
from ..permissions import can_view_post
from ..web import load_post, of_page, post_url
from . import services

bp = Blueprint("votes", __name__)


@bp.route("/p/<int:post_id>/vote", methods=["POST"])
@limiter.limit("60 per minute; 1000 per hour", methods=["POST"])
def vote(post_id: int):
    # the author's id and deleted_at come with the post (what the vote's CRM entries read), and the voter's vote
    # lock is taken by the same statement (PostgreSQL)
    hold = services.voter_hold(current_user)
    post = load_post(post_id, author_state=True, **hold)
    if not can_view_post(current_user, post):
        abort(404)
    if not current_user.is_authenticated:
        if wants_json():
            return error_response(401, _("Please sign in to vote."), code="unauthorized")
        flash(_("Please sign in to vote."), "info")
        return redirect(url_for("members.login", next=post_url(post)))
    try:
        value = services.parse_value(request.form.get("value"))
        score, mine = services.cast_vote(current_user, post, value, voter_held=bool(hold))
    except ServiceError as exc:
        db.session.rollback()
        if wants_json():
            return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)
        flash(str(exc.message), "error")
        return redirect(post_url(post))
    db.session.commit()
    if wants_json():
        return jsonify(score=score, my_vote=mine)
    return redirect(post_url(post))


@pass_context
def my_vote(context, post) -> int:
    """Template helper: the viewer's vote on `post` (1, -1 or 0).

    The first call on a page loads the viewer's votes for every post of the page (`posts` in the
    template context) in one query, so a thread page costs the same number of queries for any length.
    """
    if not current_user.is_authenticated:
        return 0
    known = g.setdefault("my_votes", {})
    if post.id not in known:
        items = getattr(context.get("posts"), "items", None)
        items = items if isinstance(items, (list, tuple)) else ()
        ids = {item.id for item in items if hasattr(item, "id")} | {post.id}
        ids -= known.keys()
        found = services.my_votes(current_user, ids)
        known.update({post_id: found.get(post_id, 0) for post_id in ids})
    return known[post.id]


@pass_context
def my_votes_of_page(context) -> dict[int, int]:
    """Template helper: {post id: `my_vote`} for every post of the page (`posts`), with the same one query.

    For the fragment keys (community/fragments.py): one call per page, not one per post.
    """
    if not current_user.is_authenticated:
        return {}
    return of_page(context, "my_votes", lambda item: my_vote(context, item))
