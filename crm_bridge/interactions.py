"""Social interactions: what a customer said to the brand (or the brand to them) outside the forum.

Weibo, WeChat, Twitter/X, Facebook, email, phone: an integration posts each one to
`POST /api/v1/crm/interactions` (crm scope), idempotent by `external_id` (a unique constraint: a retry, or
two deliveries racing, store one row); staff add calls and mails by hand on the profile. An interaction is
matched to a member only through an exact link, never a guess: a handle staff set on the profile
(`SocialHandle`), or a linked sign-in identity whose provider slug is the channel (community/sso, by
subject or preferred username). Two candidates, or none, leave it in the staff queue (/crm/interactions)
to be linked or dismissed.

Like a post, an inbound interaction gets a sentiment (crm_bridge/sentiment.py's `analyse`, as is) and a
feedback kind; a matched one lands on the member's timeline. A staff outbound interaction on the same channel
answers the earlier unanswered inbound ones of that person, and the response times count it. The member sees
their matched interactions in /me/data; deleting the account erases them.
"""
from __future__ import annotations

import re
import statistics
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community import signals
from community.api.core import (
    OPERATIONS,
    ApiError,
    api_error_handlers,
    check_csrf,
    json_body,
    ok,
    operation,
    require_member,
)
from community.api.openapi import MEMBER_REF, NSTR, NTIME, SCHEMAS, STR, TIME, object_schema
from community.dbtypes import UTCDateTime, utcnow
from community.errors import NotPermitted, ServiceError, ValidationFailed
from community.extensions import csrf, db
from community.members.models import Member, username_key
from community.sso.models import SsoIdentity
from community.web import page_arg, paged, paginate

from . import sentiment
from .audit import audit
from .feedback import TAG_KINDS
from .models import FeedbackKind
from .permissions import can_view_crm
from .services import ensure_profile
from .subscribe import connect_all
from .timeline import record

CHANNELS = ("weibo", "wechat", "twitter", "facebook", "email", "phone", "other")
CHANNEL_LABELS = {"weibo": _l("Weibo"), "wechat": _l("WeChat"), "twitter": _l("Twitter/X"),
                  "facebook": _l("Facebook"), "email": _l("Email"), "phone": _l("Phone"), "other": _l("Other")}
DIRECTIONS = ("inbound", "outbound")
MATCHED, UNMATCHED, DISMISSED = "matched", "unmatched", "dismissed"
FUTURE_SLACK = timedelta(days=1)  # clocks differ; an interaction dated later than this is a mistake


def handle_key(handle: str) -> str:
    """The form handles are matched under: trimmed, case-folded, without a leading @."""
    return (handle or "").strip().lstrip("@").strip().casefold()[:200]


