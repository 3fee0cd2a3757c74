"""Stored notifications and thread follows."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from ..forum.models import Post, Thread
from ..members.models import Member


class NotificationKind(str, enum.Enum):
    """The kinds known today. The column is a plain string so that an area can add a kind without a
    migration; `notify` accepts any of these or a short lower-case string of the same form."""

    reply = "reply"                      # a reply to my thread (I follow it) or to my post
    quote = "quote"                      # a reply that quotes my post
    mention = "mention"                  # @username in a post
    official_answer = "official_answer"  # staff replied in a thread I follow
    idea_status = "idea_status"          # an idea I voted on or follow changed status
    badge = "badge"
    flag_outcome = "flag_outcome"
    moderation = "moderation"
    answer_accepted = "answer_accepted"
    reward = "reward"
    trust_level = "trust_level"
    bookmark_reminder = "bookmark_reminder"  # a bookmark's reminder is due (community/bookmarks)


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # the list (newest first) and the unread count, both per member
        Index("ix_notifications_member_created", "member_id", "created_at"),
        Index("ix_notifications_member_read", "member_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id])
    thread: Mapped[Thread | None] = relationship(foreign_keys=[thread_id])
    post: Mapped[Post | None] = relationship(foreign_keys=[post_id])

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} for {self.member_id}>"


class ThreadFollow(db.Model):
    """A member who wants to hear about a thread (its author follows it from the start)."""

    __tablename__ = "thread_follows"

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoardFollow(db.Model):
    """A member who wants new threads of a board in their digest."""

    __tablename__ = "board_follows"

    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
