"""Groups of members, who is in them, and the group-visible boards they may read."""
from __future__ import annotations

from datetime import datetime

from flask import has_request_context
from flask_babel import get_locale
from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class Group(db.Model):
    """A named group ("Beta testers"): a badge beside its members' names (when shown) and board access."""

    __tablename__ = "member_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80), unique=True)  # case-folded: names are unique ignoring case
    name_zh: Mapped[str] = mapped_column(String(80), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    show_badge: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def local_name(self) -> str:
        """The name in the reader's language (Simplified Chinese when set and chosen), else the English one."""
        locale = get_locale() if has_request_context() else None
        return self.name_zh if self.name_zh and locale is not None and locale.language == "zh" else self.name

    def __repr__(self) -> str:
        return f"<Group {self.name}>"


class GroupMember(db.Model):
    __tablename__ = "group_members"
    __table_args__ = (Index("ix_group_members_member_id", "member_id"),)

    group_id: Mapped[int] = mapped_column(ForeignKey("member_groups.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class BoardGroup(db.Model):
    """A group that may read a board whose visibility is `groups` (staff always may)."""

    __tablename__ = "board_groups"
    __table_args__ = (Index("ix_board_groups_group_id", "group_id"),)

    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("member_groups.id", ondelete="CASCADE"), primary_key=True)
