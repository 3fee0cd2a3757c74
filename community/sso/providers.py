"""Which OpenID Connect providers members may sign in with, and the sign-in options.

Two sources, one list: the contract's environment (`OIDC_ISSUER`, `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`,
`OIDC_NAME`; slug `oidc`) and the providers an admin added on /admin/sign-in (table `sso_providers`).
The slug is part of the redirect URI, `<base URL>/sso/<slug>/callback`, which the provider must know.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import settings
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..members.registration import email_domain, normalise_domain
from .models import SsoProvider

ENV_SLUG = "oidc"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,30}$")


def _check_domain(value: str) -> str | None:
    if not value:
        return None
    try:
        normalise_domain(value)
    except ValueError:
        return _l("That is not a domain name.")
    return None


ONLY_SSO = settings.declare("sso.only", False, bool)  # members (not admins) sign in only through a provider
SSO_DOMAIN = settings.declare("sso.domain", "", str, check=_check_domain)  # addresses here must use a provider


@dataclass(frozen=True)
class Provider:
    slug: str
    name: str
    issuer: str
    client_id: str
    client_secret: str
    from_environment: bool = False

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def env_provider() -> Provider | None:
    config = current_app.config
    issuer, client_id = config.get("OIDC_ISSUER"), config.get("OIDC_CLIENT_ID")
    if not issuer or not client_id:
        return None
    return Provider(ENV_SLUG, config.get("OIDC_NAME") or "OpenID Connect", issuer, client_id,
                    config.get("OIDC_CLIENT_SECRET") or "", from_environment=True)


def _from_row(row: SsoProvider) -> Provider:
    return Provider(row.slug, row.name, row.issuer, row.client_id, row.client_secret)


def enabled_providers() -> list[Provider]:
    """The providers offered on the sign-in page, the environment's first."""
    found = [env_provider()] if env_provider() else []
    rows = db.session.scalars(select(SsoProvider).where(SsoProvider.enabled.is_(True)).order_by(SsoProvider.name))
    return found + [_from_row(row) for row in rows]


def get_provider(slug: str) -> Provider | None:
    """The enabled provider of `slug`, or None."""
    if slug == ENV_SLUG:
        return env_provider()
    row = db.session.scalar(select(SsoProvider).where(SsoProvider.slug == slug, SsoProvider.enabled.is_(True)))
    return _from_row(row) if row is not None else None


def provider_names() -> dict[str, str]:
    """Slug -> name of every provider ever configured (a linked identity keeps its provider's name)."""
    names = dict(db.session.execute(select(SsoProvider.slug, SsoProvider.name)).all())
    if (env := env_provider()) is not None:
        names[env.slug] = env.name
    return names


def admin_rows() -> list[SsoProvider]:
    return list(db.session.scalars(select(SsoProvider).order_by(SsoProvider.name)))


def _check_fields(slug: str, name: str, issuer: str, client_id: str) -> dict:
    problems = {}
    if not SLUG_RE.match(slug) or slug == ENV_SLUG:
        problems["slug"] = _l("2 to 31 lower-case letters, digits or dashes (not \"oidc\", kept for the environment's provider).")
    if not name.strip():
        problems["name"] = _l("Give the provider a name members recognise.")
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        problems["issuer"] = _l("The issuer is an https:// URL (its discovery document is under /.well-known/).")
    if not client_id.strip():
        problems["client_id"] = _l("The client ID the provider gave you.")
    return problems


def save_provider(row: SsoProvider | None, *, slug: str, name: str, issuer: str, client_id: str,
                  client_secret: str | None, enabled: bool) -> SsoProvider:
    """Add a provider (row None) or change one; an empty `client_secret` keeps the stored one."""
    slug, issuer = (slug or "").strip().lower(), (issuer or "").strip().rstrip("/")
    if problems := _check_fields(slug, name or "", issuer, client_id or ""):
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    taken = db.session.scalar(select(SsoProvider.id).where(SsoProvider.slug == slug))
    if taken is not None and (row is None or taken != row.id):
        raise Conflict(_l("Please correct the marked fields."), {"slug": _l("Another provider has that slug.")})
    if row is None:
        row = SsoProvider(client_secret="")
        db.session.add(row)
    row.slug, row.name, row.issuer, row.client_id = slug, name.strip()[:64], issuer[:300], client_id.strip()[:300]
    if client_secret:
        row.client_secret = client_secret.strip()[:500]
    row.enabled = bool(enabled)
    db.session.flush()
    return row


def sso_required_for(email: str) -> bool:
    """Whether an account with `email` must sign in through a provider (the admin's SSO domain)."""
    wanted = SSO_DOMAIN.value
    if not wanted:
        return False
    domain = email_domain(email or "")
    wanted = normalise_domain(wanted)
    return domain is not None and (domain == wanted or domain.endswith("." + wanted))


def save_options(only_sso: bool, domain: str, *, by=None) -> None:
    """Save "only SSO" and the SSO domain (normalised); raise ValidationFailed for a bad domain."""
    domain = (domain or "").strip()
    if problem := _check_domain(domain):
        raise ValidationFailed(_l("Please correct the marked fields."), {"domain": problem})
    settings.save({ONLY_SSO.key: bool(only_sso), SSO_DOMAIN.key: normalise_domain(domain) if domain else ""}, by=by)