class Interaction(db.Model):
    """One message, post, mail or call between the brand and someone, outside the forum."""

    __tablename__ = "crm_interactions"
    __table_args__ = (Index("ix_crm_interactions_status_occurred", "status", "occurred_at"),
                      Index("ix_crm_interactions_member_occurred", "member_id", "occurred_at"),
                      Index("ix_crm_interactions_channel_handle", "channel", "handle_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)  # the integration's id; None by hand
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    handle: Mapped[str] = mapped_column(String(200), default="")
    handle_key: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default=UNMATCHED)
    sentiment_score: Mapped[float | None] = mapped_column(db.Float)
    sentiment_label: Mapped[str] = mapped_column(String(8), default="")
    feedback_kind: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the brand's first answer (inbound only)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    recorded_by: Mapped[Member | None] = relationship(foreign_keys=[recorded_by_id])


class SocialHandle(db.Model):
    """A member's handle on a channel, set by staff on the profile: interactions from it are theirs."""

    __tablename__ = "crm_social_handles"
    __table_args__ = (UniqueConstraint("channel", "handle_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    handle: Mapped[str] = mapped_column(String(200))
    handle_key: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- services (flush, never commit) -------------------------------------------------------------------

def match_member(channel: str, handle: str) -> int | None:
    """The member an interaction from (`channel`, `handle`) belongs to, when exactly one is linked; else None."""
    key = handle_key(handle)
    if not key:
        return None
    found = set(db.session.scalars(select(SocialHandle.member_id).where(SocialHandle.channel == channel,
                                                                         SocialHandle.handle_key == key)))
    raw = (handle or "").strip().lstrip("@").strip()
    found |= set(db.session.scalars(
        select(SsoIdentity.member_id).join(Member, Member.id == SsoIdentity.member_id)
        .where(SsoIdentity.provider == channel, Member.deleted_at.is_(None),
               or_(SsoIdentity.subject == raw, func.lower(SsoIdentity.username) == key))))
    return found.pop() if len(found) == 1 else None


def classify(text: str, label: str) -> str | None:
    """The feedback kind of an inbound interaction's text, as tags classify a thread (None: plain talk)."""
    words = set(re.findall(r"[\w]+", (text or "").casefold()))
    lowered = (text or "").casefold()
    for kind in (FeedbackKind.bug, FeedbackKind.complaint, FeedbackKind.praise):
        if any(word in words or (not word.isascii() and word in lowered) for word in TAG_KINDS[kind]):
            return kind.value
    if (text or "").rstrip().endswith(("?", "？")):
        return FeedbackKind.question.value
    if label == sentiment.NEGATIVE:
        return FeedbackKind.complaint.value
    return None


def _analyse(row: Interaction) -> None:
    score, label, _language = sentiment.analyse(row.text or "")
    row.sentiment_score, row.sentiment_label = score, label
    row.feedback_kind = classify(row.text, label) if row.direction == "inbound" else None


def _answer_earlier(row: Interaction) -> None:
    """A staff outbound interaction answers the person's earlier unanswered inbound ones on its channel."""
    if row.direction != "outbound":
        return
    who = (Interaction.member_id == row.member_id) if row.member_id else (Interaction.handle_key == row.handle_key)
    if not row.member_id and not row.handle_key:
        return
    db.session.execute(update(Interaction).where(
        Interaction.direction == "inbound", Interaction.channel == row.channel, who,
        Interaction.answered_at.is_(None), Interaction.occurred_at <= row.occurred_at)
        .values(answered_at=row.occurred_at), execution_options={"synchronize_session": False})


def _on_timeline(row: Interaction) -> None:
    member = db.session.get(Member, row.member_id) if row.member_id else None
    record(member, "interaction", at=row.occurred_at, actor=row.recorded_by if row.direction == "outbound" else None,
           text=(row.text or "")[:200], active=row.direction == "inbound", interaction_id=row.id,
           channel=row.channel, direction=row.direction, url=row.url or None,
           sentiment=row.sentiment_label or None, feedback=row.feedback_kind)


def parse_time(value) -> datetime:
    """An ISO 8601 time (naive: UTC), not more than a day ahead; raise ValidationFailed."""
    problem = _l("An ISO 8601 date and time, such as 2026-12-04T09:30:00Z, not in the future.")
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValidationFailed(_l("Please correct the marked fields."), {"occurred_at": problem}) from exc
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment > utcnow() + FUTURE_SLACK or moment.year < 1990:
        raise ValidationFailed(_l("Please correct the marked fields."), {"occurred_at": problem})
    return moment


def _check(channel: str, direction: str, url: str) -> None:
    problems = {}
    if channel not in CHANNELS:
        problems["channel"] = _l("Choose a channel from the list.")
    if direction not in DIRECTIONS:
        problems["direction"] = _l("Inbound (from the person) or outbound (from the brand).")
    if url and not re.match(r"^https?://[^\s/]+", url):
        problems["url"] = _l("A link starting with https://.")
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)


def record_interaction(*, channel: str, direction: str, handle: str = "", text: str = "", url: str = "",
                       occurred_at: datetime | None = None, external_id: str | None = None, by: Member | None = None,
                       member: Member | None = None) -> tuple[Interaction, bool]:
    """Store an interaction once per `external_id`; return it and whether it is new.

    `member` (staff adding one by hand on a profile) matches it outright; otherwise it is matched by handle.
    A concurrent request with the same `external_id` loses the insert race inside a savepoint and gets the
    stored row, so the outer transaction goes on.
    """
    _check(channel, direction, url or "")
    if external_id is not None:
        found = db.session.scalar(select(Interaction).where(Interaction.external_id == external_id))
        if found is not None:
            return found, False
    row = Interaction(external_id=external_id, channel=channel, direction=direction, handle=(handle or "")[:200],
                      handle_key=handle_key(handle), text=(text or "")[:10000], url=(url or "")[:500],
                      occurred_at=occurred_at or utcnow(), recorded_by_id=getattr(by, "id", None),
                      created_at=utcnow())
    row.member_id = member.id if member is not None else match_member(channel, handle)
    row.status = MATCHED if row.member_id else UNMATCHED
    _analyse(row)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        found = db.session.scalar(select(Interaction).where(Interaction.external_id == external_id))
        if found is None:
            raise
        return found, False
    _answer_earlier(row)
    if row.member_id:
        _on_timeline(row)
    return row, True


def link(staff: Member, row: Interaction, member: Member, *, remember: bool = True) -> None:
    """Staff say whose an unmatched interaction is; `remember` keeps the handle on the profile for the next ones."""
    if row.status != UNMATCHED:
        raise ValidationFailed(_l("This interaction is not waiting in the queue any more."))
    if member.deleted_at is not None:
        raise ValidationFailed(_l("That account has been deleted."), {"username": _l("That account has been deleted.")})
    row.member_id, row.status = member.id, MATCHED
    db.session.flush()
    if remember and row.handle_key:
        add_handle(staff, member, row.channel, row.handle, quiet=True)
    _answer_earlier(row)
    _on_timeline(row)
    audit(staff, "interaction_linked", ensure_profile(member), interaction_id=row.id, channel=row.channel)


def dismiss(staff: Member, row: Interaction) -> None:
    """Take an unmatched interaction out of the queue (spam, not a customer)."""
    if row.status != UNMATCHED:
        raise ValidationFailed(_l("This interaction is not waiting in the queue any more."))
    row.status = DISMISSED
    audit(staff, "interaction_dismissed", None, interaction_id=row.id, channel=row.channel)


def add_handle(staff: Member, member: Member, channel: str, handle: str, *, quiet: bool = False) -> SocialHandle:
    """Record `member`'s handle on `channel`; refuse one that belongs to someone else."""
    key = handle_key(handle)
    if channel not in CHANNELS or not key:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"handle": _l("Choose a channel and give the handle.")})
    found = db.session.scalar(select(SocialHandle).where(SocialHandle.channel == channel, SocialHandle.handle_key == key))
    if found is not None and found.member_id != member.id:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"handle": _l("That handle is on another member's profile.")})
    if found is None:
        found = SocialHandle(member_id=member.id, channel=channel, handle=handle.strip()[:200], handle_key=key,
                             created_by_id=staff.id, created_at=utcnow())
        db.session.add(found)
        db.session.flush()
        if not quiet:
            audit(staff, "handle_added", ensure_profile(member), channel=channel, handle=found.handle)
    return found


