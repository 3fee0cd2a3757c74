"""What signing in through a provider does: find the linked member, link by a verified email, or make one.

Accounts are never merged silently: an identity joins an existing account only when the provider says
the address is verified *and* the account's address here is verified too; in every other case of a
matching address the member proves the account with its password first (`link_with_password`).
Services flush, never commit.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ServiceError
from ..extensions import db
from ..members import passwords, registration
from ..members.models import Member, Role, email_key, username_key
from ..members.services import USERNAME_RE, authenticate, normalise_email
from ..signals import member_updated
from .models import SsoIdentity
from .providers import ONLY_SSO, Provider, enabled_providers, sso_required_for

NO_PASSWORD = "!"  # an account made through a provider: no Argon2 hash, nothing verifies against it


@dataclass
class Claims:
    """What the ID token says about the person (only what this site uses)."""

    subject: str
    email: str
    email_verified: bool
    username: str
    name: str

    @classmethod
    def from_token(cls, claims: dict) -> Claims:
        email = str(claims.get("email") or "").strip()[:254]
        try:
            email = normalise_email(email) if email else ""
        except ServiceError:
            email = ""
        return cls(subject=str(claims["sub"])[:255], email=email,
                   # only a JSON true counts: "true" strings and absent claims are not a verification
                   email_verified=claims.get("email_verified") is True and bool(email),
                   username=str(claims.get("preferred_username") or "")[:255],
                   name=str(claims.get("name") or "")[:64])


@dataclass
class Result:
    """How a provider's callback ends: `member` signed in (`created` or `linked` on the way), `pending`
    approval, or `needs_password` (an account with that address exists; its owner proves it first)."""

    member: Member | None = None
    created: bool = False
    linked: bool = False
    pending: bool = False
    needs_password: bool = False


def has_password(member: Member) -> bool:
    return passwords.has_password(member.password_hash)


def password_sign_in_refusal(member: Member):
    """Why `member` may not sign in with a password (only SSO, or an address under the SSO domain), or None.

    Admins keep their password: a provider that is down must not lock the community out of its own admin area.
    """
    if member.role is Role.admin or not enabled_providers():
        return None
    if ONLY_SSO.value:
        return _l("Sign in through your organisation's sign-in provider: passwords are not used here.")
    if sso_required_for(member.email):
        return _l("Accounts with this email domain sign in through the sign-in provider.")
    return None


def password_sign_in_refusal_for_all() -> bool:
    """Whether "only SSO" is on (with a provider to use): nobody but admins signs in with a password."""
    return bool(ONLY_SSO.value) and bool(enabled_providers())


def identities_of(member: Member) -> list[SsoIdentity]:
    return list(db.session.scalars(select(SsoIdentity).where(SsoIdentity.member_id == member.id)
                                   .order_by(SsoIdentity.created_at, SsoIdentity.id)))


def _find(provider: Provider, subject: str) -> SsoIdentity | None:
    return db.session.scalar(select(SsoIdentity).where(SsoIdentity.provider == provider.slug,
                                                       SsoIdentity.subject == subject))


def _verify_email(member: Member, claims: Claims) -> None:
    """The provider's verified address is the member's address: it counts as verified (CRM matching too)."""
    if claims.email_verified and member.email_verified_at is None and email_key(member.email) == email_key(claims.email):
        member.email_verified_at = utcnow()
        db.session.flush()
        member_updated.send(member, fields=["email_verified_at"])


def _remember(identity: SsoIdentity, claims: Claims) -> None:
    identity.email, identity.email_verified = claims.email, claims.email_verified
    identity.username, identity.last_used_at = claims.username, utcnow()


def link(member: Member, provider: Provider, claims: Claims) -> SsoIdentity:
    """Link the provider's identity to `member` (who proved the account); refuse one linked to someone else."""
    found = _find(provider, claims.subject)
    if found is not None and found.member_id != member.id:
        raise Conflict(_l("This %(provider)s identity is linked to another account.", provider=provider.name))
    if found is None:
        found = SsoIdentity(member_id=member.id, provider=provider.slug, subject=claims.subject, created_at=utcnow())
        db.session.add(found)
    _remember(found, claims)
    db.session.flush()
    _verify_email(member, claims)
    return found


