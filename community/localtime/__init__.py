"""Local times: every time is shown in the reader's zone (community.localtime.zones), through one helper,
`when()` in community/render.py, and made relative ("3 hours ago", "3小时前") by static/js/localtime.js in
the page's language. Mails are rendered in the recipient's zone (community/mail/compose.py).
"""
from __future__ import annotations

from flask import Flask

from ..registry import register_template_slot
from . import views
from .zones import all_zones, zone_name


def init_app(app: Flask) -> None:
    """Register the zone setting (route, settings section) and the script on every page."""
    app.register_blueprint(views.bp)
    register_template_slot(app, "settings_extra", "community/localtime/_settings.html", order=5)
    register_template_slot(app, "page_end", "community/localtime/_page_end.html", order=5)
    app.add_template_global(all_zones, "all_time_zones")
    app.add_template_global(zone_name, "time_zone_name")
