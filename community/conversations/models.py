"""Private conversations: their participants, messages, and blocks between members."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from ..members.models import Member


class Conversation(db.Model):
    """A private conversation between members, or between a member and the staff inbox (`is_staff`).

    A staff-inbox conversation has one member participant (who started it); any staff member reads
    and answers it. `awaiting_staff` is true while the member's last message has no staff answer.
    """

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_staff_last", "is_staff", "last_message_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    awaiting_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_id: Mapped[int] = mapped_column(Integer, default=0)
    message_count: Mapped[int] = mapped_column(Integer, default=0)

    started_by: Mapped[Member | None] = relationship(foreign_keys=[started_by_id])
    participants: Mapped[list[Participant]] = relationship(back_populates="conversation", lazy="selectin",
                                                           order_by="Participant.joined_at")


class Participant(db.Model):
    """A member in a conversation: what they read last (`last_read_id`), whether they muted or left it."""

    __tablename__ = "conversation_participants"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    last_read_id: Mapped[int] = mapped_column(Integer, default=0)
    # the last message a mail told them about (mails are sent once per unseen stretch)
    mailed_id: Mapped[int] = mapped_column(Integer, default=0)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    # staff who answered a staff-inbox conversation join it with this set (not the member's side)
    staff_side: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conversation: Mapped[Conversation] = relationship(back_populates="participants")
    member: Mapped[Member] = relationship(lazy="joined")

    @property
    def active(self) -> bool:
        return self.left_at is None


class Message(db.Model):
    """One message: Markdown source and its sanitized HTML, like a post's body."""

    __tablename__ = "conversation_messages"
    __table_args__ = (Index("ix_conversation_messages_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # written by staff in a staff-inbox conversation: shown as "<site name> team (name)"
    from_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conversation: Mapped[Conversation] = relationship()
    author: Mapped[Member | None] = relationship(lazy="joined")


class MemberBlock(db.Model):
    """`blocker` does not want private messages from `blocked`."""

    __tablename__ = "member_blocks"

    blocker_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    blocked: Mapped[Member] = relationship(foreign_keys=[blocked_id], lazy="joined")
