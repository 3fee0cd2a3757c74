"""Poll pages and actions. Thin: load (404), permission, one service call, commit, redirect or JSON."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from ..errors import ServiceError, ValidationFailed
from ..extensions import db, limiter
from ..forms import ConfirmForm, apply_errors
from ..forum.models import Thread
from ..pages import abort_with, error_response, wants_json
from ..permissions import can_add_poll
from ..web import load_thread
from . import services
from .forms import PREFIX, PollForm
from .models import Poll

bp = Blueprint("polls", __name__)


def load_poll(poll_id: int) -> Poll:
    """Return the poll, answering like its thread would (404 when unseen, 410 when deleted)."""
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        abort_with(404, _("There is no such poll."))
    load_thread(poll.thread_id)
    return poll


def poll_url(poll: Poll) -> str:
    return url_for("forum.thread", thread_id=poll.thread_id, _anchor=f"poll-{poll.id}")


def _view(poll: Poll) -> services.PollView:
    return services.poll_view(current_user, poll, services.my_choices(current_user, poll))


def _vote_limit() -> str:
    return current_app.config["POLL_VOTE_RATE_LIMIT"]


def _refuse(exc: ServiceError):
    db.session.rollback()
    return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)


@bp.route("/polls/<int:poll_id>")
def show(poll_id: int):
    """The poll as JSON (counts only when the member may see them); browsers go to the thread."""
    poll = load_poll(poll_id)
    if not wants_json():
        return redirect(poll_url(poll))
    return jsonify(poll=_view(poll).as_json())


@bp.route("/polls/<int:poll_id>/vote", methods=["POST"])
@limiter.limit(_vote_limit, methods=["POST"])
def vote(poll_id: int):
    poll = load_poll(poll_id)
    if not current_user.is_authenticated:
        if wants_json():
            return error_response(401, _("Please sign in to vote."), code="unauthorized")
        flash(_("Please sign in to vote."), "info")
        return redirect(url_for("members.login", next=url_for("forum.thread", thread_id=poll.thread_id)))
    if request.is_json:
        body = request.get_json(silent=True)
        chosen = body.get("option_ids") if isinstance(body, dict) else None
        if not isinstance(chosen, list):
            return error_response(400, _("Send the chosen options as a list: {\"option_ids\": [...]}."),
                                  fields={"option_ids": _("A list of option ids.")})
    else:
        chosen = request.form.getlist("option")
    try:
        services.cast_ballot(current_user, poll, chosen)
        db.session.commit()
    except ServiceError as exc:
        return _refuse(exc)
    except IntegrityError:  # a second request of the same member raced this one past the checks
        db.session.rollback()
        return error_response(409, _("Your vote changed at the same moment in another window. Please try again."))
    if wants_json():
        return jsonify(poll=_view(poll).as_json())
    flash(_("Your vote has been saved."), "success")
    return redirect(poll_url(poll))


@bp.route("/polls/<int:poll_id>/close", methods=["POST"])
@login_required
def close(poll_id: int):
    poll = load_poll(poll_id)
    if not ConfirmForm().validate_on_submit():
        return error_response(400)
    try:
        services.close_poll(current_user, poll)
        db.session.commit()
    except ServiceError as exc:
        return _refuse(exc)
    if wants_json():
        return jsonify(poll=_view(poll).as_json())
    flash(_("The poll is closed; everyone can see its results now."), "success")
    return redirect(poll_url(poll))


@bp.route("/t/<int:thread_id>/poll", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def add(thread_id: int):
    """Add a poll to an existing thread (its author or a moderator)."""
    thread = load_thread(thread_id)
    if not can_add_poll(current_user, thread):
        abort_with(403, _("Only the thread's author or a moderator can add a poll to it."))
    if services.thread_poll(thread) is not None:
        flash(_("This thread already has a poll."), "info")
        return redirect(url_for("forum.thread", thread_id=thread.id))
    form = PollForm(prefix=PREFIX)
    if form.validate_on_submit():
        try:
            poll = services.create_poll(current_user, thread, form.question.data,
                                        services.parse_option_lines(form.options.data),
                                        **form.service_arguments())
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            flash(_("The poll has been added."), "success")
            return redirect(poll_url(poll))
    status = 422 if request.method == "POST" else 200
    return render_template("community/polls/add.html", thread=thread, board=thread.board, form=form), status


# ---- the poll section of the new-thread form ----------------------------------------------------

def poll_form() -> PollForm:
    """Return the request's poll form (one per request, so errors put on it reach the template)."""
    if "poll_form" not in g:
        # The new-thread form around it carries the CSRF token (and CSRFProtect checks every POST).
        g.poll_form = PollForm(prefix=PREFIX, meta={"csrf": False})
    return g.poll_form


def attach_poll_from_form(member, thread: Thread) -> None:
    """Create the poll written in the new-thread form, if any; a problem undoes the whole thread."""
    form = poll_form()
    if not form.wants_poll():
        return
    if not form.validate():
        raise ValidationFailed(services.CORRECT)
    try:
        services.create_poll(member, thread, form.question.data, services.parse_option_lines(form.options.data),
                             **form.service_arguments())
    except ServiceError as exc:
        apply_errors(form, exc)
        raise ValidationFailed(exc.message if not exc.fields else services.CORRECT) from exc


def thread_poll_view(thread: Thread) -> services.PollView | None:
    """Return what the current member sees of the thread's poll: 2 queries at most, once per request."""
    cache = g.setdefault("thread_poll_views", {})
    if thread.id not in cache:
        poll = services.thread_poll(thread)
        cache[thread.id] = _view(poll) if poll is not None else None
    return cache[thread.id]
