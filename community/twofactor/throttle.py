"""The per-account limit on second-factor codes: wrong codes count per account, whatever the address.

A six-digit code has a million values; with the limit (`TWO_FACTOR_CODE_LIMIT`, "10 per hour" per
account, shared through Flask-Limiter's storage: Redis with `REDIS_URL`) a guesser who has the password
gets about one chance in four thousand a day. Only refused codes count (`deduct_when`)."""
from __future__ import annotations

import time

from flask import current_app, session
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import limiter
from ..pages import error_response

PENDING = "twofactor_pending"


def account_key() -> str:
    """The rate-limit key: the member whose code is typed (signing in, or signed in)."""
    pending = session.get(PENDING) or {}
    if isinstance(pending, dict) and pending.get("m"):
        return f"member:{pending['m']}"
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return "member:-"


def _breach(limit):
    seconds = max(1, int(limit.window.reset_time - time.time()))
    return error_response(429, _("Too many wrong codes for this account. Try again in %(minutes)d minutes.",
                                 minutes=max(1, round(seconds / 60))),
                          code="rate_limited", headers={"Retry-After": str(seconds)})


def _failed(response) -> bool:
    return response.status_code == 422


code_limit = limiter.shared_limit(
    lambda: current_app.config.get("TWO_FACTOR_CODE_LIMIT", "10 per hour"), scope="two-factor-account",
    key_func=account_key, deduct_when=_failed, on_breach=_breach, methods=["POST"])
