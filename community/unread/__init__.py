"""Unread and new threads: marks in thread lists ("New", "3 new replies" jumping to the first unread post),
the /new and /unread lists and "Mark all as read". Read state is trust's `thread_reads` row per member and
thread, written only when the member reads further (community/trust/services.py `record_read`).

Settings: UNREAD_NEW_DAYS (14): a thread never opened is "new" for this many days at most.
"""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from ..registry import register_template_slot
from . import services, views


def init_app(app: Flask) -> None:
    """Register the lists, the list marks (thread_row_badges) and the template helper."""
    app.config.setdefault("UNREAD_NEW_DAYS", 14)
    app.register_blueprint(views.bp)
    register_template_slot(app, "thread_row_badges", "community/unread/_row_badge.html", order=5)
    register_template_slot(app, "thread_list_tabs", "community/unread/_tabs.html", order=10)
    app.add_template_global(lambda thread, threads=None: services.state_in_list(current_user, thread, threads),
                            "read_state")
