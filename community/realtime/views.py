"""HTTP side of the live features: post fragments, notification lines, staff counters, preferences.

Socket events carry only ids; a client asks here for what it may see, through the same loaders and
predicates as the thread page (so a post on a board the reader cannot see answers 404).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..errors import ServiceError
from ..extensions import db, limiter
from ..notifications.models import Notification
from ..notifications.views import target_url
from ..pages import error_response
from ..permissions import can_see_staff_counters, can_view_notification
from ..web import load_post
from . import services

bp = Blueprint("realtime", __name__)

KIND_LABELS = {
    "reply": _l("Replies to my threads and posts"),
    "quote": _l("Quotes of my posts"),
    "mention": _l("@mentions"),
    "official_answer": _l("Official (staff) answers"),
    "idea_status": _l("Status changes of ideas"),
    "badge": _l("Badges"),
    "flag_outcome": _l("Outcomes of my flags"),
    "moderation": _l("Moderation actions on me"),
    "answer_accepted": _l("Accepted answers"),
    "reward": _l("Rewards"),
    "trust_level": _l("Trust levels"),
    "bookmark_reminder": _l("Reminders of my bookmarks"),
}


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/live/posts/<int:post_id>")
@limiter.limit("600 per minute")
def post_fragment(post_id: int):
    """One post rendered for the current reader, exactly as on the thread page."""
    post = load_post(post_id)  # 404 when the reader cannot see the thread, 410 when it was deleted
    if not services.shows_post(current_user, post):
        abort(404)  # a whisper, or a post waiting for approval, does not exist for this reader
    html = render_template("community/realtime/_post_fragment.html", post=post, thread=post.thread,
                           board=post.thread.board)
    return _no_store(make_response(html))


@bp.route("/live/notifications/<int:notification_id>")
@login_required
@limiter.limit("300 per minute")
def notification_line(notification_id: int):
    """The line of one of the reader's notifications, for the pop-up."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or not can_view_notification(current_user, notification):
        abort(404)  # not theirs, or about something they may no longer see (a thread moved to the staff board)
    html = render_template("community/realtime/_notification.html", n=notification, thread=notification.thread,
                           url=target_url(notification))
    return _no_store(make_response(html))


@bp.route("/live/staff-counters")
@login_required
@limiter.limit("120 per minute")
def staff_counters():
    if not can_see_staff_counters(current_user):
        return error_response(403)
    return _no_store(jsonify(counters=services.staff_counters(current_user)))


def live_settings_kinds() -> list[dict]:
    """The settings section's rows: each kind with its label and whether it pops up (template global)."""
    muted = set(services.muted_kinds(current_user))
    return [{"kind": kind, "label": KIND_LABELS.get(kind, kind), "live": kind not in muted}
            for kind in services.known_kinds()]


@bp.route("/settings/live", methods=["POST"])
@login_required
@limiter.limit("30 per minute", methods=["POST"])
def save_preferences():
    live = request.form.getlist("live")
    try:
        services.set_live_kinds(current_user, live)
    except ServiceError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)
    db.session.commit()
    flash(_("Your notification pop-ups have been saved."), "success")
    return redirect(url_for("members.settings", _anchor="live-notifications"))
