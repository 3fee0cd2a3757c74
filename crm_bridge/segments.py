"""Marketing segments: a saved set of the member filters of /crm/members, counted live, exported, messaged.

A segment stores the filters, not the members: `segment_members(segment)` is a select of member ids
evaluated when asked, so counts are always current.

Every change writes an **outbox event** in the same transaction (crm_bridge/outbox.py: `segment.saved`,
`segment.deleted`), so connectors (party categories in Tryton) and webhooks pick it up after commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.dbtypes import UTCDateTime, utcnow
from community.errors import Conflict, ValidationFailed
from community.extensions import db
from community.forum.models import Board, Post, Thread
from community.members.models import Member

from .models import CrmProfile, PostSentiment, Stage
from .outbox import write
from .services import profiles_query


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


def segment_count(segment: Segment) -> int:
    return db.session.scalar(select(func.count()).select_from(segment_members(segment).subquery())) or 0


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
