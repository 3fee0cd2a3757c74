"""Second factors of members: a TOTP authenticator and single-use recovery codes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import EncryptedText
from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class SecondFactor(db.Model):
    """One second factor of a member: a TOTP authenticator app (one per member) or a WebAuthn passkey.

    `last_step` is the TOTP time step of the last accepted code: a code is accepted once, never twice
    (someone who watched it typed cannot use it again within its 30 seconds)."""

    __tablename__ = "member_second_factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="totp")
    # base32 TOTP secret ("" for a passkey), encrypted at rest (community/crypto.py): whoever reads the
    # database must not be able to make a member's codes
    secret: Mapped[str] = mapped_column(EncryptedText)
    last_step: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64), default="")  # a passkey's name, given by the member
    credential_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # passkey, base64url
    public_key: Mapped[str | None] = mapped_column(Text)  # passkey's COSE public key, base64url
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """One single-use recovery code, kept as an Argon2 hash only (shown once, when made)."""

    __tablename__ = "member_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
