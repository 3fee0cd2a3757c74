"""Signed links in mails (itsdangerous): verification, address change, password reset, unsubscribe.

Each purpose has its own salt, so a token made for one can never be used for another. A token names
the state it was made for (the address, a fingerprint of the password hash), so once that state
changes the token is spent: this is what makes reset and address-change links single-use without
storing them. Unsubscribe tokens never expire (a mail read months later must still work) and are
idempotent.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import (
    BadSignature,
    SignatureExpired,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)

VERIFY, CHANGE, RESET, UNSUBSCRIBE = "verify-email", "change-email", "reset-password", "unsubscribe"


class TokenInvalid(Exception):
    """The link was altered, cut short or made for something else."""


class TokenExpired(Exception):
    """The link is genuine but too old."""


class TokenUsed(Exception):
    """The link is genuine but was used already (or the state it was made for has changed)."""


def _timed(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"community.mail.{purpose}")


def make(purpose: str, payload: dict) -> str:
    """Return a signed, timestamped token for `purpose`."""
    if purpose == UNSUBSCRIBE:
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="community.mail.unsubscribe").dumps(payload)
    return _timed(purpose).dumps(payload)


def read(purpose: str, token: str, max_age: int | None = None) -> dict:
    """Return the payload of a token; raise TokenInvalid or TokenExpired."""
    if not token or len(token) > 2000:
        raise TokenInvalid()
    try:
        if purpose == UNSUBSCRIBE:
            payload = URLSafeSerializer(current_app.config["SECRET_KEY"],
                                        salt="community.mail.unsubscribe").loads(token)
        else:
            payload = _timed(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired() from exc
    except (BadSignature, ValueError, UnicodeError) as exc:
        raise TokenInvalid() from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("m"), int):
        raise TokenInvalid()
    return payload


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the password hash: changes whenever the password does, reveals nothing."""
    return hashlib.sha256(("community.mail.reset:" + password_hash).encode()).hexdigest()[:20]
