"""Reward points, the rewards staff offer, their coupon codes and members' redemptions."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedText
from ..dbtypes import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..members.models import Member


class PointsReason(str, enum.Enum):
    earned = "earned"  # from reputation earned (see community.rewards.services.earn_points)
    redeemed = "redeemed"  # spent on a reward
    refund = "refund"  # a cancelled redemption given back
    staff_grant = "staff_grant"  # given (or taken, when negative) by staff by hand


class PointsEntry(db.Model):
    """One earn or spend of reward points. Member.points is the sum of these."""

    __tablename__ = "points_entries"
    __table_args__ = (
        # Points are earned once per source ("vote:<post>:<voter>", "answer:<post>", "badge:<id>"),
        # so voting, retracting and voting again cannot mint points.
        UniqueConstraint("member_id", "source"),
        Index("ix_points_entries_member_created", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[PointsReason] = mapped_column(enum_type(PointsReason))
    source: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # staff who granted, if any
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"))
    reputation_entry_id: Mapped[int | None] = mapped_column(ForeignKey("reputation_entries.id"))
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id])
    redemption: Mapped[Redemption | None] = relationship(foreign_keys=[redemption_id])


class RewardKind(str, enum.Enum):
    coupon = "coupon"  # a code the member receives at once
    gift = "gift"  # something staff hand over or ship


class Reward(db.Model):
    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("cost > 0", name="cost_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[RewardKind] = mapped_column(enum_type(RewardKind), default=RewardKind.gift)
    cost: Mapped[int] = mapped_column(Integer)  # in points
    # How many more may be redeemed. For a coupon with a code list: the number of unclaimed codes.
    stock: Mapped[int] = mapped_column(Integer, default=0)
    redeemed_count: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How many times one member may redeem it (cancelled redemptions do not count); None: no limit.
    per_member_limit: Mapped[int | None] = mapped_column(Integer)
    uses_codes: Mapped[bool] = mapped_column(Boolean, default=False)
    # A gift staff post to the member: redeeming it asks for a name, postal address and phone number.
    needs_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    def __repr__(self) -> str:
        return f"<Reward {self.id} {self.name!r}>"


class RewardCode(db.Model):
    """One coupon code of a reward; handed to exactly one redemption."""

    __tablename__ = "reward_codes"
    __table_args__ = (
        UniqueConstraint("reward_id", "code"),
        UniqueConstraint("redemption_id"),
        Index("ix_reward_codes_reward_claimed", "reward_id", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    code: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RedemptionStatus(str, enum.Enum):
    pending = "pending"  # a gift waiting for staff
    fulfilled = "fulfilled"  # handed over (coupons are fulfilled at once)
    cancelled = "cancelled"  # taken back by staff, or by the member before it was handed over; points refunded


class Redemption(db.Model):
    __tablename__ = "redemptions"
    __table_args__ = (Index("ix_redemptions_member_created", "member_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"), index=True)
    cost: Mapped[int] = mapped_column(Integer)  # the price paid, kept when the reward's cost changes
    code: Mapped[str | None] = mapped_column(String(128))  # the coupon code handed out, if any
    status: Mapped[RedemptionStatus] = mapped_column(enum_type(RedemptionStatus), default=RedemptionStatus.pending)
    note: Mapped[str] = mapped_column(String(255), default="")  # staff's note (e.g. why cancelled)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # Where to send it (rewards that need shipping only); staff see it with the redemption and on the CRM profile.
    # encrypted at rest (community/crypto.py); the form limits their length
    shipping_name: Mapped[str] = mapped_column(EncryptedText, default="")
    shipping_address: Mapped[str] = mapped_column(EncryptedText, default="")
    shipping_phone: Mapped[str] = mapped_column(EncryptedText, default="")

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    reward: Mapped[Reward] = relationship()
    handled_by: Mapped[Member | None] = relationship(foreign_keys=[handled_by_id])
