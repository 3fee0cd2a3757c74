"""Reputation: a ledger of who earned what and why, badges, and the leaderboard.

Settings (set with COMMUNITY_<NAME> in the environment):
  REPUTATION_UPVOTE            reputation an author gets per upvote on a post (default 10)
  REPUTATION_DOWNVOTE          ... per downvote (default -2); changing or retracting a vote reverses it
  REPUTATION_ACCEPTED_ANSWER   ... when a reply is accepted as the answer (default 15); reversed when
                               undone or replaced; accepting your own answer earns nothing
  REPUTATION_BADGE             reputation per badge level (default {"bronze": 0, "silver": 10, "gold": 25})
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
    app.config.setdefault("REPUTATION_UPVOTE", 10)
    app.config.setdefault("REPUTATION_DOWNVOTE", -2)
    app.config.setdefault("REPUTATION_ACCEPTED_ANSWER", 15)
    app.config.setdefault("REPUTATION_BADGE", {"bronze": 0, "silver": 10, "gold": 25})
    app.config.setdefault("LEADERBOARD_PER_PAGE", 50)

    app.register_blueprint(bp)
    register_template_slot(app, "profile_extra", "community/reputation/_profile.html", order=20)
    subscribers.connect()
