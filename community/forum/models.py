"""Boards, threads, posts and their edit history."""
from __future__ import annotations

import enum
from datetime import datetime

from flask import has_request_context
from flask_babel import get_locale
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..members.models import Member


class BoardKind(str, enum.Enum):
    discussion = "discussion"
    question = "question"
    idea = "idea"
    announcement = "announcement"


class IdeaStatus(str, enum.Enum):
    """The public status of an idea, as staff set it."""

    open = "open"
    under_review = "under_review"
    planned = "planned"
    in_progress = "in_progress"
    shipped = "shipped"
    declined = "declined"
    duplicate = "duplicate"


class Visibility(str, enum.Enum):
    """Who may read a board: guests too, signed-in members, staff and admins only, or the members of
    the board's groups (community/groups; staff and admins always)."""

    public = "public"
    members = "members"
    staff = "staff"
    groups = "groups"


class StartPolicy(str, enum.Enum):
    """Who may start threads on a board (replies follow the board's visibility)."""

    members = "members"  # every member who can read the board
    trust = "trust"      # members from the board's start_min_trust level up (moderators and staff always)
    staff = "staff"      # staff and admins only


BOARD_SORTS = ("latest", "new", "hot", "top")



class Board(db.Model):
    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[BoardKind] = mapped_column(enum_type(BoardKind), default=BoardKind.discussion)
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility), default=Visibility.public)
    position: Mapped[int] = mapped_column(Integer, default=0)
    thread_count: Mapped[int] = mapped_column(Integer, default=0)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    last_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Administration (community/admin): the Simplified Chinese name and description (empty: the English
    # ones show), the sort a board opens with, who may start threads, and archiving (read-only).
    name_zh: Mapped[str] = mapped_column(String(100), default="", server_default="")
    description_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    default_sort: Mapped[str] = mapped_column(String(16), default="latest", server_default="latest")
    start_policy: Mapped[StartPolicy] = mapped_column(enum_type(StartPolicy), default=StartPolicy.members,
                                                      server_default=StartPolicy.members.value)
    start_min_trust: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def local_name(self) -> str:
        """The name in the reader's language (Simplified Chinese when set and chosen), else the English one."""
        return self.name_zh if self.name_zh and _reader_language() == "zh" else self.name

    @property
    def local_description(self) -> str:
        return self.description_zh if self.description_zh and _reader_language() == "zh" else (self.description or "")

    def __repr__(self) -> str:
        return f"<Board {self.slug}>"


def _reader_language() -> str:
    if not has_request_context():
        return "en"
    locale = get_locale()
    return locale.language if locale is not None else "en"


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (
        Index("ix_threads_board_last_posted", "board_id", "last_posted_at"),
        Index("ix_threads_board_created", "board_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    title: Mapped[str] = mapped_column(String(255))
    # Replies, not counting the opening post nor deleted posts.
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    # Position given to the next post; posts keep their number for good (links stay valid).
    post_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_poster_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # The opening post's score is the thread's score (kept equal by the vote service, in SQL).
    score: Mapped[int] = mapped_column(Integer, default=0)
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, name="fk_threads_accepted_post_id_posts"))
    idea_status: Mapped[IdeaStatus | None] = mapped_column(enum_type(IdeaStatus))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    locked_reason: Mapped[str] = mapped_column(String(255), default="")
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned_globally: Mapped[bool] = mapped_column(Boolean, default=False)
    # Moderation (community/moderation): a thread whose opening post is hidden or awaits approval is
    # hidden with it; a thread merged into another points there.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set while flags have hidden the opening post alone: the thread and its replies stay readable, and
    # moderators see it marked "under review" until the post is shown again, deleted or the flags reviewed.
    under_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", use_alter=True,
                                                                  name="fk_threads_merged_into_id_threads"))

    board: Mapped[Board] = relationship(lazy="joined", innerjoin=True)
    tags: Mapped[list[Tag]] = relationship(secondary="thread_tags", order_by="Tag.name", lazy="selectin")
    author: Mapped[Member | None] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[Member | None] = relationship(foreign_keys=[last_poster_id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_solved(self) -> bool:
        return self.accepted_post_id is not None

    def __repr__(self) -> str:
        return f"<Thread {self.id} {self.title!r}>"


class Post(db.Model):
    __tablename__ = "posts"
    # created_at: the staff dashboard counts posts per day over a recent window (crm_bridge/dashboard.py)
    __table_args__ = (UniqueConstraint("thread_id", "number"), Index("ix_posts_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1 is the opening post
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # Written by staff at the time: a brand's official word, marked as such for good.
    is_official: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edit_count: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    score: Mapped[int] = mapped_column(Integer, default=0)  # upvotes minus downvotes, moved in SQL
    # Moderation (community/moderation). Hidden: by flags or a moderator, until unhidden. Whisper: a
    # reply only staff and moderators see. Pending: a new member's post waiting for approval.
    # Posts that are hidden, whispers or pending are not counted in reply/post counts.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    hidden_reason: Mapped[str] = mapped_column(String(32), default="")
    is_whisper: Mapped[bool] = mapped_column(Boolean, default=False)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    author: Mapped[Member | None] = relationship(foreign_keys=[author_id])
    reply_to: Mapped[Post | None] = relationship(remote_side=[id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_opening(self) -> bool:
        return self.number == 1

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_public(self) -> bool:
        """Whether every reader of the thread sees this post (not deleted, hidden, pending or a whisper)."""
        return self.deleted_at is None and self.hidden_at is None and not self.pending and not self.is_whisper

    def __repr__(self) -> str:
        return f"<Post {self.id} #{self.number} of thread {self.thread_id}>"


class PostRevision(db.Model):
    """An earlier version of a post, kept when it is edited."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1 is the original text
    title: Mapped[str | None] = mapped_column(String(255))  # the thread title then, for opening posts
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # who wrote that version
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when that version was written
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # who edited it away
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(255), default="")

    author: Mapped[Member | None] = relationship(foreign_keys=[author_id])
    replaced_by: Mapped[Member | None] = relationship(foreign_keys=[replaced_by_id])


class PostMention(db.Model):
    """A member @mentioned in a post (for notifications and the CRM timeline)."""

    __tablename__ = "post_mentions"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)


class Tag(db.Model):
    """A label on threads (lower-case; letters of any script, digits and dashes)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThreadTag(db.Model):
    __tablename__ = "thread_tags"

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True, index=True)
