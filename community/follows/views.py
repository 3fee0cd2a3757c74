"""POST /u/<username>/follow and /unfollow: plain forms get a redirect back, fetch() gets JSON."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..errors import ServiceError
from ..extensions import db, limiter
from ..members.models import Member, username_key
from ..pages import error_response, wants_json
from . import services

bp = Blueprint("follows", __name__)


def load_member(username: str) -> Member:
    """The member by username (any case); 404 when there is none or the account was deleted."""
    member = db.session.scalar(select(Member).where(Member.username_key == username_key(username)))
    if member is None or member.deleted_at is not None:
        abort(404)
    return member


def _change(username: str, following: bool):
    member = load_member(username)
    profile = url_for("members.profile", username=member.username)
    if not current_user.is_authenticated:
        if wants_json():
            return error_response(401, _("Please sign in to follow members."), code="unauthorized")
        flash(_("Please sign in to follow members."), "info")
        return redirect(url_for("members.login", next=profile))
    try:
        if following:
            services.follow(current_user, member)
        else:
            services.unfollow(current_user, member)
    except ServiceError as exc:
        db.session.rollback()
        if wants_json():
            return error_response(exc.status, exc.message, code=exc.code)
        flash(str(exc.message), "error")
        return redirect(profile)
    db.session.commit()
    followers, _following = services.counts(member)
    if wants_json():
        return jsonify(following=following, followers=followers)
    flash(_("You follow %(name)s now.", name=member.name) if following
          else _("You no longer follow %(name)s.", name=member.name), "success")
    return redirect(profile)


@bp.route("/u/<username>/follow", methods=["POST"])
@limiter.limit("30 per minute; 300 per hour", methods=["POST"])
def follow(username: str):
    return _change(username, True)


@bp.route("/u/<username>/unfollow", methods=["POST"])
@limiter.limit("30 per minute; 300 per hour", methods=["POST"])
def unfollow(username: str):
    return _change(username, False)


def follow_state(member) -> dict:
    """Template helper: follower and following counts of `member` and whether the viewer follows them."""
    followers, following = services.counts(member)
    return {"followers": followers, "following": following,
            "mine": services.is_following(current_user, member)}
