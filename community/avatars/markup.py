"""The `avatar(member, size=32)` template global: an uploaded picture, else a letter on a colour.

It runs once per post on a thread page, so it reads only the member row already loaded with the post
(no query) and builds its markup by hand. The CSP allows no inline `style`, so the letter avatar's
colour and size are classes (`avatar-c0` .. `avatar-c11`, `avatar-<size>`) of static/css/site.css;
every colour of `PALETTE` gives its white letter a WCAG AA contrast (4.5:1 or more, tested).
"""
from __future__ import annotations

import unicodedata

from markupsafe import Markup

from ..render import fast_url

# Background colours of letter avatars (white letters); the index is stored in members.avatar_color.
PALETTE = ("#b71c1c", "#ad1457", "#6a1b9a", "#4527a0", "#283593", "#1565c0",
           "#00695c", "#2e7d32", "#9a3412", "#4e342e", "#37474f", "#00727d")
SIZES = (16, 20, 24, 32, 40, 48, 64, 96, 128)  # the sizes site.css has classes for


def colour_of(member) -> int:
    """The palette index of a member's letter avatar: the one chosen, else one fixed by the member id."""
    chosen = member.avatar_color
    if chosen is not None and 0 <= chosen < len(PALETTE):
        return chosen
    # a multiplicative hash spreads consecutive ids over the palette (stable across processes)
    return (member.id * 2654435761 >> 7) % len(PALETTE)


def initial(name: str) -> str:
    """The first letter (or digit) of `name`, upper-cased: "ann" -> "A", "王小明" -> "王"."""
    for ch in name or "":
        if unicodedata.category(ch)[0] in "LN":
            upper = ch.upper()
            return upper if len(upper) == 1 else ch  # "ß".upper() is "SS": keep the letter
    stripped = (name or "").strip()
    return stripped[0] if stripped else "?"


def _size(size) -> int:
    try:
        size = int(size)
    except (TypeError, ValueError):
        return 32
    return next((s for s in SIZES if s >= size), SIZES[-1])


def avatar(member, size: int = 32) -> Markup:
    """Markup of `member`'s avatar at `size` px: their picture, a letter avatar, or a neutral placeholder."""
    size = _size(size)
    if member is None or member.deleted_at is not None:
        return Markup('<span class="avatar avatar-%d avatar-gone" aria-hidden="true"></span>') % size
    if member.avatar_upload_id:
        return Markup('<img class="avatar avatar-%d" src="%s" width="%d" height="%d" alt="" loading="lazy">') % (
            size, fast_url("uploads.serve", upload_id=member.avatar_upload_id), size, size)
    return Markup('<span class="avatar avatar-%d avatar-letter avatar-c%d" aria-hidden="true">%s</span>') % (
        size, colour_of(member), initial(member.name))



def avatar_initial(member) -> str:
    """The letter of a member's letter avatar (template helper for the colour choice)."""
    return initial(member.name)
