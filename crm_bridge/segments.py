"""Marketing segments: a saved set of the member filters of /crm/members, counted live, exported, messaged.

A segment stores the filters, not the members: `segment_members(segment)` is a select of member ids
evaluated when asked, so counts are always current.

Every change writes an **outbox event** in the same transaction (crm_bridge/outbox.py: `segment.saved`,
`segment.deleted`), so connectors (party categories in Tryton) and webhooks pick it up after commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.conversations import services as conversations
from community.dbtypes import UTCDateTime, utcnow
from community.errors import Conflict, NotPermitted, ServiceError, ValidationFailed
from community.extensions import db
from community.forum.models import Board, Post, Thread
from community.mail import tokens
from community.mail.compose import compose, enqueue, link
from community.members.models import Member
from community.members.services import set_consent

from . import timeline
from .models import CrmProfile, PostSentiment, Stage
from .outbox import write
from .services import export_csv, profiles_query


class Segment(db.Model):
    """A named, saved member filter."""
    __tablename__ = "crm_segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    created_by: Mapped[Member | None] = relationship(foreign_keys=[created_by_id])


class SegmentMessage(db.Model):
    """One message staff sent to a segment (by mail or private message): for the rate limit and the record."""
    __tablename__ = "crm_segment_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("crm_segment.id", ondelete="SET NULL"), index=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(8))  # mail, message
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# ---- filters ------------------------------------------------------------------------------------------

# The filters a segment may store: the member list's (/crm/members) plus boards active in and sentiment.
FILTER_KEYS = ("q", "stage", "tag", "group", "active", "min_engagement", "min_advocacy", "min_risk", "consent",
               "board", "sentiment")
ACTIVE_DAYS = ("7", "30", "90", "180", "365")
SENTIMENTS = ("negative", "neutral", "positive")
SENTIMENT_DAYS = 90  # sentiment: the average of the member's posts scored in the last 90 days
NAME_MAX = 80


def _bad(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, {field: message})


def parse_filters(raw: dict) -> dict:
    """Keep the known, non-empty filters of `raw` (a form or JSON), checked; raise ValidationFailed on a bad one."""
    out: dict = {}
    for key in FILTER_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        value = str(value).strip()[:100]
        if not value:
            continue
        if key == "stage" and value not in Stage.__members__:
            raise _bad(key, _l("Unknown stage."))
        if key == "consent" and value not in ("marketing", "research"):
            raise _bad(key, _l("Consent is marketing or research."))
        if key == "active" and value not in ACTIVE_DAYS:
            raise _bad(key, _l("Last active is 7, 30, 90, 180 or 365 days."))
        if key.startswith("min_") and (not value.isdigit() or int(value) > 100):
            raise _bad(key, _l("Score filters are whole numbers from 0 to 100."))
        if key == "group" and (not value.isdigit() or len(value) > 12):
            raise _bad(key, _l("Choose a group from the list."))
        if key == "sentiment" and value not in SENTIMENTS:
            raise _bad(key, _l("Sentiment is negative, neutral or positive."))
        if key == "board" and db.session.scalar(select(Board.id).where(Board.slug == value)) is None:
            raise _bad(key, _l("No board with that address."))
        out[key] = value
    return out


def members_query(filters: dict):
    """A select of the member ids that match `filters` (as stored by `parse_filters`), live members only."""
    minimum = {name: int(filters[f"min_{name}"]) for name in ("engagement", "advocacy", "risk")
               if filters.get(f"min_{name}")}
    query = profiles_query(q=filters.get("q", ""), stage=filters.get("stage", ""), tag=filters.get("tag", ""),
                           active_within=int(filters["active"]) if filters.get("active") else None,
                           minimum=minimum, group_id=int(filters["group"]) if filters.get("group") else None,
                           consent=filters.get("consent", ""))
    query = query.where(Member.deleted_at.is_(None)).order_by(None)
    if filters.get("board"):
        query = query.where(CrmProfile.member_id.in_(
            select(Post.author_id).join(Thread, Post.thread_id == Thread.id).join(Board, Thread.board_id == Board.id)
            .where(Board.slug == filters["board"], Post.deleted_at.is_(None))))
    if filters.get("sentiment"):
        since = utcnow() - timedelta(days=SENTIMENT_DAYS)
        avg = (select(PostSentiment.member_id).where(PostSentiment.created_at >= since)
               .group_by(PostSentiment.member_id))
        score = func.avg(PostSentiment.score)
        avg = avg.having({"negative": score < -0.05, "neutral": score.between(-0.05, 0.05),
                          "positive": score > 0.05}[filters["sentiment"]])
        query = query.where(CrmProfile.member_id.in_(avg))
    return query.with_only_columns(CrmProfile.member_id)


def segment_members(segment: Segment):
    """A select of the ids of the members in `segment`, evaluated now (counts are always live)."""
    return members_query(segment.filters or {})


def _count_of(segment: Segment):
    """The select of how many members `segment` holds now (one builder for `segment_count` and `segment_counts`)."""
    return select(func.count()).select_from(segment_members(segment).subquery())


def segment_count(segment: Segment) -> int:
    return db.session.scalar(_count_of(segment)) or 0


def segment_counts(segments: list[Segment]) -> dict[int, tuple[int, int]]:
    """`{segment id: (members, reachable)}` for a page of segments in one statement, whatever their number:
    each segment's two live counts are scalar subqueries of one SELECT (lists used to run two per segment)."""
    if not segments:
        return {}
    columns = []
    for segment in segments:
        columns.append(_count_of(segment).scalar_subquery())
        columns.append(select(func.count()).select_from(
            reachable_query(segment).with_only_columns(Member.id).order_by(None).subquery()).scalar_subquery())
    row = db.session.execute(select(*columns)).one()
    return {segment.id: (int(row[2 * i] or 0), int(row[2 * i + 1] or 0)) for i, segment in enumerate(segments)}