def _free_username(claims: Claims) -> str:
    """A username from the provider's preferred username or the address, made valid and unused."""
    for candidate in (claims.username, claims.email.partition("@")[0], "member"):
        base = re.sub(r"[^A-Za-z0-9_.-]", "", candidate or "").strip("._-")[:16]
        if len(base) >= 3:
            break
    else:
        base = "member"
    for attempt in range(20):
        name = base if attempt == 0 else f"{base[:14]}{secrets.randbelow(10**5):d}"
        if USERNAME_RE.match(name) and not db.session.scalar(
                select(func.count()).select_from(Member).where(Member.username_key == username_key(name))):
            return name
    return f"member{secrets.token_hex(4)}"


def sign_in_with(provider: Provider, raw_claims: dict, *, current: Member | None = None,
                 locale: str | None = None) -> Result:
    """Decide what the provider's callback means; raise ServiceError with a message for the member."""
    claims = Claims.from_token(raw_claims)
    identity = _find(provider, claims.subject)
    if current is not None:  # a signed-in member linking another way to sign in, from /settings
        link(current, provider, claims)
        return Result(member=current, linked=True)
    if identity is not None:
        member = db.session.get(Member, identity.member_id)
        if member is None or member.deleted_at is not None:
            raise NotPermitted(_l("This account has been deleted."))
        _remember(identity, claims)
        _verify_email(member, claims)
        return Result(member=member)
    if not claims.email:
        raise NotPermitted(_l("%(provider)s did not share an email address; an account here needs one.",
                              provider=provider.name))
    owner = db.session.scalar(select(Member).where(Member.email_key == email_key(claims.email)))
    if owner is not None:
        if claims.email_verified and owner.email_verified:
            link(owner, provider, claims)
            return Result(member=owner, linked=True)
        return Result(needs_password=True)
    done = registration.register_visitor(_free_username(claims), claims.email, secrets.token_urlsafe(24),
                                         locale=locale)
    member = done.member
    member.password_hash = NO_PASSWORD
    if claims.name and not member.display_name:
        member.display_name = claims.name
    link(member, provider, claims)
    return Result(member=member, created=True, pending=done.pending)


def is_linked(member: Member, provider: Provider, raw_claims: dict) -> bool:
    """Whether the provider's identity in `raw_claims` is linked to `member`."""
    found = _find(provider, Claims.from_token(raw_claims).subject)
    return found is not None and found.member_id == member.id


def link_with_password(provider: Provider, raw_claims: dict, login: str, password: str) -> Member:
    """Link the identity to the account whose password was given (the member proved both); raise otherwise."""
    member = authenticate(login, password)
    if member is None:
        raise NotPermitted(_l("That username or email and password do not match."))
    link(member, provider, Claims.from_token(raw_claims))
    return member


def unlink(member: Member, identity_id: int) -> SsoIdentity:
    """Remove one linked identity; never the last way the member can sign in."""
    identity = db.session.get(SsoIdentity, identity_id)
    if identity is None or identity.member_id != member.id:
        raise NotPermitted(_l("There is no such linked identity."))
    others = db.session.scalar(select(func.count()).select_from(SsoIdentity)
                               .where(SsoIdentity.member_id == member.id, SsoIdentity.id != identity.id))
    if not others and (not has_password(member) or password_sign_in_refusal(member)):
        raise Conflict(_l("This is the last way you can sign in: set a password (through \"Forgot your password?\") "
                          "or link another identity first."))
    db.session.delete(identity)
    db.session.flush()
    return identity


def erase(member: Member, **_extra) -> None:
    """An account being deleted takes its linked identities with it (`member_deleting`)."""
    db.session.execute(SsoIdentity.__table__.delete().where(SsoIdentity.member_id == member.id))
