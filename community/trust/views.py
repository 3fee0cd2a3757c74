"""Staff setting a trust level (the thread tools trusted members may use are in `community.moderation`).

Thin: load (404/410) -> permission (403) -> one service call -> commit -> redirect or JSON.
Every route is a POST form (CSRF-checked globally) that also answers JSON to fetch() callers.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..errors import ServiceError
from ..extensions import db, limiter
from ..members.models import Member, username_key
from ..pages import error_response, wants_json
from ..permissions import can_set_trust_level
from . import services

bp = Blueprint("trust", __name__)

TOOL_LIMIT = "30 per minute; 300 per hour"


def _failed(exc: ServiceError):
    db.session.rollback()
    return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)


@bp.route("/u/<username>/trust-level", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def set_level(username: str):
    member = db.session.scalar(select(Member).where(Member.username_key == username_key(username)))
    if member is None:
        abort(404)
    if not can_set_trust_level(current_user, member):
        abort(403)
    unlock = request.form.get("action") == "unlock"
    # Setting a level by hand locks it; API callers may send locked=0 to set it and let activity go on.
    locked = (request.form.get("locked") or "1").lower() not in {"0", "n", "no", "off", "false"}
    try:
        if unlock:
            level = services.unlock_trust_level(current_user, member)
        else:
            level = services.set_trust_level(current_user, member, request.form.get("level"), locked)
    except ServiceError as exc:
        return _failed(exc)
    db.session.commit()
    if wants_json():
        return jsonify({"member": {"id": member.id, "username": member.username, "trust_level": level,
                                   "trust_level_locked": bool(member.trust_level_locked)}})
    if unlock:
        flash(_("%(name)s's trust level follows their activity again; it is %(level)d (%(title)s).",
                name=member.username, level=level, title=services.level_name(level)), "success")
    else:
        flash(_("%(name)s is now at trust level %(level)d (%(title)s).", name=member.username, level=level,
                title=services.level_name(level)), "success")
    return redirect(url_for("members.profile", username=member.username))
