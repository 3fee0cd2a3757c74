"""Gamification settings in the admin area (/admin/gamification): what people earn and how it is shown.

- **Points**: reputation per upvote, downvote, accepted answer and badge level, the daily limit of
  reputation from votes and answers, and reward points per reputation point. They are site settings
  (`community/settings.py`) declared by their owners (`reputation.services.POINT_SETTINGS`,
  `rewards.services.POINTS_PER_REPUTATION`), with the old constants as defaults. A change applies to events
  from then on; the ledgers keep what was written (a reversal takes back exactly what was given).
- **Badges**: built-in badges stay in code (`reputation/badges.py`: their names are translated in the
  catalogs, some rules are more than a threshold) and can be disabled; admins add custom badges (rows of
  `badges` with a rule kind from `badges.RULES` and a threshold), granted on the same path.
- **Idea statuses**: the English and Chinese label of each status (`ideas/labels.py`); the codes stay.
- **Rewards**: the catalogue's staff pages (`community/rewards`, staff and admins) are listed as a section too.

Admins only (`can_manage_gamification`); anyone else gets 404. Services check the values and save all or
nothing; the views commit.
"""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import permissions
from ..admin.sections import Section, add_section
from . import views


def init_app(app: Flask) -> None:
    """Register the gamification pages and their admin sections."""
    app.register_blueprint(views.bp)
    add_section(Section("gamification", _l("Gamification"), "gamification.points",
                        permissions.can_manage_gamification,
                        _l("Points per action, daily limits, badges and the labels of idea statuses."), order=50))
    add_section(Section("rewards", _l("Rewards"), "rewards.manage", permissions.can_manage_rewards,
                        _l("The rewards catalogue, its stock and prices, points given by hand, redemptions."),
                        order=55))
