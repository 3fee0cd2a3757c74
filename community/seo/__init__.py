"""Finding the community from outside: the web app manifest and its icons, the service worker (offline
reading), meta/Open Graph tags, robots.txt and the sitemaps. See docs/architecture.md, "Sharing, search
engines and offline reading"."""
from __future__ import annotations

from ..registry import register_template_slot
from . import meta, views


def init_app(app) -> None:
    app.config.setdefault("SITEMAP_URLS_PER_FILE", 10_000)
    app.config.setdefault("SITEMAP_MAX_AGE", 300)
    app.register_blueprint(views.bp)
    register_template_slot(app, "head_extra", "community/seo/_head.html")
    meta.init_app(app)