def remove_handle(staff: Member, member: Member, handle_id: int) -> None:
    found = db.session.get(SocialHandle, handle_id)
    if found is None or found.member_id != member.id:
        raise NotPermitted(_l("There is no such handle."))
    audit(staff, "handle_removed", ensure_profile(member), channel=found.channel, handle=found.handle)
    db.session.delete(found)


def handles_of(member: Member) -> list[SocialHandle]:
    return list(db.session.scalars(select(SocialHandle).where(SocialHandle.member_id == member.id)
                                   .order_by(SocialHandle.channel, SocialHandle.handle_key)))


def identities_of(member: Member) -> list[SsoIdentity]:
    """The member's linked sign-in identities (provider, subject), for the CRM profile."""
    return list(db.session.scalars(select(SsoIdentity).where(SsoIdentity.member_id == member.id)
                                   .order_by(SsoIdentity.provider, SsoIdentity.subject)))


def response_times(days: int = 30) -> dict:
    """Hours from an inbound interaction to the brand's first outbound answer on its channel (median, p90),
    in the shape of `feedback.response_times`."""
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(select(Interaction.occurred_at, Interaction.answered_at).where(
        Interaction.direction == "inbound", Interaction.status != DISMISSED, Interaction.occurred_at >= since)).all()
    hours = sorted((answered - asked).total_seconds() / 3600 for asked, answered in rows if answered is not None)
    figure = {"answered": len(hours), "median_hours": round(statistics.median(hours), 1) if hours else None,
              "p90_hours": round(hours[min(len(hours) - 1, int(len(hours) * 0.9))], 1) if hours else None}
    return {"items": len(rows), "first_reply": figure, "first_official_reply": dict(figure)}


def export_for(member: Member) -> list[dict]:
    """The member's matched interactions, for /me/data."""
    rows = db.session.scalars(select(Interaction).where(Interaction.member_id == member.id)
                              .order_by(Interaction.occurred_at.desc()).limit(5000))
    return [{"channel": r.channel, "direction": r.direction, "handle": r.handle, "text": r.text, "url": r.url,
             "occurred_at": r.occurred_at.isoformat(), "sentiment": r.sentiment_label or None,
             "feedback_kind": r.feedback_kind} for r in rows]


