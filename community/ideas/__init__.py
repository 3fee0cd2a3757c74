"""Ideas: public statuses set by staff (with reasons, duplicates merged with their votes), idea
board lists sorted by votes, trending or newest, and the public roadmap at /roadmap."""
from flask import Flask

from ..forum.models import BoardKind
from ..registry import register_board_page, register_template_slot
from . import (
    labels,
    models,  # noqa: F401  (tables known to create_all and Alembic)
    views,
)


def init_app(app: Flask) -> None:
    """Register the idea pages, their settings, template helpers and the idea board page."""
    # A public reason (declining needs one) may have at most this many characters.
    app.config.setdefault("IDEA_REASON_MAX_LENGTH", 2000)
    # "Trending" on an idea board sums the votes cast on each idea in this many recent days.
    app.config.setdefault("IDEA_TRENDING_DAYS", 7)
    # The roadmap lists at most this many ideas per status (the best voted first); counts cover all.
    app.config.setdefault("ROADMAP_IDEAS_PER_STATUS", 50)
    app.register_blueprint(views.bp)
    register_template_slot(app, "thread_before_posts", "community/ideas/_events.html", order=10)
    register_template_slot(app, "thread_head", "community/ideas/_thread_status.html", order=10)
    register_template_slot(app, "thread_row_badges", "community/ideas/_row_badge.html", order=10)
    app.add_template_global(labels.status_label, "idea_status_label")
    app.add_template_global(views.idea_status_events, "idea_status_events")
    app.add_template_global(views.idea_duplicate_of, "idea_duplicate_of")
    register_board_page(app, BoardKind.idea, views.idea_board)
