"""The per-account sign-in throttle: failed attempts are counted per account, whatever the address.

The per-address limits on the sign-in routes stop one machine; this stops many machines guessing one
member's password. Only failures count (`deduct_when`), so a member who types the right password is
never slowed down until an attacker has used up the account's attempts. Counts live where Flask-Limiter
keeps all of them (Redis with `REDIS_URL`, so every process shares them). Setting:
`LOGIN_ACCOUNT_LIMIT` ("10 per 15 minutes").
"""
from __future__ import annotations

import json
import time

from flask import current_app, request
from flask_babel import gettext as _

from ..extensions import limiter
from ..pages import error_response
from .services import find_member


def _login_named() -> str:
    """The username or email a sign-in request names (form or JSON body), as typed."""
    login = request.form.get("login") or ""
    if not login and request.is_json:
        try:
            data = json.loads(request.get_data(cache=True) or b"{}")
        except (ValueError, RecursionError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict):
            login = data.get("login") or data.get("username") or data.get("email") or ""
    return str(login)[:254]


def account_key() -> str:
    """The rate-limit key: the account's id when the login names one, else the login itself."""
    login = _login_named()
    member = find_member(login) if login.strip() else None
    return f"member:{member.id}" if member is not None else f"login:{login.strip().casefold()[:100]}"


def _breach(limit):
    seconds = max(1, int(limit.window.reset_time - time.time()))
    return error_response(429, _("Too many failed sign-in attempts for this account. Try again in %(minutes)d "
                                 "minutes, or reset your password by email.", minutes=max(1, round(seconds / 60))),
                          code="rate_limited", headers={"Retry-After": str(seconds)})


def _failed(response) -> bool:
    return response.status_code in (401, 422)


account_sign_in_limit = limiter.shared_limit(
    lambda: current_app.config.get("LOGIN_ACCOUNT_LIMIT", "10 per 15 minutes"), scope="sign-in-account",
    key_func=account_key, deduct_when=_failed, on_breach=_breach, methods=["POST"])
