"""Polls: a thread may carry one poll (single or multiple choice, optional closing time), one ballot
per member that can be changed until the poll closes, results after voting or after closing, and a
staff option to hide the results from everyone until the poll closes.

The new-thread form gets an optional poll section (slot new_thread_extra); the poll is created in the
thread's own transaction, so an invalid poll leaves no thread behind. The poll shows under the opening
post (slot post_after_body). Routes: POST /polls/<id>/vote, POST /polls/<id>/close, GET /polls/<id>
(JSON), GET/POST /t/<thread_id>/poll (add a poll later). Signals: poll_created, poll_voted.
"""
from flask import Flask

from ..registry import register_new_thread_extra, register_template_slot
from . import (
    models,  # noqa: F401  (tables known to create_all and Alembic)
    views,
)


def init_app(app: Flask) -> None:
    """Register the poll routes, settings, template helpers and the new-thread form hook."""
    # Most options a poll may have (at least 2 are always required).
    app.config.setdefault("POLL_MAX_OPTIONS", 20)
    # Flask-Limiter limit on casting or changing ballots, per client address.
    app.config.setdefault("POLL_VOTE_RATE_LIMIT", "30 per minute; 300 per hour")
    app.register_blueprint(views.bp)
    register_template_slot(app, "new_thread_extra", "community/polls/_new_thread.html", order=10)
    register_template_slot(app, "post_after_body", "community/polls/_poll.html", order=10)
    app.add_template_global(views.poll_form, "poll_form")
    app.add_template_global(views.thread_poll_view, "thread_poll_view")
    register_new_thread_extra(app, views.attach_poll_from_form)
