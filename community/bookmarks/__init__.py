"""Bookmarks on threads and posts, with an optional note and reminder ("remind me tomorrow"), and the
/bookmarks page. Due reminders are sent by the scheduled job `bookmarks.reminders` as notifications of
kind `bookmark_reminder`, once, and only while the member may still see the target.

Reminder choices: in 1 hour, tomorrow 9:00, in a week 9:00, or a date and time, in the member's time zone
(community.localtime).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

from ..registry import register_scheduled_job, register_template_slot
from . import (
    models,  # noqa: F401  (tables known to create_all and Alembic)
    services,
    views,
)


def init_app(app: Flask) -> None:
    """Register the bookmark routes, buttons (thread head, post actions), the helper and the reminder job."""
    app.register_blueprint(views.bp)
    register_template_slot(app, "thread_head", "community/bookmarks/_thread_button.html", order=30)
    register_template_slot(app, "post_actions", "community/bookmarks/_post_button.html", order=60)
    register_template_slot(app, "thread_before_posts", "community/bookmarks/_script.html", order=40)
    register_template_slot(app, "header_extra", "community/bookmarks/_header.html", order=5)
    app.add_template_global(views.bookmark_of, "bookmark_of")
    app.add_template_global(views.bookmarks_of_page, "bookmarks_of_page")
    register_scheduled_job(app, "bookmarks.reminders", services.send_due_reminders, every=timedelta(minutes=5))
