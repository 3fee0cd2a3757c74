"""Activity a member's trust level is computed from: visits, reading progress and counters."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class MemberStats(db.Model):
    """Counters of one member's activity, each moved with atomic SQL (upserts), never in Python."""

    __tablename__ = "member_stats"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    days_visited: Mapped[int] = mapped_column(Integer, default=0)
    topics_entered: Mapped[int] = mapped_column(Integer, default=0)  # threads with a ThreadRead row
    posts_read: Mapped[int] = mapped_column(Integer, default=0)  # sum of ThreadRead.last_read_number
    likes_given: Mapped[int] = mapped_column(Integer, default=0)  # upvotes cast, retractions subtracted
    likes_received: Mapped[int] = mapped_column(Integer, default=0)  # upvotes on the member's posts
    flags_against: Mapped[int] = mapped_column(Integer, default=0)  # moved by the flag feature
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberVisit(db.Model):
    """One row per member per UTC day on which they came by."""

    __tablename__ = "member_visits"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class ThreadRead(db.Model):
    """How far a member has read a thread: every post up to `last_read_number` has been shown to them."""

    __tablename__ = "thread_reads"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    last_read_number: Mapped[int] = mapped_column(Integer, default=0)
    # The value before the latest advance: the upsert returns both, so the posts newly read are
    # known from one atomic statement (concurrent page views never count a post twice).
    previous_read_number: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
