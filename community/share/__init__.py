"""Sharing a thread out: copy the link, Weibo, Twitter/X and Facebook as plain links (no third-party script
runs on the page, nothing reaches those sites until the reader clicks), and WeChat as a QR code of the
thread's address drawn on the server with segno (WeChat shares by scanning). What the networks show is the
thread's Open Graph card (community/seo).

Only threads a guest can read offer the networks: a members-only or staff thread shows "copy link" alone,
and its QR code does not exist (404), so no title of a closed board is handed to another site.
"""
from __future__ import annotations

from flask import Flask

from ..registry import register_template_slot
from . import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    register_template_slot(app, "thread_head", "community/share/_buttons.html", order=60)
    app.add_template_global(views.share_links, "share_links")