# ---- services (they flush, never commit) ----------------------------------------------------------------

def _payload(segment: Segment) -> dict:
    return {"id": segment.id, "name": segment.name, "filters": dict(segment.filters or {})}


def _emit(event_type: str, segment: Segment, by=None) -> None:
    db.session.flush()
    write(event_type, {"segment": _payload(segment),
                       "by": None if by is None else {"id": by.id, "username": by.username}})


def save_segment(name: str, filters: dict, by: Member | None = None, segment: Segment | None = None) -> Segment:
    """Save (or rename and refilter) a segment; the name is unique."""
    name = (name or "").strip()[:NAME_MAX]
    if not name:
        raise _bad("name", _l("A segment needs a name."))
    filters = parse_filters(filters)
    clash = db.session.scalar(select(Segment).where(func.lower(Segment.name) == name.lower()))
    if clash is not None and clash is not segment:
        raise Conflict(_l("A segment with that name exists already."), {"name": _l("Taken.")})
    now = utcnow()
    if segment is None:
        segment = Segment(name=name, filters=filters, created_by_id=getattr(by, "id", None), created_at=now,
                          updated_at=now)
        db.session.add(segment)
    else:
        segment.name, segment.filters, segment.updated_at = name, filters, now
    _emit("segment.saved", segment, by)
    return segment


def delete_segment(segment: Segment, by: Member | None = None) -> None:
    _emit("segment.deleted", segment, by)
    db.session.delete(segment)
    db.session.flush()


# ---- export, messaging, unsubscribing ----------------------------------------------------------------------

DEFAULTS = {
    "CRM_SEGMENT_MESSAGES_PER_DAY": 5,        # messages to segments, by all staff together, in 24 hours
    "CRM_SEGMENT_MESSAGE_GAP_HOURS": 24,      # one message per segment per this many hours
    "CRM_SEGMENT_MAX_RECIPIENTS": 2000,       # larger segments are refused: use the mail provider instead
}
CHANNELS = ("mail", "message")
SUBJECT_MAX, BODY_MAX = 200, 10000
UNSUBSCRIBE_KIND = "marketing"


def reachable_query(segment: Segment):
    """The members of `segment` who said yes to marketing: the only ones exported or messaged."""
    return (select(Member).where(Member.id.in_(segment_members(segment)), Member.consent_marketing.is_(True),
                                 Member.deleted_at.is_(None)).order_by(Member.id))


def export_segment(segment: Segment) -> str:
    """The segment as CSV, the member list's columns (formula-safe cells), members who consented to marketing only."""
    profiles = db.session.scalars(
        select(CrmProfile).where(CrmProfile.member_id.in_(reachable_query(segment).with_only_columns(Member.id)))
        .order_by(CrmProfile.member_id)).all()
    return export_csv(profiles)


