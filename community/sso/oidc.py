"""The one module that talks OpenID Connect (Authlib): discovery, the authorization request, the code exchange.

Authorization code flow with PKCE (S256); Authlib keeps state, nonce and the code verifier in the
signed session under the state's name, refuses a callback whose state it did not issue, and checks the
ID token's signature (the provider's JWKS), issuer, audience, expiry and nonce. Discovery documents are
kept for an hour per issuer, so a sign-in costs the provider two requests (authorize, token).
"""
from __future__ import annotations

import time

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from joserfc.errors import JoseError

from .providers import Provider

SCOPE = "openid email profile"
TIMEOUT = 10  # seconds for each request to the provider
METADATA_SECONDS = 3600
_metadata: dict[str, dict] = {}


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered with something that is not OpenID Connect."""


class SignInRefused(Exception):
    """The callback failed a check: state, code, ID token or nonce (or the member said no)."""


def _client(provider: Provider) -> FlaskOAuth2App:
    cached = _metadata.get(provider.metadata_url)
    if cached is not None and time.time() - cached["_loaded_at"] > METADATA_SECONDS:
        cached = None
    client = FlaskOAuth2App(FlaskIntegration(f"sso_{provider.slug}"), name=f"sso_{provider.slug}",
                            client_id=provider.client_id, client_secret=provider.client_secret or None,
                            server_metadata_url=provider.metadata_url,
                            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": TIMEOUT},
                            **(dict(cached) if cached else {}))
    return client


def _load(client: FlaskOAuth2App, provider: Provider) -> None:
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(str(exc)) from exc
    if not metadata.get("authorization_endpoint") or not metadata.get("token_endpoint") \
            or metadata.get("issuer", "").rstrip("/") != provider.issuer.rstrip("/"):
        raise ProviderUnavailable("discovery document without endpoints, or of another issuer")
    _metadata[provider.metadata_url] = dict(metadata)


def authorization_redirect(provider: Provider, redirect_uri: str):
    """Return the redirect to the provider's authorization endpoint (state, nonce and PKCE kept in the session)."""
    client = _client(provider)
    _load(client, provider)
    return client.authorize_redirect(redirect_uri)


def finish(provider: Provider) -> dict:
    """Check the callback and exchange its code; return the ID token's claims (sub, email, email_verified ...)."""
    client = _client(provider)
    _load(client, provider)
    try:
        token = client.authorize_access_token()
    except requests.RequestException as exc:
        raise ProviderUnavailable(str(exc)) from exc
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as exc:
        raise SignInRefused(str(exc)) from exc
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise SignInRefused("no ID token")
    return dict(claims)
