"""Sign-in providers (OpenID Connect) an admin configured, and the identities members linked to them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedText
from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from ..members.models import Member


class SsoProvider(db.Model):
    """An OpenID Connect provider configured in the admin area (the one in `OIDC_*` has no row)."""

    __tablename__ = "sso_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)  # in the redirect URI: /sso/<slug>/callback
    name: Mapped[str] = mapped_column(String(64))               # "Sign in with <name>"
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(300))
    # the token request sends it, so it is kept decryptable (encrypted at rest, community/crypto.py);
    # shown to nobody after it is saved
    client_secret: Mapped[str] = mapped_column(EncryptedText, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SsoIdentity(db.Model):
    """A member's account at a provider: (provider slug, subject) signs that member in, and only them."""

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    # what the provider said at the last sign-in (shown in settings and on the CRM profile)
    email: Mapped[str] = mapped_column(String(254), default="")
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    username: Mapped[str] = mapped_column(String(255), default="")  # preferred_username: a social handle
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
