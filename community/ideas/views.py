"""Idea pages: the staff status change, the idea board list and the public roadmap."""
from __future__ import annotations

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import ServiceError
from ..extensions import db, limiter, login_manager
from ..forms import apply_errors
from ..forum.models import Board, BoardKind, IdeaStatus, Thread
from ..pages import abort_with, error_response, wants_json
from ..permissions import can_change_idea_status
from ..web import load_thread, page_arg, paged
from . import services
from .forms import IdeaStatusForm
from .labels import status_label

bp = Blueprint("ideas", __name__)


def _event_json(event) -> dict:
    return {"id": event.id, "status": event.status.value, "previous": event.previous.value if event.previous else None,
            "reason": event.reason, "by": event.by.username if event.by else None,
            "duplicate_of": event.duplicate_of_id, "votes_carried": event.votes_carried,
            "created_at": event.created_at.isoformat()}


@bp.route("/t/<int:thread_id>/idea-status", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def change_status(thread_id: int):
    if not current_user.is_authenticated:
        if wants_json():
            return error_response(401, _("Please sign in."), code="unauthorized")
        return login_manager.unauthorized()
    thread = load_thread(thread_id)
    if not can_change_idea_status(current_user, thread):
        if wants_json():
            return error_response(403, _("Only staff change the status of an idea."))
        abort_with(403, _("Only staff change the status of an idea."))
    # JSON callers get JSON answers; the form only reads posted form fields (a JSON list must not reach it).
    form = IdeaStatusForm(formdata=None) if request.is_json else IdeaStatusForm()
    if request.method == "GET" and not form.status.data:
        form.status.data = (thread.idea_status or IdeaStatus.open).value
    if request.method == "POST":
        data = request.get_json(silent=True) if request.is_json else request.form
        data = data if isinstance(data, dict) else {}
        try:
            target = None
            status = services.parse_status(data.get("status"))
            if status is IdeaStatus.duplicate:
                target = services.resolve_idea_reference(current_user, data.get("duplicate_of"), host=request.host)
            event = services.change_idea_status(current_user, thread, status, str(data.get("reason") or ""),
                                                duplicate_of=target)
        except ServiceError as exc:
            db.session.rollback()
            if wants_json():
                return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)
            apply_errors(form, exc)
        else:
            db.session.commit()
            if wants_json():
                return jsonify(thread={"id": thread.id, "idea_status": thread.idea_status.value,
                                       "score": thread.score}, event=_event_json(event))
            flash(_("The idea is now: %(status)s.", status=status_label(event.status)), "success")
            return redirect(url_for("forum.thread", thread_id=thread.id, _anchor=f"idea-event-{event.id}"))
    status = 422 if request.method == "POST" else 200
    return render_template("community/ideas/change_status.html", thread=thread, board=thread.board,
                           form=form, events=services.status_events(thread)), status


def idea_board(board: Board):
    """The page of a board of ideas: sorted by votes, trending or newest, filtered by status."""
    sort = request.args.get("sort", "votes")
    sort = sort if sort in services.IDEA_SORTS else "votes"
    raw_status = request.args.get("status", "").strip()
    status = None
    if raw_status and raw_status != "all":
        try:
            status = IdeaStatus(raw_status)
        except ValueError:
            abort_with(400, _("There is no idea status called “%(status)s”.", status=raw_status[:40]))
    threads = paged(services.idea_board_threads, current_user, board, page_arg(), sort, status)
    return render_template("community/ideas/board.html", board=board, threads=threads, sort=sort, status=status,
                           statuses=list(IdeaStatus))


@bp.route("/roadmap")
def roadmap():
    return render_template("community/ideas/roadmap.html", roadmap=services.roadmap(current_user))


def idea_status_events(thread: Thread) -> list:
    """Return the status changes shown in an idea's thread (template global; one query per request, ideas only)."""
    if thread.board.kind is not BoardKind.idea:
        return []
    cache = g.setdefault("idea_status_events", {})
    if thread.id not in cache:
        cache[thread.id] = services.status_events(thread)
    return cache[thread.id]


def idea_duplicate_of(thread: Thread):
    """Return the idea a duplicate was merged into (its latest merge), or None (template global)."""
    if thread.idea_status is not IdeaStatus.duplicate:
        return None
    merges = [event for event in idea_status_events(thread) if event.status is IdeaStatus.duplicate]
    return merges[-1].duplicate_of if merges else None
