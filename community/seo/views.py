"""/manifest.webmanifest, /icons/<size>.png, /sw.js, /offline, /robots.txt, /sitemap.xml and its pages.

Sitemaps list public content only, as a guest sees it: boards a guest may read, and their threads that are
not deleted, hidden or awaiting approval (`public_thread_clause`). `/sitemap.xml` is an index of pages of at
most `SITEMAP_URLS_PER_FILE` addresses each (`/sitemap-boards.xml`, `/sitemap-threads-<n>.xml`).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from flask import Blueprint, abort, current_app, make_response, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy import func, select

from ..extensions import db
from ..forum.models import Board, Thread
from ..permissions import public_thread_clause, readable_board_clause
from ..site import branding
from . import icons
from .meta import Guest

bp = Blueprint("seo", __name__)
SW_FILE = Path(__file__).resolve().parents[2] / "static" / "js" / "sw.js"
DISALLOWED = ("/admin", "/crm", "/settings", "/messages", "/conversations", "/search", "/api/", "/drafts",
              "/notifications", "/review", "/moderation", "/live/")


def _public_threads():
    return (select(Thread).join(Thread.board)
            .where(readable_board_clause(Guest()), public_thread_clause()))


def _short_name(name: str) -> str:
    return name if len(name) <= 12 else name.split()[0][:12]


@bp.route("/manifest.webmanifest")
def manifest():
    site = branding.brand()
    version = icons.version()
    body = {
        "name": site.name,
        "short_name": _short_name(site.name),
        "description": site.tagline or site.name,
        "lang": "zh-CN" if branding.DEFAULT_LANGUAGE.value == "zh" else "en",
        "start_url": url_for("site.home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": icons.theme_colour(),
        "background_color": icons.BACKGROUND,
        "icons": [{"src": url_for("seo.icon", size=size, v=version), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any"} for size in icons.SIZES],
    }
    response = make_response(json.dumps(body, ensure_ascii=False))
    response.headers["Content-Type"] = "application/manifest+json; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/icons/<int:size>.png")
def icon(size: int):
    if size not in (*icons.SIZES, icons.FAVICON_SIZE):
        abort(404)
    response = make_response(icons.icon_png(size))
    response.headers["Content-Type"] = "image/png"
    current = request.args.get("v") == icons.version()
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if current else "public, max-age=300"
    return response


def favicon_fallback():
    """/favicon.ico when the admin set no favicon: the app icon (from the logo, or the default)."""
    response = make_response(icons.icon_png(icons.FAVICON_SIZE))
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/sw.js")
def service_worker():
    """The service worker, from the root so that its scope is the whole site; revalidated on every update check."""
    response = make_response(SW_FILE.read_bytes())
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/offline")
def offline():
    """What the service worker shows for a page that was not saved (the same for everyone: nothing personal)."""
    response = make_response(render_template("community/seo/offline.html", site=branding.brand(),
                                             lang="zh-CN" if get_locale().language == "zh" else "en"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "",
             f"Sitemap: {url_for('seo.sitemap_index', _external=True)}", ""]
    response = make_response("\n".join(lines))
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _xml(template: str, **context):
    response = make_response(render_template(template, **context))
    response.headers["Content-Type"] = "application/xml; charset=utf-8"
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['SITEMAP_MAX_AGE']}"
    return response


def _per_file() -> int:
    return max(1, int(current_app.config["SITEMAP_URLS_PER_FILE"]))


@bp.route("/sitemap.xml")
def sitemap_index():
    public = _public_threads().with_only_columns(Thread.id, Thread.last_posted_at).subquery()
    count, newest = db.session.execute(select(func.count(), func.max(public.c.last_posted_at))).one()
    files = [(url_for("seo.sitemap_boards", _external=True), newest)]
    files += [(url_for("seo.sitemap_threads", number=n, _external=True), None)
              for n in range(1, math.ceil(count / _per_file()) + 1)]
    return _xml("community/seo/sitemap_index.xml", files=files)


@bp.route("/sitemap-boards.xml")
def sitemap_boards():
    boards = db.session.scalars(select(Board).where(readable_board_clause(Guest())).order_by(Board.id)
                                .limit(_per_file())).all()
    urls = [(url_for("site.home", _external=True), None), (url_for("site.latest", _external=True), None)]
    urls += [(url_for("forum.board", slug=board.slug, _external=True), None) for board in boards]
    return _xml("community/seo/sitemap.xml", urls=urls)


@bp.route("/sitemap-threads-<int:number>.xml")
def sitemap_threads(number: int):
    size = _per_file()
    if number < 1 or number > 1_000_000:
        abort(404)
    rows = db.session.execute(
        _public_threads().with_only_columns(Thread.id, Thread.last_posted_at).order_by(Thread.id)
        .offset((number - 1) * size).limit(size)).all()
    if not rows and number > 1:
        abort(404)
    urls = [(url_for("forum.thread", thread_id=thread_id, _external=True), last) for thread_id, last in rows]
    return _xml("community/seo/sitemap.xml", urls=urls)
