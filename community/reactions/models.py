"""A member's reaction to a post (one per member and post) and the per-post counts kept in SQL."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from ..forum.models import Post
from ..members.models import Member


class Reaction(db.Model):
    """`kind` (like, thanks, laugh, wow, sad) from `member_id` on `post_id`; taken back = deleted."""

    __tablename__ = "reactions"
    __table_args__ = (
        UniqueConstraint("post_id", "member_id"),
        Index("ix_reactions_member_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()
    post: Mapped[Post] = relationship()

    def __repr__(self) -> str:
        return f"<Reaction {self.kind} by {self.member_id} on post {self.post_id}>"


class ReactionCount(db.Model):
    """How many members reacted `kind` to `post_id`, moved with `n = n + 1` / `n = n - 1` only."""

    __tablename__ = "reaction_counts"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
