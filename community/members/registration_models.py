"""Rows of registration (community/members/registration.py): invitation links and the approval queue."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, enum_type, utcnow
from ..extensions import db
from .models import Member


class Invite(db.Model):
    """A link staff hand out: `/invite/<token>` lets up to `max_uses` people register until it expires.

    Only the SHA-256 of the token is kept (the link is shown once, when it is made). `uses` moves with a
    conditional `UPDATE ... WHERE uses < max_uses`, so a link is never used more often than allowed.
    """

    __tablename__ = "registration_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(254), default="")      # who it is meant for ("" anyone)
    email_key: Mapped[str] = mapped_column(String(254), default="")
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[Member | None] = relationship(foreign_keys=[created_by_id], lazy="joined")

    def state(self, now: datetime | None = None) -> str:
        """`active`, `revoked`, `used` (every use spent) or `expired`."""
        now = now or utcnow()
        if self.revoked_at is not None:
            return "revoked"
        if self.uses >= self.max_uses:
            return "used"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class ApprovalStatus(str, enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class MemberApproval(db.Model):
    """An account registered while `registration.mode` was `approval`: it may not sign in until approved.

    No row: the account needed no approval (open mode, an invitation, made by an admin or a command).
    """

    __tablename__ = "member_approvals"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[ApprovalStatus] = mapped_column(enum_type(ApprovalStatus), default=ApprovalStatus.pending,
                                                   index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(1000), default="")

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined")
    decided_by: Mapped[Member | None] = relationship(foreign_keys=[decided_by_id])
