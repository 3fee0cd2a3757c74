"""The history of an idea's public status: one row per change, shown in the thread."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..forum.models import IdeaStatus, Thread
from ..members.models import Member


class IdeaStatusEvent(db.Model):
    """Staff changed an idea's status: who, from what, to what, why, and merged into which idea."""

    __tablename__ = "idea_status_events"
    __table_args__ = (Index("ix_idea_status_events_thread_created", "thread_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    previous: Mapped[IdeaStatus | None] = mapped_column(enum_type(IdeaStatus))
    status: Mapped[IdeaStatus] = mapped_column(enum_type(IdeaStatus))
    reason: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    # how many votes the merge carried over to the target (duplicates only)
    votes_carried: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    by: Mapped[Member | None] = relationship(foreign_keys=[by_id])
    duplicate_of: Mapped[Thread | None] = relationship(foreign_keys=[duplicate_of_id])

    def __repr__(self) -> str:
        return f"<IdeaStatusEvent {self.thread_id} {self.previous} -> {self.status}>"
