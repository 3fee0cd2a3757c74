"""What people read for an idea's status: the built-in translated label, or the one an admin set.

Each status has two site settings, `ideas.label.<status>` (English) and `ideas.label.<status>.zh`
(Simplified Chinese), empty by default: an empty setting shows the built-in label in the reader's language.
Only what is shown changes; the status's code (`under_review`, ...) stays the same in the API, the search
index, URLs (`?status=`) and webhooks. Admins set them at /admin/gamification/idea-statuses.
"""
from __future__ import annotations

from flask import has_app_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .. import settings
from ..forum.models import IdeaStatus

MAX_LABEL = 40

BUILT_IN = {
    IdeaStatus.open: _l("Open"),
    IdeaStatus.under_review: _l("Under review"),
    IdeaStatus.planned: _l("Planned"),
    IdeaStatus.in_progress: _l("In progress"),
    IdeaStatus.shipped: _l("Shipped"),
    IdeaStatus.declined: _l("Declined"),
    IdeaStatus.duplicate: _l("Duplicate"),
}


def _short(value: str) -> str | None:
    if len(value) > MAX_LABEL:
        return f"at most {MAX_LABEL} characters"
    if value != value.strip() or any(ord(c) < 32 for c in value):
        return "no surrounding spaces or control characters"
    return None


def label_key(status: IdeaStatus, language: str = "en") -> str:
    return f"ideas.label.{status.value}" + ("" if language == "en" else f".{language}")


for _status in IdeaStatus:
    for _language in ("en", "zh"):
        settings.declare(label_key(_status, _language), "", str, check=_short)


def _language() -> str:
    if not has_app_context():
        return "en"
    locale = get_locale()
    return "zh" if locale is not None and locale.language == "zh" else "en"


def status_label(status) -> str:
    """Return what the reader reads for an idea status (an IdeaStatus or its value), in their language."""
    try:
        status = IdeaStatus(getattr(status, "value", status))
    except ValueError:
        return str(status or "")
    return settings.get(label_key(status, _language())) or str(BUILT_IN[status])
