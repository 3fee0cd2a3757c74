"""Finding the community from outside: the web app manifest and its icons, the service worker (offline
reading), meta/Open Graph tags, robots.txt and the sitemaps. See docs/architecture.md, "Sharing, search
engines and offline reading"."""
from __future__ import annotations


def init_app(app) -> None:
    from . import meta, views  # noqa: PLC0415  (the area's modules load with the app)

    app.config.setdefault("SITEMAP_URLS_PER_FILE", 10_000)
    app.config.setdefault("SITEMAP_MAX_AGE", 300)
    app.register_blueprint(views.bp)
    meta.init_app(app)
