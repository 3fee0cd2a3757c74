"""Staff pages of the CRM (/crm/...) and the member's own "My data" page (/me/data)."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from community.dbtypes import utcnow
from community.errors import ServiceError
from community.extensions import db
from community.groups import services as group_services
from community.members.models import Member
from community.pages import abort_with
from community.web import Page, page_arg, paged, paginate

from . import dashboard as board
from . import feedback as fb
from . import moods, mydata, services
from .audit import audit
from .contacts import contacts_of, profile_ids_linked, resolve
from .conversations import response_times as private_response_times
from .models import AuditEntry, ContactStatus, CrmContact, CrmProfile, FeedbackItem, PostSentiment, StaffNote, Stage
from .permissions import can_view_crm
from .timeline import KINDS

bp = Blueprint("crm", __name__)


def _staff_only() -> None:
    # a CRM page does not exist for anyone but staff: 404, not 403 (nothing to learn from probing)
    if not can_view_crm(current_user):
        abort(404)


def _paginate(query, page: int, per_page: int = services.PER_PAGE) -> Page:
    return paged(paginate, query, page, per_page)


def _date_arg(name: str) -> datetime | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        abort_with(400, _("Dates are written YYYY-MM-DD."))


def _load_profile(username: str) -> CrmProfile:
    member = db.session.scalar(select(Member).where(Member.username_key == username.casefold()))
    if member is None or member.deleted_at is not None:  # a deleted account has no CRM record
        abort(404)
    return services.ensure_profile(member)


@bp.route("/crm/members")
@login_required
def members():
    _staff_only()
    q, stage, tag = (request.args.get(k, "").strip()[:100] for k in ("q", "stage", "tag"))
    active = request.args.get("active", "")
    active_within = int(active) if active in ("7", "30", "90") else None
    minimum = {}
    for name in ("engagement", "advocacy", "risk"):
        raw = request.args.get(f"min_{name}", "").strip()
        if raw:
            if not raw.isdigit() or int(raw) > 100:
                abort_with(400, _("Score filters are whole numbers from 0 to 100."))
            minimum[name] = int(raw)
    linked = request.args.get("linked", "")
    group = request.args.get("group", "").strip()
    if group and (not group.isdigit() or len(group) > 12):
        abort_with(400, _("Choose a group from the list."))
    group_id = int(group) if group else None
    consent = request.args.get("consent", "")
    if consent and consent not in services.CONSENTS:
        abort_with(400, _("Choose marketing or research consent."))
    query = services.profiles_query(q=q, stage=stage, tag=tag, active_within=active_within, minimum=minimum,
                                    group_id=group_id, consent=consent)
    if linked in ("yes", "no"):
        has = CrmProfile.member_id.in_(profile_ids_linked())
        query = query.where(has if linked == "yes" else ~has)
    if request.args.get("format") == "csv":
        rows = db.session.scalars(query).all()
        audit(current_user, "exported", None, count=len(rows), q=q, stage=stage, tag=tag, consent=consent)
        db.session.commit()
        return Response(services.export_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=community-members.csv"})
    if q or tag:  # a search for someone is staff access to their record, like a profile view
        audit(current_user, "searched", None, q=q, stage=stage, tag=tag)
        db.session.commit()  # before loading what the page shows: a commit expires what was loaded
    profiles = _paginate(query, page_arg())
    return render_template("crm_bridge/members.html", profiles=profiles, q=q, stage=stage, tag=tag, active=active,
                           stages=services.STAGE_LABELS, minimum=minimum, linked=linked, group=group,
                           groups=group_services.all_groups())


@bp.route("/crm/members/<username>")
@login_required
def profile(username: str):
    _staff_only()
    profile = _load_profile(username)
    kind = request.args.get("kind", "")
    since, until = _date_arg("from"), _date_arg("to")
    verdict, scores = services.refresh_stage(profile)
    audit(current_user, "viewed", profile)
    db.session.commit()  # before loading what the page shows: a commit expires what was loaded
    timeline = _paginate(services.timeline_query(profile.member_id, kind, since,
                                                 until + timedelta(days=1) if until else None), page_arg())
    notes = db.session.scalars(select(StaffNote).where(StaffNote.profile_id == profile.id)
                               .order_by(StaffNote.created_at.desc()).limit(50)).all()
    return render_template("crm_bridge/profile.html", profile=profile, member=profile.member, verdict=verdict,
                           timeline=timeline, notes=notes, kinds=KINDS, kind=kind, stages=services.STAGE_LABELS,
                           date_from=request.args.get("from", ""), date_to=request.args.get("to", ""), errors={},
                           mood=moods.member_summary(profile.member_id), trend=moods.weekly_trend(profile.member_id),
                           scores=scores, contacts=contacts_of(profile.member_id),
                           groups=group_services.groups_of(profile.member))


def _rerender_with(profile, exc: ServiceError):
    db.session.rollback()
    verdict, scores = services.refresh_stage(profile)
    timeline = _paginate(services.timeline_query(profile.member_id), 1)
    notes = db.session.scalars(select(StaffNote).where(StaffNote.profile_id == profile.id)
                               .order_by(StaffNote.created_at.desc()).limit(50)).all()
    return render_template("crm_bridge/profile.html", profile=profile, member=profile.member, verdict=verdict,
                           timeline=timeline, notes=notes, kinds=KINDS, kind="", stages=services.STAGE_LABELS,
                           date_from="", date_to="", errors=exc.fields or {"_": str(exc)},
                           mood=moods.member_summary(profile.member_id), trend=moods.weekly_trend(profile.member_id),
                           scores=scores, contacts=contacts_of(profile.member_id),
                           groups=group_services.groups_of(profile.member)), 422


@bp.route("/crm/members/<username>/profile", methods=["POST"])
@login_required
def update(username: str):
    _staff_only()
    profile = _load_profile(username)
    try:
        services.update_profile(current_user, profile, tags=request.form.get("tags"),
                                owner=request.form.get("owner"), stage=request.form.get("stage"),
                                company=request.form.get("company"))
    except ServiceError as exc:
        return _rerender_with(profile, exc)
    db.session.commit()
    flash(_("Profile saved."))
    return redirect(url_for("crm.profile", username=profile.member.username))


@bp.route("/crm/members/<username>/notes", methods=["POST"])
@login_required
def add_note(username: str):
    _staff_only()
    profile = _load_profile(username)
    try:
        services.add_note(current_user, profile, request.form.get("body", ""))
    except ServiceError as exc:
        return _rerender_with(profile, exc)
    db.session.commit()
    flash(_("Note added."))
    return redirect(url_for("crm.profile", username=profile.member.username) + "#notes")


@bp.route("/crm/audit")
@login_required
def audit_log():
    _staff_only()
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    staff = request.args.get("staff", "").strip()
    if staff:
        query = query.join(Member, Member.id == AuditEntry.staff_id).where(Member.username_key == staff.casefold())
    entries = _paginate(query, page_arg())
    profiles = {p.id: p for p in db.session.scalars(select(CrmProfile).where(
        CrmProfile.id.in_({e.profile_id for e in entries.items if e.profile_id})))}
    return render_template("crm_bridge/audit.html", entries=entries, profiles=profiles, staff=staff)


@bp.route("/crm/contacts")
@login_required
def contacts():
    """Contacts imported from the brand's CRM; ambiguous ones first wait for a staff decision."""
    _staff_only()
    status = request.args.get("status", "")
    q = request.args.get("q", "").strip()[:100]
    query = select(CrmContact).order_by(CrmContact.updated_at.desc(), CrmContact.id.desc())
    if status in ContactStatus.__members__:
        query = query.where(CrmContact.status == status)
    if q:
        like = f"%{q.casefold()}%"
        query = query.where(func.lower(CrmContact.email).like(like) | func.lower(CrmContact.name).like(like)
                            | func.lower(CrmContact.company).like(like))
    audit(current_user, "contacts_listed", None, q=q, status=status)
    db.session.commit()  # before loading what the page shows: a commit expires what was loaded
    page = _paginate(query, page_arg())
    candidate_ids = {i for c in page.items for i in (c.candidates or [])}
    candidates = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(candidate_ids)))} \
        if candidate_ids else {}
    counts = dict(db.session.execute(select(CrmContact.status, func.count()).group_by(CrmContact.status)).all())
    return render_template("crm_bridge/contacts.html", contacts=page, status=status, q=q, candidates=candidates,
                           counts={ContactStatus(k).value: v for k, v in counts.items()}, errors={}, failed=None)