def _config(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def check_rate(segment: Segment, now: datetime) -> None:
    """Refuse a message over the limits: per segment and for all staff together (NotPermitted, 403)."""
    gap = now - timedelta(hours=_config("CRM_SEGMENT_MESSAGE_GAP_HOURS"))
    last = db.session.scalar(select(func.max(SegmentMessage.created_at)).where(SegmentMessage.segment_id == segment.id))
    if last is not None and last > gap:
        raise NotPermitted(_l("This segment had a message less than %(hours)d hours ago; wait before the next.",
                              hours=_config("CRM_SEGMENT_MESSAGE_GAP_HOURS")))
    today = db.session.scalar(select(func.count()).select_from(SegmentMessage)
                              .where(SegmentMessage.created_at > now - timedelta(days=1))) or 0
    if today >= _config("CRM_SEGMENT_MESSAGES_PER_DAY"):
        raise NotPermitted(_l("The team has sent %(n)d segment messages in the last 24 hours, the most allowed.",
                              n=today))


def unsubscribe_url(member: Member) -> str:
    return link("crm_segments.unsubscribe", token=tokens.make(tokens.UNSUBSCRIBE, {"m": member.id, "k": UNSUBSCRIBE_KIND}))


def message_segment(segment: Segment, staff: Member, channel: str, subject: str, body: str) -> SegmentMessage:
    """Send `subject`/`body` to every consenting member of the segment, by mail or private message.

    Each mail carries a one-click unsubscribe (List-Unsubscribe-Post) that withdraws marketing consent; a
    private message carries the same link. Each recipient's timeline records the message. Rate limited.
    """
    if channel not in CHANNELS:
        raise _bad("channel", _l("Send by mail or as a private message."))
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or len(subject) > SUBJECT_MAX:
        raise _bad("subject", _l("A subject of 1 to %(n)d characters.", n=SUBJECT_MAX))
    if not body or len(body) > BODY_MAX:
        raise _bad("body", _l("A message of 1 to %(n)d characters.", n=BODY_MAX))
    now = utcnow()
    check_rate(segment, now)
    recipients = db.session.scalars(reachable_query(segment).limit(_config("CRM_SEGMENT_MAX_RECIPIENTS") + 1)).all()
    if len(recipients) > _config("CRM_SEGMENT_MAX_RECIPIENTS"):
        raise _bad("channel", _l("This segment has more than %(n)d consenting members: narrow it first.",
                                 n=_config("CRM_SEGMENT_MAX_RECIPIENTS")))
    sent = 0
    for member in recipients:
        if member.id == staff.id:
            continue
        if channel == "mail":
            if not member.email_verified:
                continue
            url = unsubscribe_url(member)
            message = compose(to=member.email, kind="segment", template="segment_message", member=member,
                              segment_subject=subject, segment_body=body, unsubscribe_url=url,
                              preferences_url=link("members.settings", _anchor="consent"))
            message.headers = {**(message.headers or {}), "List-Unsubscribe": f"<{url}>",
                               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
            enqueue(message)
        else:
            text = f"{body}\n\n---\n{_l('No more messages like this:')} {unsubscribe_url(member)}"
            try:
                with db.session.begin_nested():
                    conversations.start_conversation(staff, [member], subject, text)
            except ServiceError:
                continue  # the member blocked the sender: skipped, not counted
        timeline.record(member, "segment_message", at=now, actor=staff, active=False, segment=segment.name,
                        subject=subject, channel=channel)
        sent += 1
    row = SegmentMessage(segment_id=segment.id, sent_by_id=staff.id, channel=channel, subject=subject, body=body,
                         recipients=sent, created_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def unsubscribe_member(token: str) -> Member:
    """Withdraw marketing consent for the member an unsubscribe link names (idempotent); raise TokenInvalid."""
    payload = tokens.read(tokens.UNSUBSCRIBE, token)
    if payload.get("k") != UNSUBSCRIBE_KIND:
        raise tokens.TokenInvalid()
    member = db.session.get(Member, payload["m"])
    if member is None or member.deleted_at is not None:
        raise tokens.TokenInvalid()
    if member.consent_marketing:
        set_consent(member, marketing=False, research=bool(member.consent_research))
    return member

