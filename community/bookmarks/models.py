"""A member's bookmark on a thread or a post, with an optional note and reminder."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from ..forum.models import Post, Thread


class Bookmark(db.Model):
    """Exactly one of `thread_id` / `post_id` is set; `target` ("thread:<id>" or "post:<id>") makes a
    target unique per member (a unique constraint over two nullable columns would not)."""

    __tablename__ = "bookmarks"
    __table_args__ = (
        UniqueConstraint("member_id", "target"),
        CheckConstraint("(thread_id IS NULL) <> (post_id IS NULL)", name="thread_or_post"),
        Index("ix_bookmarks_member_created", "member_id", "created_at"),
        Index("ix_bookmarks_remind_at", "remind_at"),  # the reminder job looks for due ones
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(String(255), default="")
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[Thread | None] = relationship(foreign_keys=[thread_id])
    post: Mapped[Post | None] = relationship(foreign_keys=[post_id])

    def __repr__(self) -> str:
        return f"<Bookmark {self.target} of {self.member_id}>"
