"""Reactions: POST /p/<id>/react (form or fetch), GET /posts/<id>/reactions ("who reacted"), and the
admins' /admin/reactions (which reactions are offered, reputation per reaction received)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2 import pass_context

from ..admin.sections import sections_for
from ..errors import ServiceError
from ..extensions import db, limiter
from ..forms import submit
from ..pages import error_response, wants_json
from ..permissions import can_manage_gamification, can_view_post
from ..web import load_post, of_page, page_arg, paged, post_url, refused
from . import services
from .forms import ReactionSettingsForm
from .kinds import KINDS, enabled_kinds

bp = Blueprint("reactions", __name__)


def _state_json(post_id: int, state: services.PostReactions):
    return {"post_id": post_id, "counts": state.counts, "mine": state.mine}


@bp.route("/p/<int:post_id>/react", methods=["POST"])
@limiter.limit("60 per minute; 1000 per hour", methods=["POST"])
def react(post_id: int):
    post = load_post(post_id)
    if not can_view_post(current_user, post):
        abort(404)
    if not current_user.is_authenticated:
        if wants_json():
            return error_response(401, _("Please sign in to react."), code="unauthorized")
        flash(_("Please sign in to react."), "info")
        return redirect(url_for("members.login", next=post_url(post)))
    try:
        state = services.react(current_user, post, services.parse_kind(request.form.get("kind")))
    except ServiceError as exc:
        return refused(exc, post_url(post))
    db.session.commit()
    return jsonify(_state_json(post.id, state)) if wants_json() else redirect(post_url(post))


@bp.route("/posts/<int:post_id>/reactions")
def who(post_id: int):
    post = load_post(post_id)
    if not services.visible_to(current_user, post):
        abort(404)
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        kind = None
    found = paged(services.reactors, post, page_arg(), kind)
    template = "community/reactions/_who.html" if request.args.get("fragment") else "community/reactions/who.html"
    return render_template(template, post=post, thread=post.thread, back_url=post_url(post), reactions=found, kind=kind, kinds=KINDS,
                           counts=services.counts_of([post.id]).get(post.id, {}))


@pass_context
def post_reactions(context, post) -> services.PostReactions:
    """Template helper: `post`'s reaction counts and the viewer's own reaction.

    The first call on a page loads them for every post of the page (`posts` in the context) in one query.
    """
    known = g.setdefault("post_reactions", {})
    if post.id not in known:
        items = getattr(context.get("posts"), "items", None)
        items = items if isinstance(items, (list, tuple)) else ()
        ids = ({item.id for item in items if hasattr(item, "id")} | {post.id}) - known.keys()
        known.update(services.page_reactions(current_user, ids))
    return known[post.id]


@pass_context
def post_reactions_of_page(context) -> dict[int, services.PostReactions]:
    """Template helper: {post id: `post_reactions`} for every post of the page (`posts`), with the same one query.

    For the fragment keys (community/fragments.py): one call per page, not one per post.
    """
    return of_page(context, "post_reactions", lambda item: post_reactions(context, item))


# ---- admins ----------------------------------------------------------------------------------

@bp.route("/admin/reactions", methods=["GET", "POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def admin():
    if not can_manage_gamification(current_user):
        abort(404)
    form = ReactionSettingsForm(data=None if request.method == "POST" else services.settings_values())
    if request.method == "POST" and form.validate():
        if submit(form, services.save_settings, current_user, form.data):
            flash(_("Reaction settings saved. Points apply to reactions from now on."), "success")
            return redirect(url_for(".admin"))
    return render_template("community/reactions/admin.html", form=form, kinds=KINDS, sections=sections_for(current_user),
                           section="reactions"), 422 if request.method == "POST" else 200


def reaction_kinds():
    """Template helper: the reactions members may choose now."""
    return enabled_kinds()
