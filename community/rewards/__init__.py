"""Rewards: members spend reward points on coupons and gifts that staff define; a ledger of every earn and spend.

Site setting (community/settings.py; admins change it at /admin/gamification/points):
  rewards.points_per_reputation   points paid per reputation point earned from an upvote, an accepted
                          answer or a badge, once per source (default 1; 0 turns earning off, staff
                          grants still work); a change applies to reputation earned from then on
"""
from __future__ import annotations

from ..registry import register_template_slot
from ..signals import reputation_changed
from . import models  # noqa: F401  (known to create_all and Alembic)
from .services import earn_points
from .views import bp


def _reputation_changed(member, entry=None, **_extra):
    if entry is not None:
        earn_points(entry, load=False)  # the subscriber needs nothing back: no read


def init_app(app) -> None:
    """Register the reward pages, settings and the subscriber that pays points for reputation."""

    app.register_blueprint(bp)
    register_template_slot(app, "profile_extra", "community/rewards/_profile.html", order=30)
    reputation_changed.connect(_reputation_changed)
