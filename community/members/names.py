"""Names a member shows: invisible characters stripped, staff names and the brand kept for staff.

Display names are cleaned (NFKC; bidi controls, zero-width and every other invisible format character
removed) and, for members who are not staff, compared on a confusable-folded key (casefold, NFKC, common
look-alike letters and digits folded, spaces and punctuation dropped) against the names of moderators,
staff and admins, and against the brand's name (`BRAND_NAME`, by default the first word of
`COMMUNITY_NAME`): "Grace Liu (Acme)", "GRACE  LIU" or "Grace Lіu" with a Cyrillic і cannot be taken by a
member. Staff are told apart by a badge rendered from their role, never from text.
"""
from __future__ import annotations

import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from .models import Member, Role, clean_name

# Look-alikes NFKC leaves apart: Cyrillic and Greek letters that read as Latin ones, digits as letters.
_LOOKALIKE = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "l", "ї": "l", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "ɡ": "g", "ı": "l", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "l", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "0": "o", "1": "l", "i": "l", "|": "l",
    "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a",
})
ROLE_WORDS = {"staff", "admin", "administrator", "moderator", "official"}


def fold(text: str) -> str:
    """Return the key under which two names look alike: casefold + NFKC, look-alikes folded, only letters."""
    text = unicodedata.normalize("NFKC", clean_name(text).casefold()).translate(_LOOKALIKE)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return "".join(ch for ch in text if ch.isalnum()).replace("rn", "m").replace("vv", "w")


def _words(text: str) -> set[str]:
    text = unicodedata.normalize("NFKC", clean_name(text).casefold())
    return set("".join(ch if ch.isalnum() else " " for ch in text).split())


def brand_name() -> str:
    """The brand members may not put in their names: BRAND_NAME, else COMMUNITY_NAME's first word."""
    config = current_app.config
    return config.get("BRAND_NAME") or (config.get("COMMUNITY_NAME") or "").split(" ")[0]


def _reserved_keys(exclude_id: int | None) -> set[str]:
    rows = db.session.execute(select(Member.username, Member.display_name).where(
        Member.role.in_([Role.moderator, Role.staff, Role.admin]), Member.deleted_at.is_(None),
        Member.id != (exclude_id or 0)).limit(2000)).all()
    return {key for row in rows for key in (fold(row.username), fold(row.display_name or "")) if key}


def impersonation_problem(name: str, member: Member | None = None, role: Role = Role.member):
    """Return why a member may not use `name` (it imitates staff or the brand), or None."""
    if (member.role if member is not None else role) is not Role.member:
        return None  # staff, moderators and admins name themselves; their badge comes from the role
    key = fold(name)
    if not key:
        return None
    brand = fold(brand_name())
    if (brand and len(brand) >= 3 and brand in key) or _words(name) & ROLE_WORDS:
        return _l("Names that include %(brand)s or a staff title are kept for the team.", brand=brand_name())
    if key in _reserved_keys(member.id if member is not None else None):
        return _l("That name belongs to a member of the team; please choose another.")
    return None
