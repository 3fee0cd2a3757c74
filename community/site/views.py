"""The home page, the latest list, Atom feeds and /healthz."""
from __future__ import annotations

import re

import redis
from flask import Blueprint, abort, current_app, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text as sql_text

from ..dbtypes import utcnow
from ..extensions import db
from ..forum import services as forum
from ..forum.views import period_arg, sort_arg
from ..i18n import language_choices
from ..permissions import can_view_board
from ..search import health as search_health
from ..uploads.views import send_upload
from ..web import load_board, once_per_request, page_arg, paged
from . import branding

bp = Blueprint("site", __name__)


class _Guest:
    """Feeds are read by feed readers, which never sign in: they see what a guest sees."""

    is_authenticated = False


# Characters XML 1.0 forbids even as references (C0 controls but tab and newlines, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@bp.app_template_filter("xml_text")
def xml_text(value) -> str:
    """Drop the characters a well-formed XML document may not hold (autoescaping does the rest)."""
    return _NOT_XML.sub("", str(value if value is not None else ""))


bp.add_app_template_global(branding.brand, "brand")
bp.add_app_template_global(branding.community_name, "community_name")
bp.add_app_template_global(language_choices, "language_choices")


@bp.app_template_global("nav_boards")
def nav_boards() -> list:
    """The boards the reader may read, for the header's Boards menu: one query per request, shared with the home page."""
    return once_per_request("_nav_boards", lambda: forum.visible_boards(current_user), [])


@bp.route("/")
def home():
    boards = nav_boards()
    latest = forum.latest_threads(current_user, 1, per_page=10)
    intro = branding.INTRO.value
    return render_template("community/site/home.html", boards=boards, latest=latest,
                           intro=branding.markdown_html(intro) if intro.strip() else None)


@bp.route("/brand.css")
def brand_stylesheet():
    """The brand colours as CSS custom properties (the CSP allows no inline styles); cached for good per version."""
    css = branding.brand_css()
    response = make_response(css)
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    current = request.args.get("v") == branding.brand_css_version(css)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if current else "public, max-age=60"
    return response


@bp.route("/favicon.ico")
def favicon():
    """The uploaded favicon (a PNG: browsers go by the Content-Type, not the name); else the app icon (seo)."""
    upload_id = branding.FAVICON.value
    if not upload_id:
        from ..seo.views import favicon_fallback  # noqa: PLC0415  (seo is an area; site loads first)
        return favicon_fallback()
    return send_upload(upload_id, max_age=31536000 if request.args.get("v") == upload_id[:8] else 3600)


def _policy_page(setting, title):
    source = setting.value
    if not source.strip():
        abort(404)
    return render_template("community/site/policy.html", title=title, body=branding.markdown_html(source))


@bp.route("/terms")
def terms():
    return _policy_page(branding.TERMS, _("Terms of service"))


@bp.route("/privacy")
def privacy():
    return _policy_page(branding.PRIVACY, _("Privacy policy"))


@bp.route("/latest")
def latest():
    sort = sort_arg()
    threads = paged(forum.latest_threads, current_user, page_arg(), sort, period=period_arg())
    return render_template("community/site/latest.html", threads=threads, sort=sort)


@bp.route("/latest.atom")
def latest_feed():
    threads = forum.latest_threads(_Guest(), 1, sort="new", per_page=30)
    return _feed(threads.items, title=branding.community_name(), url=url_for("site.latest", _external=True))


@bp.route("/b/<slug>.atom")
def board_feed(slug: str):
    board = load_board(slug)
    if not can_view_board(_Guest(), board):
        abort(404)
    threads = forum.board_threads(_Guest(), board, 1, sort="new")
    return _feed(threads.items, title=board.name, url=url_for("forum.board", slug=slug, _external=True))


def _feed(threads, title, url):
    updated = max((t.last_posted_at for t in threads), default=utcnow())
    body = render_template("community/site/feed.atom", threads=threads, title=title, url=url, updated=updated)
    response = make_response(body)
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


@bp.route("/healthz")
def healthz():
    checks = {}
    try:
        db.session.execute(sql_text("SELECT 1"))
        checks["database"] = {"ok": True, "backend": db.engine.dialect.name}
    except Exception as exc:
        db.session.rollback()
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    checks["search_index"] = search_health()
    if current_app.config.get("REDIS_URL"):
        checks["message_queue"] = _redis_health(current_app.config["REDIS_URL"])
    ok = all(check["ok"] for check in checks.values())
    response = jsonify(status="ok" if ok else "down", checks=checks)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _redis_health(url: str) -> dict:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
