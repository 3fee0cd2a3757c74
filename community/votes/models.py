"""A member's up or down vote on a post: one row per member and post, enforced by the database."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class Vote(db.Model):
    """+1 or -1 from `member_id` on `post_id`. A retracted vote is deleted, not stored as 0."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("post_id", "member_id"),
        CheckConstraint("value IN (-1, 1)", name="value_is_up_or_down"),
        # the daily limit counts a member's votes of the last 24 hours
        Index("ix_votes_member_created", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Vote {self.value:+d} by {self.member_id} on post {self.post_id}>"


class VoteEffect(db.Model):
    """A vote whose lagging effects (reputation, reward points, badges, trust likes) are still to be applied.

    Written in the vote's own transaction, so a committed vote always has its marker (or its effects);
    `community/votes/effects.py` applies markers in id order after commit and deletes each in the same
    transaction as its effects, so a crash between the two leaves the marker for the next drain.
    """

    __tablename__ = "vote_effects"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column()
    voter_id: Mapped[int] = mapped_column()
    value: Mapped[int] = mapped_column(SmallInteger)
    previous: Mapped[int] = mapped_column(SmallInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
