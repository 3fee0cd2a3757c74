"""The appeal page: the author of moderated content reads why and asks the moderators to look again."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ServiceError
from ..extensions import db, limiter
from ..pages import error_response, wants_json
from ..permissions import can_view_post, can_view_thread
from .appeals import NOTICES, appealable, file_appeal, open_appeal
from .models import ModerationAction
from .views import TOOL_LIMIT, bp


@bp.route("/appeal/<int:action_id>", methods=["GET", "POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def appeal(action_id: int):
    """GET: what was done and why, with the appeal form (or the appeal already made); POST: appeal."""
    action = db.session.get(ModerationAction, action_id)
    if not appealable(current_user, action):
        abort(404)
    if request.method == "POST":
        back = url_for("moderation.appeal", action_id=action.id)
        try:
            item = file_appeal(current_user, action, request.form.get("statement", ""))
        except ServiceError as exc:
            db.session.rollback()
            if wants_json():
                return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)
            for message in [str(m) for m in exc.fields.values()] or [str(exc.message)]:
                flash(message, "error")
            return redirect(back)
        db.session.commit()
        if wants_json():
            return jsonify(appeal={"id": item.id, "status": item.status.value}), 201
        flash(_("Your appeal is with the moderators. You will be told their answer."), "success")
        return redirect(back)
    thread = action.thread if action.thread is not None and can_view_thread(current_user, action.thread) else None
    post = action.post if action.post is not None and can_view_post(current_user, action.post) else None
    return render_template("community/moderation/appeal.html", action=action, what=NOTICES[action.action],
                           thread=thread, post=post, appeal=open_appeal(action))
