"""Sign-in sessions kept on the server, so that ending one works even against a copied cookie.

Each sign-in makes a `MemberSession` row whose random secret travels in the signed session cookie
(and the remember cookie) as the Flask-Login id `"<member id>:<secret>"`. Every request loads the
member together with that row in one query (`load`); a missing or expired row is a guest. Signing out
deletes this row; a password change or reset, a suspension or the removal of a second factor delete
them all (`end_sessions`). Services flush, never commit.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from flask import current_app, g, has_request_context
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy import inspect as sa_inspect

from .. import settings
from ..dbtypes import utcnow
from ..extensions import db
from ..signals import sessions_ended
from .models import Member, MemberSession, MemberSignIn

TOUCH_SECONDS = 300  # last seen is written at most every five minutes, to spare writes
SECRET_MAX = 100


def session_key(secret: str) -> str:
    """Return the id under which a session's secret is stored (its SHA-256, hex)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def lifetime() -> timedelta:
    """How long a session (and a remember cookie) lives without being used: REMEMBER_DAYS."""
    return timedelta(days=int(current_app.config["REMEMBER_DAYS"]))


def start_session(member: Member, *, user_agent: str = "", remember: bool = False, address: str = "") -> str:
    """Open a new session for `member`, attach it to the member object and return its secret.

    Also writes a line of the member's sign-in history (`member_sign_ins`), which outlives the session.
    """
    now = utcnow()
    db.session.add(MemberSignIn(member_id=member.id, created_at=now, address=(address or "")[:64],
                                user_agent=(user_agent or "")[:255]))
    db.session.execute(delete(MemberSession).where(MemberSession.member_id == member.id,
                                                   MemberSession.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    row = MemberSession(id=session_key(secret), member_id=member.id, user_agent=(user_agent or "")[:255],
                        address=(address or "")[:64], remember=bool(remember), created_at=now, last_seen_at=now, expires_at=now + lifetime())
    db.session.add(row)
    db.session.flush()
    member.session_secret, member.session_key = secret, row.id
    return secret


@lru_cache(maxsize=1)
def _member_with_session():
    """The member and their session row, by session key and member id, and the site settings' token (built once per
    process: every signed-in request runs it; the token spares it reading the settings, community/settings.py)."""
    return (select(Member, MemberSession.expires_at, MemberSession.last_seen_at, settings.generation_column())
            .join(MemberSession, MemberSession.member_id == Member.id)
            .where(MemberSession.id == bindparam("key"), Member.id == bindparam("member_id")))


def load(ident: str) -> Member | None:
    """Return the member whose live session `ident` ("<member id>:<secret>") names, else None (one query)."""
    member_id, _sep, secret = (ident or "").partition(":")
    if not member_id.isdigit() or not secret or len(secret) > SECRET_MAX or len(member_id) > 12:
        return None
    key = session_key(secret)
    found = db.session.execute(_member_with_session(), {"key": key, "member_id": int(member_id)}).first()
    if found is None:
        return None
    member, expires_at, last_seen_at, settings_generation = found
    now = utcnow()
    if expires_at <= now:
        return None
    member.session_secret, member.session_key = secret, key
    member._session_last_seen = last_seen_at
    if has_request_context():
        g.session_versions = {member.id: member.session_version}
        settings.note_generation(settings_generation)
    return member


def session_version(member: Member) -> int:
    """The member's session version, without a statement: the loaded attribute, else (after a commit expired
    the member) the value loaded with their session in this request, unless `end_sessions` moved it since."""
    state = sa_inspect(member)
    if "session_version" not in state.dict and state.identity is not None:
        known = g.get("session_versions", {}).get(state.identity[0]) if has_request_context() else None
        if known is not None:
            return known
    return member.session_version


def touch_session(member: Member) -> bool:
    """Move the current session's last-seen time and expiry forward (at most every five minutes)."""
    key = member.session_key
    last = getattr(member, "_session_last_seen", None)
    now = utcnow()
    if key is None or (last is not None and (now - last).total_seconds() <= TOUCH_SECONDS):
        return False
    db.session.execute(update(MemberSession).where(MemberSession.id == key)
                       .values(last_seen_at=now, expires_at=now + lifetime()))
    member._session_last_seen = now
    return True


def active_sessions(member: Member) -> list[MemberSession]:
    """Return the member's live sessions, most recently used first."""
    return list(db.session.scalars(
        select(MemberSession).where(MemberSession.member_id == member.id, MemberSession.expires_at > utcnow())
        .order_by(MemberSession.last_seen_at.desc(), MemberSession.created_at.desc()).limit(100)))


def end_session(member: Member, key: str, reason: str = "signed_out") -> bool:
    """End one session of `member` (this one at sign-out, or one listed in settings); False when not found."""
    ended = db.session.execute(delete(MemberSession).where(MemberSession.id == str(key)[:64],
                                                           MemberSession.member_id == member.id)).rowcount
    if ended:
        sessions_ended.send(member, reason=reason, keys=[str(key)], every=False, revoke_tokens=False)
    return bool(ended)


def end_sessions(member: Member, reason: str, keep: str | None = None, *, revoke_tokens: bool = False) -> list[str]:
    """End every session of `member` but `keep` (a session key), and their API sign-in tokens.

    Called for a password change (keeping the session that changed it) or reset, a suspension, an
    account deletion and, once second factors exist, the removal of one. `revoke_tokens` also revokes
    the member's personal access tokens (offered on the password-reset form). Returns the ended keys.
    """
    query = select(MemberSession.id).where(MemberSession.member_id == member.id)
    if keep:
        query = query.where(MemberSession.id != keep)
    keys = list(db.session.scalars(query))
    if keys:
        db.session.execute(delete(MemberSession).where(MemberSession.id.in_(keys)))
    # Sign-in tokens of the API carry the version: bumping it ends them too.
    db.session.execute(update(Member).where(Member.id == member.id)
                       .values(session_version=Member.session_version + 1))
    if has_request_context():
        g.get("session_versions", {}).pop(member.id, None)  # read afresh after this
    db.session.flush()
    sessions_ended.send(member, reason=reason, keys=keys, every=True, revoke_tokens=revoke_tokens)
    return keys


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_agent(user_agent: str) -> str:
    """Return "Browser on System" for a User-Agent header (what a member recognises in a session list)."""
    browser = next((name for needle, name in _BROWSERS if needle in (user_agent or "")), "")
    system = next((name for needle, name in _SYSTEMS if needle in (user_agent or "")), "")
    if browser and system:
        return f"{browser} / {system}"
    return browser or system or (user_agent or "")[:60]


SIGN_INS_SHOWN = 50


def sign_in_history(member: Member, limit: int = SIGN_INS_SHOWN) -> list[MemberSignIn]:
    """The member's latest sign-ins (kept SIGN_IN_HISTORY_DAYS), newest first."""
    return list(db.session.scalars(select(MemberSignIn).where(MemberSignIn.member_id == member.id)
                                   .order_by(MemberSignIn.created_at.desc(), MemberSignIn.id.desc()).limit(limit)))


def prune_sign_ins(now=None) -> int:
    """Delete sign-in history older than SIGN_IN_HISTORY_DAYS (90); return how many lines went."""
    days = int(current_app.config.get("SIGN_IN_HISTORY_DAYS", 90))
    cutoff = (now or utcnow()) - timedelta(days=days)
    return db.session.execute(delete(MemberSignIn).where(MemberSignIn.created_at < cutoff)).rowcount or 0
