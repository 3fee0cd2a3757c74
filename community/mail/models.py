"""The outbox of messages, members' mail preferences, the admin's mail settings, notifications waiting."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class MailMessage(db.Model):
    """One rendered message waiting to go out, or gone out (the outbox).

    A message is due while `sent_at` and `failed_at` are empty and `next_try_at` has passed. A sender
    claims it by moving `locked_until` forward in one conditional UPDATE, so two processes never send
    the same message at once; a failure sets `next_try_at` further away each time (exponential backoff)
    until `MAIL_MAX_ATTEMPTS`, then `failed_at`.
    """

    __tablename__ = "mail_messages"
    __table_args__ = (Index("ix_mail_messages_due", "sent_at", "next_try_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)  # extra headers (List-Unsubscribe ...)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status(self) -> str:
        if self.sent_at is not None:
            return "sent"
        if self.failed_at is not None:
            return "failed"
        return "queued"


class MailPreference(db.Model):
    """What a member wants by mail. No row: the defaults (`MAIL_DEFAULT_KINDS`, no digest)."""

    __tablename__ = "mail_preferences"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    kinds: Mapped[list] = mapped_column(JSON, default=list)  # email kinds (see preferences.EMAIL_KINDS)
    digest: Mapped[str] = mapped_column(String(8), default="off")  # off, daily, weekly
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailSettings(db.Model):
    """The admin's mail settings (one row, id 1). Empty values fall back to the configuration."""

    __tablename__ = "mail_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_name: Mapped[str] = mapped_column(String(100), default="")
    base_url: Mapped[str] = mapped_column(String(255), default="")
    mail_from: Mapped[str] = mapped_column(String(254), default="")
    disabled: Mapped[list] = mapped_column(JSON, default=list)  # message types turned off
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PendingNotificationMail(db.Model):
    """A stored notification that may become a mail once `due_at` passes, unless seen on the site first."""

    __tablename__ = "mail_pending_notifications"

    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"),
                                                 primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
