"""The reader's theme choice, read from the `theme` cookie (written by static/js/theme.js)."""
from __future__ import annotations

from flask import has_request_context, request

COOKIE = "theme"
THEMES = ("light", "dark")  # "system" (or no cookie) renders no data-theme: the CSS follows the system


def theme_choice() -> str | None:
    """'light' or 'dark' when the reader chose one, else None (follow the system)."""
    if not has_request_context():
        return None
    value = request.cookies.get(COOKIE)
    return value if value in THEMES else None
