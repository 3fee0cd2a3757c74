"""Members' uploads: who uploaded what (`Upload`) and which posts use it (`PostUpload`).

The id is the stored file's name (`<32 hex>.<ext>`, community/uploads/storage.py), so `/uploads/<id>`
finds its row without another key. Files stored without a row (the logo, the favicon) are the site's own
and public. A large image also has a thumbnail, a second stored file named in `thumb_id`; it is read
under the same rule as the full picture.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class Upload(db.Model):
    __tablename__ = "uploads"
    # the daily quota counts a member's uploads of the last 24 hours; the pruner looks for old unused ones
    __table_args__ = (Index("ix_uploads_owner_created", "owner_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8))  # "image" or "file"
    content_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    thumb_id: Mapped[str | None] = mapped_column(String(48), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PostUpload(db.Model):
    """A post whose body shows or links an upload (filled from the rendered body on every save)."""

    __tablename__ = "post_uploads"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
