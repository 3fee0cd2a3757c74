"""Issuing, finding and revoking API tokens. Services flush, never commit."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..dbtypes import utcnow
from ..errors import NotPermitted, ValidationFailed
from ..extensions import db
from ..members.models import Member
from ..permissions import can_manage_api_keys, can_use_admin_api, is_staff, is_suspended
from .models import ApiToken, Scope, TokenKind

TOKEN_PREFIX = "cmt_"
NAME_MAX = 100
MAX_EXPIRY_DAYS = 3650


def hash_secret(secret: str) -> str:
    """Return the SHA-256 (hex) under which a token's secret is stored."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def default_scopes(member: Member) -> list[str]:
    """The scopes a sign-in token gets: read, write and moderate (the predicates still decide: trusted
    members have some thread tools too), crm for staff, and admin for admins."""
    scopes = [Scope.read.value, Scope.write.value, Scope.moderate.value]
    if is_staff(member):
        scopes.append(Scope.crm.value)
    if can_use_admin_api(member):
        scopes.append(Scope.admin.value)
    return scopes


def parse_scopes(raw, field: str = "scopes") -> list[str]:
    """Return the scope names in `raw` (a list or a space/comma separated string), checked."""
    parts = raw if isinstance(raw, (list, tuple)) else str(raw or "").replace(",", " ").split()
    names = list(dict.fromkeys(str(part).strip() for part in parts if str(part).strip()))
    if not names:
        raise ValidationFailed(_l("Please correct the marked fields."), {field: _l("Choose at least one scope.")})
    bad = [name for name in names if name not in Scope.__members__]
    if bad:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {field: _l("Scopes are read, write, moderate, crm and admin.")})
    return [scope.value for scope in Scope if scope.value in names]  # canonical order


def _check_name(name) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationFailed(_l("Please correct the marked fields."), {"name": _l("Give the token a name.")})
    if len(name) > NAME_MAX:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"name": _l("At most %(n)d characters.", n=NAME_MAX)})
    return name


def _expiry(days) -> timedelta | None:
    if days in (None, ""):
        return None
    raw = str(days).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_EXPIRY_DAYS:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"expires_in_days": _l("A whole number of days from 1 to %(n)d, or empty for never.",
                                                      n=MAX_EXPIRY_DAYS)})
    return timedelta(days=int(raw))


def _issue(member: Member, kind: TokenKind, scopes: list[str], *, name: str = "", expires=None,
           created_by: Member | None = None, session_version: int | None = None) -> tuple[ApiToken, str]:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(member_id=member.id, kind=kind, name=name, token_hash=hash_secret(secret),
                     prefix=secret[:len(TOKEN_PREFIX) + 6], scopes=" ".join(scopes), created_at=now,
                     expires_at=now + expires if expires else None, session_version=session_version,
                     created_by_id=(created_by or member).id)
    db.session.add(token)
    db.session.flush()
    return token, secret


def issue_login_token(member: Member, scopes=None) -> tuple[ApiToken, str]:
    """Return a new sign-in token (and its secret, shown once) that expires after API_TOKEN_DAYS."""
    if is_suspended(member):
        raise NotPermitted(_l("Your account is suspended."))
    allowed = default_scopes(member)
    chosen = parse_scopes(scopes) if scopes is not None else allowed
    chosen = [scope for scope in chosen if scope in allowed] or [Scope.read.value]
    return _issue(member, TokenKind.login, chosen, name="sign-in",
                  expires=timedelta(days=int(current_app.config["API_TOKEN_DAYS"])),
                  session_version=member.session_version)


def _token_fields(name, scopes, expires_in_days, problems: dict) -> dict:
    """Check a token form's fields together; raise ValidationFailed naming every bad one (and `problems`)."""
    for check in (lambda: _check_name(name), lambda: parse_scopes(scopes), lambda: _expiry(expires_in_days)):
        try:
            check()
        except ValidationFailed as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    return {"name": _check_name(name), "expires": _expiry(expires_in_days)}


def create_personal_token(member: Member, name, scopes, expires_in_days=None) -> tuple[ApiToken, str]:
    """Return a new personal access token of `member` with the chosen scopes."""
    fields = _token_fields(name, scopes, expires_in_days, {})
    return _issue(member, TokenKind.personal, parse_scopes(scopes), **fields)


def create_api_key(admin: Member, acting_as: Member | None, name, scopes, expires_in_days=None) -> tuple[ApiToken, str]:
    """Return a new admin API key that acts as `acting_as` (an integration's account) with the chosen scopes."""
    if not can_manage_api_keys(admin):
        raise NotPermitted(_l("Only admins manage API keys."))
    problems = {"member": _l("No member has that username.")} if acting_as is None else {}
    fields = _token_fields(name, scopes, expires_in_days, problems)
    return _issue(acting_as, TokenKind.key, parse_scopes(scopes), created_by=admin, **fields)


def find_active_token(secret: str) -> ApiToken | None:
    """Return the live token whose secret is `secret` (not revoked, not expired, member may sign in), else None."""
    if not secret or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or not token.is_active():
        return None
    member = token.member
    if member is None or is_suspended(member):
        return None
    if token.kind is TokenKind.login and token.session_version != member.session_version:
        return None  # a password change or suspension ended every session, this one too
    return token


def touch_token(token: ApiToken) -> None:
    """Record the token's use (at most once a minute, to spare writes)."""
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        token.last_used_at = now


def revoke_token(token: ApiToken) -> bool:
    """Revoke `token`; return False when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    return True


def member_tokens(member: Member) -> list[ApiToken]:
    """Return a member's personal access tokens and live sign-in tokens, newest first."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.member_id == member.id, ApiToken.kind != TokenKind.key,
                               ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()).limit(200)))


def api_keys() -> list[ApiToken]:
    """Return every admin API key that is not revoked, newest first."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.kind == TokenKind.key, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()).limit(500)))


def on_sessions_ended(member: Member, every: bool = False, revoke_tokens: bool = False, **_extra) -> None:
    """When every session of a member ends: sign-in tokens go (their version moved); personal access
    tokens go too when the member asked for it (the password-reset form offers it)."""
    if not every:
        return  # one browser signed out: the member's other sessions and tokens go on
    kinds = [TokenKind.login, TokenKind.personal] if revoke_tokens else [TokenKind.login]
    db.session.execute(update(ApiToken).where(ApiToken.member_id == member.id, ApiToken.kind.in_(kinds),
                                              ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow()))
