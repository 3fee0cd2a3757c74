"""Checks of the free text and day counts moderators and flaggers give (reasons, notes, days)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..errors import ValidationFailed

REASON_MAX = 500
NOTE_MAX = 500
MAX_DAYS = 3650


def checked_text(value, field: str, limit: int = REASON_MAX, required: bool = False) -> str:
    """Return `value` with its whitespace folded; refuse it (on `field`) when too long or required and empty."""
    value = " ".join((value or "").split())
    if required and not value:
        raise ValidationFailed(_l("Please correct the marked fields."), {field: _l("Please give a reason.")})
    if len(value) > limit:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {field: _l("At most %(n)d characters.", n=limit)})
    return value


def checked_days(raw, field: str = "days") -> int:
    """Return `raw` as a whole number of days from 1 to MAX_DAYS, or refuse it (on `field`)."""
    raw = str(raw if raw is not None else "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {field: _l("A whole number of days from 1 to %(n)d.", n=MAX_DAYS)})
    return int(raw)
