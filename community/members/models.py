"""The Member model and its roles."""
from __future__ import annotations

import enum
import unicodedata
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, enum_type, utcnow
from ..extensions import db


class Role(str, enum.Enum):
    """What a member is to the community; each role includes the powers of those before it."""

    member = "member"
    moderator = "moderator"
    staff = "staff"
    admin = "admin"


# Names: invisible letters that are not format characters (Hangul fillers, the braille blank).
_INVISIBLE = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}


def clean_name(text: str) -> str:
    """Return `text` in NFKC with invisible and control characters removed and spaces collapsed."""
    text = text or ""
    if text.isascii() and text.isprintable():  # most names: nothing to strip (names render once per post)
        return " ".join(text.split())
    text = unicodedata.normalize("NFKC", text or "")
    kept = "".join(ch for ch in text
                   if unicodedata.category(ch) not in ("Cf", "Cc", "Co", "Cs", "Cn") and ch not in _INVISIBLE)
    return " ".join(kept.split())


def username_key(username: str) -> str:
    """Return the case-insensitive form under which usernames are unique."""
    return username.strip().casefold()


def email_key(email: str) -> str:
    """Return the case-insensitive form under which emails are unique."""
    return email.strip().casefold()


class Member(UserMixin, db.Model):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[Role] = mapped_column(enum_type(Role),
                                       default=Role.member)
    locale: Mapped[str | None] = mapped_column(String(16))
    # IANA zone name (community/localtime): times are shown in it; taken from the browser on first visit.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # "Mark all as read" (community/unread): threads started before this are no longer "new" for the member.
    marked_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped to end every session and remember-me cookie of this member (password change, suspension).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    # Sum of the reputation ledger, moved in SQL with every ledger row (the ledger is the truth).
    reputation: Mapped[int] = mapped_column(Integer, default=0)
    # Spendable reward points: sum of the points ledger (earned minus spent), moved in SQL.
    points: Mapped[int] = mapped_column(Integer, default=0)
    trust_level: Mapped[int] = mapped_column(Integer, default=0)
    trust_level_locked: Mapped[bool] = mapped_column(Boolean, default=False)  # set by staff by hand
    thread_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moderation (community/moderation): silenced members read but do not post; suspended members
    # cannot sign in. Both end by themselves at the time given; the reason is shown to the member.
    silenced_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    silenced_reason: Mapped[str] = mapped_column(String(255), default="")
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_reason: Mapped[str] = mapped_column(String(255), default="")
    # Set when the member deleted their account: name, email, bio and password are gone, posts stay
    # under "Deleted member" (community/members/services.delete_account).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the member proved they read mail at `email` (a verification or password-reset link,
    # community/mail); cleared never, since a changed address only takes effect once proven.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Avatars (community/avatars): the id of the member's uploaded picture (public: shown to everyone
    # who sees the member's name), and the colour of the letter avatar chosen in settings (None: one
    # derived from the member id).
    avatar_upload_id: Mapped[str | None] = mapped_column(String(40))
    avatar_color: Mapped[int | None] = mapped_column(Integer)
    # What the member agreed to in /settings (off until they say yes), and when they last chose; the CRM
    # profile keeps a copy through the `consent_changed` signal, and its exports and segments respect it.
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_marketing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_research: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_research_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The secret of the sign-in session this request runs under (community/members/sessions.py); it
    # is what Flask-Login keeps in the signed session cookie and the remember cookie.
    session_secret = None  # str | None
    session_key = None  # str | None: its SHA-256, the MemberSession id

    def get_id(self) -> str:
        return f"{self.id}:{self.session_secret or '-'}"

    @property
    def name(self) -> str:
        """Return the name to show: the display name, else the username ("Deleted member" once deleted)."""
        if self.deleted_at is not None:
            return str(_l("Deleted member"))
        if self.display_name:
            # names stored before invisible characters were stripped
            return clean_name(self.display_name) or self.username
        return self.username

    @property
    def email_verified(self) -> bool:
        """Whether the current address is proven (only then may it link a CRM contact)."""
        return self.email_verified_at is not None and self.deleted_at is None

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.moderator, Role.admin)

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.staff, Role.admin)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def __repr__(self) -> str:
        return f"<Member {self.username}>"


class MemberSession(db.Model):
    """One signed-in browser: a row per sign-in, deleted to end it (sign-out, password change ...).

    The cookie carries a random secret; only its SHA-256 (the `id`) is kept, so a copy of this table
    signs nobody in.
    """

    __tablename__ = "member_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(64), default="")  # where it signed in from (shown in settings)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MemberSignIn(db.Model):
    """One sign-in, kept after sign-out for the sign-in history (staff, and the member themself);
    pruned after SIGN_IN_HISTORY_DAYS by the scheduled job `members.prune_sign_ins`."""

    __tablename__ = "member_sign_ins"
    __table_args__ = (Index("ix_member_sign_ins_member_created", "member_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
