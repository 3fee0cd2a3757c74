"""Time zones: which one a reader sees times in, and checking a zone name.

The zone is a member setting (`Member.timezone`, an IANA name such as "Asia/Shanghai"), taken from the
browser on the first visit (static/js/localtime.js posts it once). A guest's browser sets the cookie
`tz` instead. Unknown names are refused: a zone is only ever one `zoneinfo` knows.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from types import SimpleNamespace
from urllib.parse import unquote
from zoneinfo import available_timezones

import pytz
from flask import g, has_request_context, request
from flask_babel import get_timezone
from flask_login import current_user

COOKIE = "tz"


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    """Every IANA zone name zoneinfo knows, sorted (the settings' list, searchable by typing)."""
    return tuple(sorted(name for name in _known() if ("/" in name and not name.startswith("Etc/")) or name == "UTC"))


def valid_zone(name) -> str | None:
    """Return `name` when it is a known IANA zone, else None."""
    if not isinstance(name, str) or not 0 < len(name) <= 64:
        return None
    name = name.strip()
    return name if name in _known() else None


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(available_timezones()) & pytz.all_timezones_set  # both must know it (Babel uses pytz)


def select_timezone() -> str | None:
    """Flask-Babel's zone for this request: the member's setting, else a guest's `tz` cookie, else the default (UTC)."""
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated:
        return valid_zone(current_user.timezone)
    return valid_zone(unquote(request.cookies.get(COOKIE) or ""))


def zone_name() -> str:
    """The IANA name of the zone times are shown in now ("UTC" by default)."""
    return str(get_timezone())


@contextmanager
def force_timezone(name: str | None):
    """Render in zone `name` (a mail to a member) inside the block, whatever the request's zone is."""
    ctx = g.setdefault("_flask_babel", SimpleNamespace())  # Flask-Babel's per-context namespace
    before = getattr(ctx, "babel_tzinfo", None)
    ctx.babel_tzinfo = pytz.timezone(valid_zone(name) or "UTC")  # Flask-Babel's zones are pytz's
    try:
        yield
    finally:
        ctx.babel_tzinfo = before
