"""POST /settings/timezone: the member's time zone, from the settings form or once from the browser."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..pages import error_response, wants_json
from ..signals import member_updated
from .zones import valid_zone

bp = Blueprint("localtime", __name__)


@bp.route("/settings/timezone", methods=["POST"])
@login_required
def set_timezone():
    """Save the member's zone. `detected=1` (the browser's guess) never replaces a zone the member already has."""
    member = current_user._get_current_object()
    zone = valid_zone(request.form.get("timezone"))
    if zone is None:
        message = _("Choose a time zone from the list, such as Europe/Paris or Asia/Shanghai.")
        if wants_json():
            return error_response(422, message, code="validation_failed", fields={"timezone": message})
        flash(message, "error")
        return redirect(url_for("members.settings", _anchor="timezone"))
    detected = request.form.get("detected") == "1"
    if member.timezone != zone and not (detected and member.timezone):
        member.timezone = zone
        member_updated.send(member, fields=["timezone"])
        db.session.commit()
    if wants_json():
        return jsonify(timezone=member.timezone)
    flash(_("Times are now shown in %(zone)s.", zone=member.timezone), "success")
    return redirect(url_for("members.settings", _anchor="timezone"))
