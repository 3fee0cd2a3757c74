"""The fixed set of reactions (emoji and label) and the site settings that admins change.

Site settings (community/settings.py; admins change them at /admin/reactions):
  reactions.enabled          the reactions members may choose, a list from KINDS (default: all)
  reactions.points.<kind>    reputation the post's author gets per reaction received (like 1, thanks 2,
                             the others 0); taking a reaction back or changing it reverses what it gave
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .. import settings


@dataclass(frozen=True)
class Kind:
    code: str
    emoji: str
    label: object  # lazy gettext


KINDS = {kind.code: kind for kind in (
    Kind("like", "👍", _l("Like")),
    Kind("thanks", "🙏", _l("Thanks")),
    Kind("laugh", "😄", _l("Laugh")),
    Kind("wow", "😮", _l("Wow")),
    Kind("sad", "😢", _l("Sad")),
)}
DEFAULT_POINTS = {"like": 1, "thanks": 2, "laugh": 0, "wow": 0, "sad": 0}
MAX_POINTS = 1000


def _known_kinds(value) -> str | None:
    if any(code not in KINDS for code in value) or len(set(value)) != len(value):
        return _l("Choose reactions from the offered ones, each once.")
    return None


def _points_range(value) -> str | None:
    return None if 0 <= value <= MAX_POINTS else _l("From 0 to %(n)d.", n=MAX_POINTS)


ENABLED = settings.declare("reactions.enabled", list(KINDS), list, check=_known_kinds)
POINTS = {code: settings.declare(f"reactions.points.{code}", DEFAULT_POINTS[code], int, check=_points_range)
          for code in KINDS}


def enabled_kinds() -> list[Kind]:
    """The reactions members may choose now, in the fixed order."""
    chosen = set(ENABLED.value or ())
    return [kind for code, kind in KINDS.items() if code in chosen]


def reaction_points(code: str) -> int:
    """Reputation a post's author gets now for one reaction `code` received (0 for an unknown code)."""
    setting = POINTS.get(code)
    return int(setting.value) if setting is not None else 0
