"""The reputation ledger, badges and the badges members hold."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..forum.models import Post, Thread
from ..members.models import Member


class ReputationReason(str, enum.Enum):
    """Why a member's reputation moved."""

    upvote_received = "upvote_received"
    downvote_received = "downvote_received"
    vote_retracted = "vote_retracted"  # a vote taken back or changed: the earlier entry reversed
    answer_accepted = "answer_accepted"
    answer_unaccepted = "answer_unaccepted"  # undone or replaced by another answer
    badge = "badge"
    staff_adjustment = "staff_adjustment"
    reaction_received = "reaction_received"
    reaction_removed = "reaction_removed"  # a reaction taken back or changed: the earlier entry reversed


class BadgeLevel(str, enum.Enum):
    bronze = "bronze"
    silver = "silver"
    gold = "gold"



class ReputationEntry(db.Model):
    """One change of a member's reputation: who, why, when. Member.reputation is the sum of these."""

    __tablename__ = "reputation_entries"
    __table_args__ = (
        Index("ix_reputation_entries_member_created", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[ReputationReason] = mapped_column(enum_type(ReputationReason, 24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # the voter, accepter or staff
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    badge_id: Mapped[int | None] = mapped_column(ForeignKey("badges.id"))
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id])
    post: Mapped[Post | None] = relationship()
    thread: Mapped[Thread | None] = relationship()
    badge: Mapped[Badge | None] = relationship()

    def __repr__(self) -> str:
        return f"<ReputationEntry {self.member_id} {self.delta:+d} {self.reason.value}>"


class Badge(db.Model):
    """A badge. Built-in badges (rule None) take their rule, name and description from the registry in
    `community.reputation.badges`; custom badges (defined by admins) carry them here: a rule kind from
    `badges.RULES` with its threshold, and an optional Simplified Chinese name and description."""

    __tablename__ = "badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(255), default="")
    icon: Mapped[str] = mapped_column(String(16), default="")
    level: Mapped[BadgeLevel] = mapped_column(enum_type(BadgeLevel, 16), default=BadgeLevel.bronze)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    name_zh: Mapped[str] = mapped_column(String(100), default="", server_default="")
    description_zh: Mapped[str] = mapped_column(String(255), default="", server_default="")
    rule: Mapped[str | None] = mapped_column(String(32))  # None: a built-in badge (rules in code)
    threshold: Mapped[int | None] = mapped_column(Integer)
    # A disabled badge is granted to nobody new and left off /badges; those who hold it keep it.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    @property
    def custom(self) -> bool:
        return self.rule is not None

    def __repr__(self) -> str:
        return f"<Badge {self.slug}>"


class BadgeGrant(db.Model):
    """A badge a member earned; a member holds each badge at most once."""

    __tablename__ = "badge_grants"
    __table_args__ = (UniqueConstraint("member_id", "badge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    badge_id: Mapped[int] = mapped_column(ForeignKey("badges.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))  # the post that earned it, if any
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    badge: Mapped[Badge] = relationship()
    member: Mapped[Member] = relationship()
