"""Member follows: a member who wants to hear when another member starts a thread."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class MemberFollow(db.Model):
    """`follower` follows `followed` (one row per pair; nobody follows themself)."""

    __tablename__ = "member_follows"
    __table_args__ = (CheckConstraint("follower_id <> followed_id", name="not_self"),)

    follower_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    followed_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