@bp.route("/crm/contacts/<int:contact_id>/resolve", methods=["POST"])
@login_required
def resolve_contact(contact_id: int):
    _staff_only()
    contact = db.get_or_404(CrmContact, contact_id)
    try:
        resolve(current_user, contact, request.form.get("member", ""))
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("crm.contacts", status=request.args.get("status", ""))), 303
    db.session.commit()
    flash(_("Contact %(email)s saved.", email=contact.email))
    return redirect(url_for("crm.contacts", status=request.args.get("status", "")))


@bp.route("/me/data")
@login_required
def my_data():
    data = mydata.my_data(current_user)
    db.session.commit()  # a profile made on first visit
    chosen_at = {name: datetime.fromisoformat(data["profile"][f"consent_{name}_at"])
                 for name in services.CONSENTS if data["profile"].get(f"consent_{name}_at")}
    response = make_response(render_template("crm_bridge/my_data.html", data=data, stages=services.STAGE_LABELS,
                                             Stage=Stage, chosen_at=chosen_at))
    response.headers["Cache-Control"] = "no-store"  # personal data: no copy in a shared or browser cache
    return response


@bp.route("/me/data.json")
@login_required
def my_data_json():
    data = mydata.my_data(current_user)
    db.session.commit()
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={current_user.username}-data.json",
                             "Cache-Control": "no-store"})


