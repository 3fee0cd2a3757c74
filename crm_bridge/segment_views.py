"""Staff pages for marketing segments (/crm/segments...) and the public one-click unsubscribe of their mails.

Thin views over crm_bridge/segments.py; staff only (404 for anyone else), except the unsubscribe link,
which a signed token authorises (RFC 8058: a mail client POSTs it without a form).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from community.errors import ServiceError
from community.extensions import csrf, db, limiter
from community.forum.models import Board
from community.groups import services as group_services
from community.mail import tokens

from . import segments as svc
from .audit import audit
from .case_views import errors_of, staff_only
from .services import STAGE_LABELS

bp = Blueprint("crm_segments", __name__)
PER_PAGE = 50


def _load(segment_id: int) -> svc.Segment:
    segment = db.session.get(svc.Segment, segment_id)
    if segment is None:
        abort(404)
    return segment


def _choices() -> dict:
    return {"stages": STAGE_LABELS, "groups": [g for g, _n in group_services.all_groups()],
            "boards": db.session.scalars(select(Board).order_by(Board.name)).all(),
            "actives": svc.ACTIVE_DAYS, "sentiments": svc.SENTIMENTS}


def _form(segment=None, filters=None, name="", errors=None, status=200):
    return render_template("crm_bridge/segment_form.html", segment=segment, filters=filters or {}, name=name,
                           errors=errors or {}, **_choices()), status


@bp.route("/crm/segments")
@login_required
def index():
    staff_only()
    segments = db.session.scalars(select(svc.Segment).order_by(svc.Segment.name).limit(PER_PAGE)).all()
    counts = {sid: members for sid, (members, _) in svc.segment_counts(segments).items()}  # live, one statement
    return render_template("crm_bridge/segments.html", segments=segments, counts=counts)


@bp.route("/crm/segments/new")
@login_required
def new():
    """The form, filled from the member list's filters (its "Save as a segment" link passes them along)."""
    staff_only()
    return _form(filters={k: v for k, v in request.args.items() if k in svc.FILTER_KEYS})


@bp.route("/crm/segments", methods=["POST"])
@login_required
def create():
    staff_only()
    try:
        segment = svc.save_segment(request.form.get("name", ""), request.form.to_dict(), current_user)
    except ServiceError as exc:
        db.session.rollback()
        return _form(filters=request.form.to_dict(), name=request.form.get("name", ""), errors=errors_of(exc),
                     status=exc.status if exc.status != 400 else 422)
    audit(current_user, "segment_saved", None, segment_id=segment.id, filters=segment.filters)
    db.session.commit()
    flash(_("Segment saved."))
    return redirect(url_for("crm_segments.show", segment_id=segment.id)), 303


def _show(segment, errors=None, status=200):
    members = db.session.scalars(select(svc.Member).where(svc.Member.id.in_(svc.segment_members(segment)))
                                 .order_by(svc.Member.username_key).limit(PER_PAGE)).all()
    reachable = db.session.scalar(select(func.count()).select_from(svc.reachable_query(segment).subquery()))
    messages = db.session.scalars(select(svc.SegmentMessage).where(svc.SegmentMessage.segment_id == segment.id)
                                  .order_by(svc.SegmentMessage.created_at.desc()).limit(20)).all()
    return render_template("crm_bridge/segment.html", segment=segment, members=members, count=svc.segment_count(segment),
                           reachable=reachable, messages=messages, errors=errors or {}, **_choices()), status


@bp.route("/crm/segments/<int:segment_id>")
@login_required
def show(segment_id: int):
    staff_only()
    return _show(_load(segment_id))


@bp.route("/crm/segments/<int:segment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(segment_id: int):
    staff_only()
    segment = _load(segment_id)
    if request.method == "GET":
        return _form(segment, segment.filters, segment.name)
    try:
        svc.save_segment(request.form.get("name", ""), request.form.to_dict(), current_user, segment=segment)
    except ServiceError as exc:
        db.session.rollback()
        return _form(_load(segment_id), request.form.to_dict(), request.form.get("name", ""), errors_of(exc),
                     exc.status if exc.status != 400 else 422)
    audit(current_user, "segment_saved", None, segment_id=segment.id, filters=segment.filters)
    db.session.commit()
    flash(_("Segment saved."))
    return redirect(url_for("crm_segments.show", segment_id=segment.id)), 303


@bp.route("/crm/segments/<int:segment_id>/delete", methods=["POST"])
@login_required
def delete(segment_id: int):
    staff_only()
    segment = _load(segment_id)
    svc.delete_segment(segment, current_user)
    audit(current_user, "segment_deleted", None, segment_id=segment_id)
    db.session.commit()
    flash(_("Segment deleted."))
    return redirect(url_for("crm_segments.index")), 303


@bp.route("/crm/segments/<int:segment_id>.csv")
@login_required
def export(segment_id: int):
    staff_only()
    segment = _load(segment_id)
    body = svc.export_segment(segment)
    audit(current_user, "segment_exported", None, segment_id=segment.id, rows=max(0, body.count("\n") - 1))
    db.session.commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=segment-{segment.id}.csv", "Cache-Control": "no-store"})


@bp.route("/crm/segments/<int:segment_id>/message", methods=["POST"])
@login_required
@limiter.limit("10 per hour")
def message(segment_id: int):
    staff_only()
    segment = _load(segment_id)
    try:
        row = svc.message_segment(segment, current_user, request.form.get("channel", ""),
                                  request.form.get("subject", ""), request.form.get("body", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _show(_load(segment_id), errors_of(exc), exc.status if exc.status != 400 else 422)
    audit(current_user, "segment_messaged", None, segment_id=segment.id, channel=row.channel,
          recipients=row.recipients)
    db.session.commit()
    flash(_("Sent to %(n)d members.", n=row.recipients))
    return redirect(url_for("crm_segments.show", segment_id=segment.id)), 303


@bp.route("/crm/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without a form; the signed token is the proof
@limiter.limit("60 per minute")
def unsubscribe(token: str):
    try:
        if request.method == "GET":  # never act on GET: link scanners fetch every link in a mail
            payload = tokens.read(tokens.UNSUBSCRIBE, token)
            if payload.get("k") != svc.UNSUBSCRIBE_KIND:
                raise tokens.TokenInvalid()
            member, done = db.session.get(svc.Member, payload["m"]), False
            if member is None or member.deleted_at is not None:
                raise tokens.TokenInvalid()
        else:
            member, done = svc.unsubscribe_member(token), True
    except tokens.TokenInvalid:
        db.session.rollback()
        abort(404)
    db.session.commit()
    response = make_response(render_template("crm_bridge/unsubscribe.html", member=member, done=done))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
