"""Stored notifications (`services.notify`), thread follows, and the /notifications page.

Other areas call `community.notifications.services.notify(member, kind, actor=, thread=, post=, data=)`.
A kind's line on the notifications page comes from
templates/community/notifications/kinds/<kind>.html when that file exists (variables `n`, `actor`,
`thread`), else from a generic line.
"""
from flask import Flask

from ..registry import register_header_count, register_template_slot
from ..signals import post_created, thread_created
from . import (
    models,  # noqa: F401  (tables known to create_all and Alembic)
    services,
    views,
)


def init_app(app: Flask) -> None:
    """Register the notifications page, its settings, the header count and the reply/mention subscribers."""
    # Notifications shown per page on /notifications.
    app.config.setdefault("NOTIFICATIONS_PER_PAGE", 30)
    app.register_blueprint(views.bp)
    register_template_slot(app, "thread_head", "community/notifications/_follow.html", order=20)
    register_template_slot(app, "header_extra", "community/notifications/_header.html", order=1)
    register_template_slot(app, "board_head", "community/notifications/_board_follow.html")
    app.add_template_global(views.unread_notification_count, "unread_notification_count")
    register_header_count(app, "unread_notifications", services.unread_count_select)
    app.add_template_global(views.thread_is_followed, "thread_is_followed")
    app.add_template_global(views.board_is_followed, "board_is_followed")
    thread_created.connect(services.on_thread_created)
    post_created.connect(services.on_post_created)