def on_member_deleting(member, **_kw) -> None:
    """Deleting the account erases the member's interactions and the handles that pointed at them."""
    if member.id is None:
        return
    db.session.execute(delete(Interaction).where(Interaction.member_id == member.id),
                       execution_options={"synchronize_session": False})
    db.session.execute(delete(SocialHandle).where(SocialHandle.member_id == member.id),
                       execution_options={"synchronize_session": False})


def connect() -> None:
    connect_all({signals.member_deleting: on_member_deleting})


# ---- the API: POST /api/v1/crm/interactions -------------------------------------------------------------

api_bp = Blueprint("crm_interactions_api", __name__, url_prefix="/api/v1")
api_error_handlers(api_bp)
api_bp.before_request(check_csrf)  # a cookie session's POST needs the CSRF token; a bearer token none

BODY = {"type": "object", "required": ["channel", "handle", "direction", "external_id"], "properties": {
    "channel": {"type": "string", "enum": list(CHANNELS)},
    "handle": {"type": "string", "maxLength": 200},
    "text": {"type": "string", "maxLength": 10000},
    "url": {"type": ["string", "null"], "maxLength": 500},
    "occurred_at": {"type": ["string", "null"], "format": "date-time", "maxLength": 40},
    "direction": {"type": "string", "enum": list(DIRECTIONS)},
    "external_id": {"type": "string", "maxLength": 200},
}}
SCHEMAS["CrmInteraction"] = object_schema({
    "id": {"type": "integer"}, "external_id": NSTR, "channel": {"enum": list(CHANNELS)},
    "direction": {"enum": list(DIRECTIONS)}, "handle": STR, "text": STR, "url": STR, "occurred_at": TIME,
    "status": {"enum": [MATCHED, UNMATCHED, DISMISSED]}, "member": MEMBER_REF,
    "sentiment": {"type": ["object", "null"], "properties": {"score": {"type": "number"}, "label": STR}},
    "feedback_kind": NSTR, "answered_at": NTIME})


def as_json(row: Interaction) -> dict:
    member = row.member
    return {"id": row.id, "external_id": row.external_id, "channel": row.channel, "direction": row.direction,
            "handle": row.handle, "text": row.text, "url": row.url, "occurred_at": row.occurred_at.isoformat(),
            "status": row.status,
            "member": None if member is None else {"id": member.id, "username": member.username, "name": member.name},
            "sentiment": None if row.sentiment_score is None else {"score": row.sentiment_score,
                                                                    "label": row.sentiment_label},
            "feedback_kind": row.feedback_kind,
            "answered_at": row.answered_at.isoformat() if row.answered_at else None}


@operation("POST", "/crm/interactions", summary="Record a social interaction (idempotent by external_id; staff)",
           tag="crm", auth="crm", body=BODY, response="CrmInteraction", status=201, errors=(400, 401, 403, 413, 422),
           blueprint=api_bp, limit="600 per minute")
def crm_record_interaction():
    staff = require_member("crm")
    if not can_view_crm(staff):
        raise ApiError(403, _("Only staff record interactions in the CRM."), code="forbidden")
    data = json_body(BODY)
    if not str(data["external_id"]).strip() or not handle_key(data["handle"]):
        fields = {name: _("This field is required.") for name in ("external_id", "handle")
                  if not handle_key(str(data[name]))}
        raise ApiError(422, _("Please correct the marked fields."), code="validation_failed", fields=fields)
    at = parse_time(data["occurred_at"]) if data.get("occurred_at") else None
    row, created = record_interaction(channel=data["channel"], direction=data["direction"], handle=data["handle"],
                                      text=data.get("text") or "", url=data.get("url") or "", occurred_at=at,
                                      external_id=str(data["external_id"]).strip(), by=staff)
    db.session.commit()
    return ok(as_json(row), 201 if created else 200)


OPERATIONS["POST /crm/interactions"]["also"] = {200: "recorded before under this external_id: the stored interaction"}


# ---- staff pages ---------------------------------------------------------------------------------------

bp = Blueprint("crm_interactions", __name__)


def _staff_only() -> None:
    if not can_view_crm(current_user):
        abort(404)


def _member(username: str) -> Member:
    member = db.session.scalar(select(Member).where(Member.username_key == username_key(username)))
    if member is None or member.deleted_at is not None:
        abort(404)
    return member


