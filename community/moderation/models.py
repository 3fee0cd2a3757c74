"""Flags, the review queue and the moderation log."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..forum.models import Post, Thread
from ..members.models import Member

if TYPE_CHECKING:
    from ..conversations.models import Message  # resolved by name: conversations imports moderation's views


class FlagReason(str, enum.Enum):
    spam = "spam"
    abusive = "abusive"
    off_topic = "off_topic"
    needs_staff = "needs_staff"
    other = "other"


class ReviewKind(str, enum.Enum):
    flagged_post = "flagged_post"      # members flagged a post
    pending_post = "pending_post"      # a new member's post waits for approval
    reported_member = "reported_member"
    flagged_message = "flagged_message"  # a private message reported by a participant (that message only)
    appeal = "appeal"                  # an author asks the moderators to undo an action on their content


class ReviewStatus(str, enum.Enum):
    pending = "pending"
    agreed = "agreed"          # the flags were upheld
    disagreed = "disagreed"
    ignored = "ignored"
    approved = "approved"
    rejected = "rejected"


class ReviewItem(db.Model):
    """One thing in the review queue: a flagged post, a post waiting for approval, or a reported member.

    A post has at most one pending item at a time; once it is resolved, new flags open a new one.
    """

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReviewKind] = mapped_column(enum_type(ReviewKind, 24))
    status: Mapped[ReviewStatus] = mapped_column(enum_type(ReviewStatus, 24), default=ReviewStatus.pending)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    # a flagged private message (community/conversations); member_id is then its author
    message_id: Mapped[int | None] = mapped_column(ForeignKey("conversation_messages.id", ondelete="CASCADE"),
                                                   index=True)
    weight: Mapped[float] = mapped_column(Float, default=0.0)  # the sum of the flags' weights, moved in SQL
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    # An appeal (community/moderation/appeals.py): the action appealed against (one appeal per action) and
    # what the author wrote.
    action_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_actions.id", ondelete="CASCADE"),
                                                  unique=True)
    statement: Mapped[str] = mapped_column(Text, default="")

    post: Mapped[Post | None] = relationship(foreign_keys=[post_id])
    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    resolved_by: Mapped[Member | None] = relationship(foreign_keys=[resolved_by_id])
    message: Mapped[Message | None] = relationship("Message", foreign_keys=[message_id])
    flags: Mapped[list[Flag]] = relationship(back_populates="item", order_by="Flag.created_at",
                                             lazy="selectin")
    action: Mapped[ModerationAction | None] = relationship("ModerationAction", foreign_keys=[action_id])

    @property
    def is_pending(self) -> bool:
        return self.status is ReviewStatus.pending


class Flag(db.Model):
    """A member's flag on a post (or report of a member): one per member per post, one per member per member."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("post_id", "flagger_id"), UniqueConstraint("member_id", "flagger_id"),
                      Index("uq_flags_message_id_flagger_id", "message_id", "flagger_id", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("conversation_messages.id", ondelete="CASCADE"))
    flagger_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    reason: Mapped[FlagReason] = mapped_column(enum_type(FlagReason, 24))
    note: Mapped[str] = mapped_column(String(500), default="")
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[ReviewItem] = relationship(back_populates="flags")
    flagger: Mapped[Member] = relationship(foreign_keys=[flagger_id], lazy="joined")


class ModerationAction(db.Model):
    """One line of the moderation log: who did what to which target, why, and when.

    `reason_code` is a fixed category (a flag reason, "manual", ...) that the public transparency page
    may count; `reason` is the moderator's own words, shown to staff (and to the member concerned).
    """

    __tablename__ = "moderation_actions"
    __table_args__ = (Index("ix_moderation_actions_created", "created_at"),
                      Index("ix_moderation_actions_action_created", "action", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    reason_code: Mapped[str] = mapped_column(String(32), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id])
    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    thread: Mapped[Thread | None] = relationship(foreign_keys=[thread_id])
    post: Mapped[Post | None] = relationship(foreign_keys=[post_id])
