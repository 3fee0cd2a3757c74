"""API tokens: sign-in tokens, personal access tokens and admin API keys, stored as SHA-256 hashes."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..members.models import Member


class TokenKind(str, enum.Enum):
    login = "login"        # POST /api/v1/tokens: username/email + password, expires
    personal = "personal"  # made by a member on the settings page
    key = "key"            # an admin API key for an integration, acting as a chosen member


class Scope(str, enum.Enum):
    read = "read"
    write = "write"
    moderate = "moderate"
    crm = "crm"
    admin = "admin"  # /api/v1/admin (boards, roles): admins only, whatever the scope


class ApiToken(db.Model):
    """A bearer token; only the SHA-256 of its secret is kept, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    kind: Mapped[TokenKind] = mapped_column(enum_type(TokenKind))
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a token in lists
    scopes: Mapped[str] = mapped_column(String(64))   # space-separated Scope values
    # A sign-in token ends with the member's other sessions (password change, suspension).
    session_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    created_by: Mapped[Member | None] = relationship(foreign_keys=[created_by_id])

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def is_active(self, now=None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
