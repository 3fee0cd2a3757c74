"""Staff setting a trust level; the thread tools of trusted members and moderators.

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
from ..forum.models import Board
from ..web import load_thread
from ..members.models import Member, username_key
from ..pages import error_response, wants_json
from ..permissions import (can_lock_thread, can_pin_thread, can_recategorize, can_retag, can_set_trust_level)
from . import services, thread_tools

bp = Blueprint("trust", __name__)

TOOL_LIMIT = "30 per minute; 300 per hour"


def _failed(exc: ServiceError):
    db.session.rollback()
    return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)


def _thread_json(thread) -> dict:
    return {"thread": {
        "id": thread.id,
        "url": url_for("forum.thread", thread_id=thread.id),
        "board": thread.board.slug,
        "tags": [tag.name for tag in thread.tags],
        "locked": thread.is_locked,
        "locked_reason": thread.locked_reason or "",
        "pinned": thread_tools.is_pinned(thread),
        "pinned_until": thread.pinned_until.isoformat() if thread.pinned_until else None,
    }}


def _done(thread, message: str):
    if wants_json():
        return jsonify(_thread_json(thread))
    flash(message, "success")
    return redirect(url_for("forum.thread", thread_id=thread.id))


def _tool(thread_id: int, allowed) -> object:
    thread = load_thread(thread_id)
    if not allowed(current_user, thread):
        abort(403)
    return thread


@bp.route("/t/<int:thread_id>/tags", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def retag(thread_id: int):
    thread = _tool(thread_id, can_retag)
    try:
        changed = thread_tools.retag_thread(current_user, thread, request.form.get("tags", ""))
    except ServiceError as exc:
        return _failed(exc)
    db.session.commit()
    return _done(thread, _("The tags have been changed.") if changed else _("The tags are unchanged."))


@bp.route("/t/<int:thread_id>/move", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def move(thread_id: int):
    thread = _tool(thread_id, can_recategorize)
    slug = (request.form.get("board") or "").strip()
    target = db.session.scalar(select(Board).where(Board.slug == slug)) if slug else None
    try:
        thread_tools.move_thread(current_user, thread, target)
    except ServiceError as exc:
        return _failed(exc)
    db.session.commit()
    return _done(thread, _("The thread has been moved to %(board)s.", board=target.name))


@bp.route("/t/<int:thread_id>/lock", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def lock(thread_id: int):
    thread = _tool(thread_id, can_lock_thread)
    try:
        thread_tools.lock_thread(current_user, thread, request.form.get("reason", ""))
    except ServiceError as exc:
        return _failed(exc)
    db.session.commit()
    return _done(thread, _("The thread is closed to new replies."))


@bp.route("/t/<int:thread_id>/unlock", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def unlock(thread_id: int):
    thread = _tool(thread_id, can_lock_thread)
    try:
        thread_tools.unlock_thread(current_user, thread)
    except ServiceError as exc:
        return _failed(exc)
    db.session.commit()
    return _done(thread, _("The thread is open for replies again."))


@bp.route("/t/<int:thread_id>/pin", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def pin(thread_id: int):
    thread = _tool(thread_id, can_pin_thread)
    try:
        thread_tools.pin_thread(current_user, thread, request.form.get("days"))
    except ServiceError as exc:
        return _failed(exc)
    db.session.commit()
    return _done(thread, _("The thread is pinned to the top of its board."))


@bp.route("/t/<int:thread_id>/unpin", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def unpin(thread_id: int):
    thread = _tool(thread_id, can_pin_thread)
    try:
        thread_tools.unpin_thread(current_user, thread)
    except ServiceError as exc:
        return _failed(exc)
    db.session.commit()
    return _done(thread, _("The thread is no longer pinned."))


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
