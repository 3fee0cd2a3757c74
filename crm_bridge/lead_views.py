"""Staff pages for sales leads (/crm/leads...): the list, the rule's suggestions to confirm, marking a thread.

Thin views over crm_bridge/leads.py; staff only (404 for anyone else), as every CRM page.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.errors import ServiceError
from community.extensions import db
from community.web import page_arg, paged, paginate, thread_from_form

from . import cases
from . import leads as svc
from .audit import audit
from .case_views import errors_of, staff_named, staff_only

bp = Blueprint("crm_leads", __name__)


def _load(lead_id: int) -> svc.Lead:
    lead = db.session.get(svc.Lead, lead_id)
    if lead is None:
        abort(404)
    return lead


def _list(errors: dict | None = None, status: int = 200):
    stage = request.args.get("stage", "")
    suggested = request.args.get("view") == "suggested"
    owner = request.args.get("owner", "")
    owner_id = current_user.id if owner == "me" else (int(owner) if owner.isdigit() and len(owner) < 12 else None)
    items = paged(paginate, svc.leads_query(stage=stage, owner_id=owner_id, suggested=suggested), page_arg(), 50)
    return render_template("crm_bridge/leads.html", items=items, stage=stage, suggested=suggested, owner=owner,
                           stages=svc.STAGE_LABELS, staff=cases.staff_members(), errors=errors or {},
                           suggestions=db.session.scalar(
                               svc.leads_query(suggested=True).with_only_columns(db.func.count()).order_by(None))), status


@bp.route("/crm/leads")
@login_required
def index():
    staff_only()
    return _list()


@bp.route("/crm/leads", methods=["POST"])
@login_required
def mark():
    """Staff mark a thread's author as a lead (from the thread page)."""
    staff_only()
    thread = thread_from_form()
    try:
        lead = svc.lead_for_thread(thread.id)
        if lead is not None and lead.confirmed_at is None:
            svc.confirm_lead(lead, current_user)
        elif lead is None:
            lead = svc.create_lead(thread.author, thread=thread, by=current_user, owner=current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("forum.thread", thread_id=thread.id)), 303
    audit(current_user, "lead_marked", None, lead_id=lead.id, thread_id=thread.id)
    db.session.commit()
    flash(_("Lead #%(id)d saved.", id=lead.id))
    return redirect(url_for("crm_leads.index") + f"#lead-{lead.id}"), 303


@bp.route("/crm/leads/<int:lead_id>", methods=["POST"])
@login_required
def update(lead_id: int):
    staff_only()
    lead = _load(lead_id)
    try:
        svc.set_lead_value(lead, request.form.get("value", ""), request.form.get("currency") or None, current_user,
                           owner=staff_named(request.form.get("owner", "")), order_ref=request.form.get("order_ref", ""))
        svc.set_lead_stage(lead, request.form.get("stage") or lead.stage, current_user)
    except ServiceError as exc:
        db.session.rollback()
        return _list(errors_of(exc), 422)
    audit(current_user, "lead_changed", None, lead_id=lead.id, stage=lead.stage.value)
    db.session.commit()
    flash(_("Lead saved."))
    return redirect(url_for("crm_leads.index") + f"#lead-{lead.id}"), 303


@bp.route("/crm/leads/<int:lead_id>/confirm", methods=["POST"])
@login_required
def confirm(lead_id: int):
    staff_only()
    lead = _load(lead_id)
    try:
        svc.confirm_lead(lead, current_user)
    except ServiceError as exc:
        db.session.rollback()
        return _list(errors_of(exc), 422)
    audit(current_user, "lead_confirmed", None, lead_id=lead.id)
    db.session.commit()
    flash(_("Lead confirmed."))
    return redirect(url_for("crm_leads.index", view="suggested")), 303


@bp.route("/crm/leads/<int:lead_id>/dismiss", methods=["POST"])
@login_required
def dismiss(lead_id: int):
    staff_only()
    lead = _load(lead_id)
    try:
        svc.dismiss_suggestion(lead, current_user)
    except ServiceError as exc:
        db.session.rollback()
        return _list(errors_of(exc), 422)
    audit(current_user, "lead_dismissed", None, lead_id=lead_id)
    db.session.commit()
    flash(_("Suggestion dismissed."))
    return redirect(url_for("crm_leads.index", view="suggested")), 303
