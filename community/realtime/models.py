"""What each member wants delivered live."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class LivePreference(db.Model):
    """A member's live-delivery choices: the notification kinds that should not pop up.

    Muted kinds are still stored and still counted in the header; they only stay silent. No row
    means every kind pops up.
    """

    __tablename__ = "live_preferences"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    muted_kinds: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