@bp.route("/crm/feedback")
@login_required
def feedback():
    _staff_only()
    kind, status = request.args.get("kind", ""), request.args.get("status", "")
    sort = "newest" if request.args.get("sort") == "newest" else "votes"
    items = _paginate(fb.feedback_query(kind, status, sort), page_arg())
    return render_template("crm_bridge/feedback.html", items=items, kind=kind, status=status, sort=sort,
                           kinds=fb.KIND_LABELS, statuses=fb.STATUS_LABELS, errors={}, overdue=fb.is_overdue,
                           now=utcnow())


@bp.route("/crm/feedback/<int:item_id>", methods=["POST"])
@login_required
def reclassify(item_id: int):
    _staff_only()
    item = db.get_or_404(FeedbackItem, item_id)
    try:
        fb.reclassify(current_user, item, request.form.get("kind", ""), request.form.get("status", ""))
    except ServiceError as exc:
        db.session.rollback()
        items = _paginate(fb.feedback_query(), 1)
        return render_template("crm_bridge/feedback.html", items=items, kind="", status="", sort="votes",
                               kinds=fb.KIND_LABELS, statuses=fb.STATUS_LABELS, errors=exc.fields or {"_": str(exc)},
                               overdue=fb.is_overdue, now=utcnow()), 422
    db.session.commit()
    flash(_("Feedback item saved."))
    return redirect(url_for("crm.feedback", **{k: v for k, v in request.args.items() if k in ("kind", "status", "sort")}))


@bp.route("/crm/response-queue")
@login_required
def response_queue():
    _staff_only()
    items = _paginate(fb.overdue_query(), page_arg())
    return render_template("crm_bridge/response_queue.html", items=items, target=fb.target_hours(),
                           times=fb.response_times(), kinds=fb.KIND_LABELS, now=utcnow(),
                           private_times=private_response_times())


@bp.route("/crm/")
@bp.route("/crm/dashboard")
@login_required
def dashboard():
    _staff_only()
    return render_template("crm_bridge/dashboard.html", data=board.build(), kinds=fb.KIND_LABELS)


@bp.route("/crm/posts/<int:post_id>/sentiment", methods=["POST"])
@login_required
def correct_sentiment(post_id: int):
    """Staff correct how a post reads; the scores and figures use the correction at once."""
    _staff_only()
    row = db.get_or_404(PostSentiment, post_id)
    label = request.form.get("label", "")
    try:
        moods.correct(row, label or None, current_user)
    except ServiceError as exc:
        db.session.rollback()
        abort_with(422, str(exc))
    audit(current_user, "sentiment_corrected", None, post=post_id, label=label or "model")
    db.session.commit()
    flash(_("Sentiment corrected.") if label else _("The model's reading is back."))
    return redirect(url_for("forum.post", post_id=post_id))


@bp.route("/crm/sentiment/corrections.tsv")
@login_required
def sentiment_labels():
    """Every staff correction as labelled data for the next training run (language, label, text)."""
    _staff_only()
    lines = ["\t".join(fields) for fields in moods.labelled_examples(current_user)]
    audit(current_user, "exported", None, what="sentiment corrections", count=len(lines))
    db.session.commit()
    return Response("\n".join(lines) + ("\n" if lines else ""), mimetype="text/tab-separated-values",
                    headers={"Content-Disposition": "attachment; filename=sentiment-corrections.tsv",
                             "Cache-Control": "no-store"})
