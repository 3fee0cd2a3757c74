"""Staff pages for service cases (/crm/cases...): the list, one case, opening, notes, merging, the SLA report.

Thin views: load (404) -> `can_view_crm` (404 for anyone else) -> one service of crm_bridge/cases.py ->
commit -> redirect. Errors a staff member can cause re-render the page with the message (422).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from community.errors import ServiceError
from community.extensions import db
from community.forum.models import Board, Post
from community.members.models import Member
from community.web import page_arg, paged, paginate, thread_from_form

from . import cases as svc
from .audit import audit
from .permissions import can_view_crm

bp = Blueprint("crm_cases", __name__)
PER_PAGE = 50


def staff_only() -> None:
    if not can_view_crm(current_user):
        abort(404)


def _load(case_id: int) -> svc.Case:
    case = db.session.get(svc.Case, case_id)
    if case is None:
        abort(404)
    return case


def staff_named(username: str) -> Member | None:
    username = (username or "").strip()
    if not username:
        return None
    member = db.session.scalar(select(Member).where(Member.username_key == username.casefold()))
    if member is None or not can_view_crm(member):
        raise svc.ValidationFailed(_("The owner must be a member of staff."), {"owner": _("The owner must be a member of staff.")})
    return member


def _boards() -> list[Board]:
    return db.session.scalars(select(Board).order_by(Board.name)).all()


@bp.route("/crm/cases")
@login_required
def index():
    staff_only()
    status = request.args.get("status", "active")
    priority = request.args.get("priority", "")
    owner = request.args.get("owner", "")
    board = request.args.get("board", "")
    q = request.args.get("q", "").strip()[:100]
    owner_id, unowned = None, owner == "none"
    if owner == "me":
        owner_id = current_user.id
    elif owner.isdigit():
        owner_id = int(owner)
    board_id = int(board) if board.isdigit() and len(board) < 12 else None
    items = paged(paginate, svc.cases_query(status=status, priority=priority, owner_id=owner_id, unowned=unowned,
                                            board_id=board_id, q=q), page_arg(), PER_PAGE)
    return render_template("crm_bridge/cases.html", items=items, status=status, priority=priority, owner=owner,
                           board=board, q=q, statuses=svc.STATUS_LABELS, priorities=svc.PRIORITY_LABELS,
                           staff=svc.staff_members(), boards=_boards(), hours=(svc.first_response_hours,
                                                                                svc.resolution_hours))


@bp.route("/crm/cases", methods=["POST"])
@login_required
def open_for_thread():
    """Open a case for a thread (the thread page, the feedback list and the response queue post here)."""
    staff_only()
    thread = thread_from_form()
    try:
        case = svc.open_case_for_thread(thread, current_user, priority=request.form.get("priority", "normal"))
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("forum.thread", thread_id=thread.id)), 303
    audit(current_user, "case_opened", None, case_id=case.id, thread_id=thread.id)
    db.session.commit()
    flash(_("Case #%(id)d is open.", id=case.id))
    return redirect(url_for("crm_cases.show", case_id=case.id)), 303


def errors_of(exc: ServiceError) -> dict:
    return {"_": str(exc.message), **{k: str(v) for k, v in (exc.fields or {}).items()}}


def _render(case: svc.Case, errors: dict | None = None, status: int = 200):
    notes = db.session.scalars(select(svc.CaseNote).where(svc.CaseNote.case_id == case.id)
                               .order_by(svc.CaseNote.created_at.desc(), svc.CaseNote.id.desc())).all()
    merged = db.session.scalars(select(svc.Case).where(svc.Case.merged_into_id == case.id)).all()
    return render_template("crm_bridge/case.html", case=case, notes=notes, merged=merged, errors=errors or {},
                           statuses=svc.STATUS_LABELS, priorities=svc.PRIORITY_LABELS, staff=svc.staff_members(),
                           first_hours=svc.first_response_hours(case), resolution_hours=svc.resolution_hours(case)), status


@bp.route("/crm/cases/<int:case_id>")
@login_required
def show(case_id: int):
    staff_only()
    case = _load(case_id)
    audit(current_user, "case_viewed", None, case_id=case.id)
    db.session.commit()
    return _render(case)


@bp.route("/crm/cases/<int:case_id>", methods=["POST"])
@login_required
def update(case_id: int):
    staff_only()
    case = _load(case_id)
    try:
        svc.set_case_fields(case, current_user, owner=staff_named(request.form.get("owner", "")),
                            priority=request.form.get("priority") or None, title=request.form.get("title"),
                            order_ref=request.form.get("order_ref", ""))
        answer = None
        raw = request.form.get("answer_post_id", "").strip()
        if raw:
            answer = db.session.get(Post, int(raw)) if raw.isdigit() and len(raw) < 12 else None
            if answer is None or answer.thread_id not in {t.id for t in case.threads}:
                raise svc.ValidationFailed(_("The answer must be a post in one of the case's threads."),
                                           {"answer_post_id": _("Not a post of this case.")})
        svc.set_case_status(case, request.form.get("status") or case.status, current_user, answer_post=answer)
    except ServiceError as exc:
        db.session.rollback()
        return _render(_load(case_id), errors_of(exc), 422)
    audit(current_user, "case_changed", None, case_id=case.id, status=case.status.value)
    db.session.commit()
    flash(_("Case saved."))
    return redirect(url_for("crm_cases.show", case_id=case.id)), 303


@bp.route("/crm/cases/<int:case_id>/notes", methods=["POST"])
@login_required
def add_note(case_id: int):
    staff_only()
    case = _load(case_id)
    try:
        svc.add_case_note(case, current_user, request.form.get("body", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _render(case, errors_of(exc), 422)
    audit(current_user, "case_note_added", None, case_id=case.id)
    db.session.commit()
    flash(_("Note added."))
    return redirect(url_for("crm_cases.show", case_id=case.id) + "#notes"), 303


@bp.route("/crm/cases/<int:case_id>/merge", methods=["POST"])
@login_required
def merge(case_id: int):
    staff_only()
    case = _load(case_id)
    ids = [part.strip().lstrip("#") for part in request.form.get("others", "").replace(",", " ").split()]
    try:
        if not ids or not all(i.isdigit() and len(i) < 12 for i in ids):
            raise svc.ValidationFailed(_("Name the cases to merge by number, like 12, 15."),
                                       {"others": _("Case numbers, separated by commas.")})
        others = [db.session.get(svc.Case, int(i)) for i in ids]
        if any(o is None for o in others):
            raise svc.ValidationFailed(_("No case with one of those numbers."), {"others": _("Unknown case.")})
        svc.merge_cases(case, others, current_user)
    except ServiceError as exc:
        db.session.rollback()
        return _render(_load(case_id), errors_of(exc), 422)
    audit(current_user, "cases_merged", None, case_id=case.id, merged=[int(i) for i in ids])
    db.session.commit()
    flash(_("Cases merged."))
    return redirect(url_for("crm_cases.show", case_id=case.id)), 303


@bp.route("/crm/cases/report")
@login_required
def report():
    staff_only()
    data = svc.sla_report()
    charts = {key: [(week, figures[key] or 0) for week, figures in data["weeks"]]
              for key in ("first_median", "first_p90", "resolution_median", "resolution_p90")}
    return render_template("crm_bridge/case_report.html", data=data, charts=charts)