def _back(member: Member):
    return redirect(url_for("crm.profile", username=member.username, _anchor="interactions"))


@bp.route("/crm/interactions")
@login_required
def queue():
    """Interactions no member is linked to yet: staff link them to a profile or dismiss them."""
    _staff_only()
    query = select(Interaction).where(Interaction.status == UNMATCHED).order_by(Interaction.occurred_at.desc(),
                                                                                 Interaction.id.desc())
    rows = paged(paginate, query, page_arg(), 50)
    return render_template("crm_bridge/interactions/queue.html", rows=rows, channels=CHANNEL_LABELS)


def _queued(interaction_id: int) -> Interaction:
    row = db.session.get(Interaction, interaction_id)
    if row is None:
        abort(404)
    return row


@bp.route("/crm/interactions/<int:interaction_id>/link", methods=["POST"])
@login_required
def link_view(interaction_id: int):
    _staff_only()
    row = _queued(interaction_id)
    member = db.session.scalar(select(Member).where(Member.username_key == username_key(request.form.get("username", ""))))
    try:
        if member is None:
            raise ValidationFailed(_l("There is no member with that username."))
        link(current_user, row, member, remember=bool(request.form.get("remember")))
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("crm_interactions.queue"))
    db.session.commit()
    flash(_("The interaction is now on %(name)s's timeline.", name=member.name), "success")
    return redirect(url_for("crm_interactions.queue"))


@bp.route("/crm/interactions/<int:interaction_id>/dismiss", methods=["POST"])
@login_required
def dismiss_view(interaction_id: int):
    _staff_only()
    try:
        dismiss(current_user, _queued(interaction_id))
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("crm_interactions.queue"))
    db.session.commit()
    flash(_("The interaction has been dismissed."), "success")
    return redirect(url_for("crm_interactions.queue"))


@bp.route("/crm/members/<username>/interactions", methods=["POST"])
@login_required
def add_by_hand(username: str):
    """Staff note a call, a mail or a message with the member, on their profile."""
    _staff_only()
    member = _member(username)
    form = request.form
    try:
        at = parse_time(form["occurred_at"]) if form.get("occurred_at", "").strip() else None
        text = form.get("text", "").strip()
        if not text:
            raise ValidationFailed(_l("Please correct the marked fields."), {"text": _l("Say what was said.")})
        row, _created = record_interaction(channel=form.get("channel", ""), direction=form.get("direction", ""),
                                           handle=form.get("handle", ""), text=text, url=form.get("url", "").strip(),
                                           occurred_at=at, by=current_user, member=member)
        audit(current_user, "interaction_added", ensure_profile(member), interaction_id=row.id, channel=row.channel)
    except ServiceError as exc:
        db.session.rollback()
        flash(" ".join(str(m) for m in exc.fields.values()) or str(exc.message), "error")
        return _back(member)
    db.session.commit()
    flash(_("The interaction has been added to the timeline."), "success")
    return _back(member)


@bp.route("/crm/members/<username>/handles", methods=["POST"])
@login_required
def add_handle_view(username: str):
    _staff_only()
    member = _member(username)
    try:
        add_handle(current_user, member, request.form.get("channel", ""), request.form.get("handle", ""))
    except ServiceError as exc:
        db.session.rollback()
        flash(" ".join(str(m) for m in exc.fields.values()) or str(exc.message), "error")
        return _back(member)
    db.session.commit()
    flash(_("The handle has been saved: interactions from it will reach this profile."), "success")
    return _back(member)


@bp.route("/crm/members/<username>/handles/<int:handle_id>/delete", methods=["POST"])
@login_required
def remove_handle_view(username: str, handle_id: int):
    _staff_only()
    member = _member(username)
    try:
        remove_handle(current_user, member, handle_id)
    except NotPermitted:
        abort(404)
    db.session.commit()
    flash(_("The handle has been removed."), "success")
    return _back(member)


def init_app(app) -> None:
    csrf.exempt(api_bp)  # checked by check_csrf for cookie sessions; bearer requests carry no ambient credential
    app.register_blueprint(api_bp)
    app.register_blueprint(bp)
    app.add_template_global(handles_of, "crm_handles_of")
    app.add_template_global(identities_of, "crm_identities_of")
    app.add_template_global(response_times, "interaction_response_times")
    app.add_template_global(CHANNEL_LABELS, "interaction_channels")
