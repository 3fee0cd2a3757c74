"""Reputation: a ledger of who earned what and why, badges, and the leaderboard.

Site settings (community/settings.py; admins change them at /admin/gamification/points):
  reputation.points.upvote           reputation an author gets per upvote on a post (default 10)
  reputation.points.downvote         ... per downvote (default -2); changing or retracting a vote reverses it
  reputation.points.accepted_answer  ... when a reply is accepted as the answer (default 15); reversed when
                                     undone or replaced; accepting your own answer earns nothing
  reputation.points.badge_<level>    reputation per badge level (bronze 0, silver 10, gold 25)
  reputation.daily_limit             most reputation earned per UTC day from upvotes and answers (0: none)
A change applies to new events only: what the ledger holds stays as written.

Configuration (set with COMMUNITY_<NAME> in the environment):
  LEADERBOARD_PER_PAGE         members per leaderboard page (default 50)
"""
from __future__ import annotations

from ..registry import register_template_slot
from . import (
    models,  # noqa: F401  (known to create_all and Alembic)
    subscribers,
)
from .views import bp


def init_app(app) -> None:
    """Register the pages, settings and signal subscribers of reputation and badges."""
    app.config.setdefault("LEADERBOARD_PER_PAGE", 50)

    app.register_blueprint(bp)
    register_template_slot(app, "profile_extra", "community/reputation/_profile.html", order=20)
    subscribers.connect()
