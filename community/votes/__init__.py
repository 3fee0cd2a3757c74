"""Votes on posts (up, down, changed or taken back) and the thread rankings built on them (hot, top)."""
from datetime import timedelta

from ..extensions import db
from ..forum.models import Thread
from ..registry import register_scheduled_job, register_template_slot, register_thread_sort
from . import (
    effects,
    models,  # noqa: F401  (so that create_all and Alembic know the votes table)
    rankings,
    views,
)


def init_app(app) -> None:
    """Register the vote route, the template helper for "my vote", the settings and SQLite's power()."""
    # New votes a member may cast in any 24 hours, by trust level 0..4 (a level past the end uses the
    # last entry). Changing or taking back a vote is never limited; a vote taken back is given back.
    app.config.setdefault("VOTES_PER_DAY_BY_TRUST_LEVEL", [10, 30, 50, 70, 100])
    # "hot" = (score + replies * HOT_REPLY_WEIGHT + 1) / (age in hours + 2) ** HOT_GRAVITY: a higher
    # gravity lets threads sink faster; a reply counts for half an upvote by default.
    app.config.setdefault("HOT_GRAVITY", 1.8)
    app.config.setdefault("HOT_REPLY_WEIGHT", 0.5)
    # Seconds between a vote's commit and the drain of its lagging effects (reputation, points, badges, trust
    # likes) by the process's drain thread, which batches every vote committed meanwhile; 0 drains right after
    # each commit in the request's thread (tests: effects visible as the response arrives).
    app.config.setdefault("VOTE_EFFECTS_DELAY", 0.0 if app.testing else 0.2)

    app.register_blueprint(views.bp)
    register_template_slot(app, "post_actions", "community/votes/_buttons.html", order=10)
    register_template_slot(app, "thread_before_posts", "community/votes/_script.html", order=20)
    register_template_slot(app, "thread_row_badges", "community/votes/_row_score.html", order=50)
    register_thread_sort(app, "hot", rankings.hot_order)
    register_thread_sort(app, "top", Thread.score.desc(), since=rankings.period_start,
                         periods=tuple(rankings.TOP_PERIODS))
    app.jinja_env.globals["my_vote"] = views.my_vote
    app.jinja_env.globals["my_votes_of_page"] = views.my_votes_of_page
    # A vote's reputation, points, badges and trust likes are applied right after its commit; this job
    # applies what a crash or a failed drain left behind (and runs when the scheduler starts).
    register_scheduled_job(app, "votes.apply-effects", effects.apply_pending, every=timedelta(minutes=1))
    with app.app_context():
        rankings.install_sqlite_functions(db.engine)
