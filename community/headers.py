"""Security headers on every answer, the Content-Security-Policy and where its violations are reported.

Two layers, because not every answer passes through Flask:
- `SecurityHeaders`, a WSGI middleware around the whole app (Engine.IO's `/socket.io/` answers
  included), adds the headers that are the same everywhere, HSTS when the request came over https,
  and `Secure` on every cookie set over https (the session cookie is written after `after_request`).
- an `after_request` hook sets the CSP (it depends on settings) and `Cache-Control`: `private, no-store`
  on every answer to a signed-in reader (cookie or bearer token) that is not a static file, and on a
  guest's answer that is personal (a form with a CSRF token, a changed session, a flashed message) or
  not known to be shareable; `public, max-age=PAGE_CACHE_SECONDS` with `Vary: Cookie, Accept-Language`
  only on the guest pages in `SHAREABLE_PAGES` when nothing of the session went into them, so a CDN or
  nginx may keep them (docs/production.md). The middleware turns any answer that sets a cookie into
  `private, no-store`, whatever the view said (the session cookie is written after the hook).

Behind a reverse proxy set `TRUSTED_PROXIES` to the number of proxies in front (ProxyFix trusts that
many `X-Forwarded-For/-Proto/-Host` hops); then "came over https" means the proxy said so.
`FORCE_HTTPS_HEADERS` treats every request as https (a proxy that does not send X-Forwarded-Proto).
"""
from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import csrf, limiter

log = logging.getLogger("community.csp")

REPORT_PATH = "/csp-report"
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), midi=(), payment=(), usb=()")
STATIC_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
DEFAULTS = {
    "TRUSTED_PROXIES": 0,           # reverse proxies in front whose X-Forwarded-* headers are believed
    "FORCE_HTTPS_HEADERS": False,   # every request counts as https (HSTS, Secure cookies)
    "HSTS_SECONDS": 31_536_000,     # one year; 0 sends no HSTS
    "UPLOADS_URL": None,            # where uploaded files are served from when not this site (a CDN)
    "IMAGE_PROXY_URL": None,        # an image proxy that serves outside images under its own origin
    "SOCKETIO_URL": None,           # a separate websocket origin (default: this site)
}


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(config) -> str:
    """The CSP: this site, plus the uploads, image proxy and websocket origins that are configured."""
    images = ["'self'", "data:"] + [o for o in (_origin(config.get("UPLOADS_URL")),
                                               _origin(config.get("IMAGE_PROXY_URL"))) if o]
    connect = ["'self'"]  # CSP 3: 'self' also allows ws:/wss: to this host and port
    socket_origin = _origin(config.get("SOCKETIO_URL"))
    if socket_origin:
        connect += [socket_origin, socket_origin.replace("http", "ws", 1)]
    return "; ".join([
        "default-src 'self'", "img-src " + " ".join(dict.fromkeys(images)), "style-src 'self'",
        "script-src 'self'", "connect-src " + " ".join(dict.fromkeys(connect)), "object-src 'none'",
        "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'",
        # report-uri only: with report-to present Chromium ignores report-uri and batches reports
        # through the Reporting API (a minute late, or never with background networking off)
        f"report-uri {REPORT_PATH}",
    ])


class SecurityHeaders:
    """WSGI middleware: the fixed headers on every answer, HSTS and Secure cookies over https."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app
        self._proxy_fixes: dict[int, ProxyFix] = {}

    def __call__(self, environ, start_response):
        proxies = int(self.app.config.get("TRUSTED_PROXIES") or 0)
        if proxies <= 0:
            return self._serve(environ, start_response)
        fix = self._proxy_fixes.get(proxies)
        if fix is None:
            fix = self._proxy_fixes[proxies] = ProxyFix(self._serve, x_for=proxies, x_proto=proxies,
                                                        x_host=proxies, x_port=proxies)
        return fix(environ, start_response)

    def _serve(self, environ, start_response):
        config = self.app.config
        https = environ.get("wsgi.url_scheme") == "https" or bool(config.get("FORCE_HTTPS_HEADERS"))
        hsts = int(config.get("HSTS_SECONDS") or 0)

        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _value in headers}
            headers = list(headers)
            if "set-cookie" in present:  # an answer that sets a cookie belongs to one browser, never to a shared cache
                headers = [(n, v) for n, v in headers if n.lower() not in ("cache-control", "expires")]
                headers.append(("Cache-Control", PRIVATE))
            for name, value in STATIC_HEADERS:
                if name.lower() not in present:
                    headers.append((name, value))
            if https:
                if hsts and "strict-transport-security" not in present:
                    headers.append(("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains"))
                headers = [(name, _secure(value) if name.lower() == "set-cookie" else value)
                           for name, value in headers]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def _secure(cookie: str) -> str:
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    return cookie if "secure" in attributes else cookie + "; Secure"


bp = Blueprint("csp", __name__)


@bp.route(REPORT_PATH, methods=["POST"])
@csrf.exempt  # browsers send reports without a token; the endpoint only logs
@limiter.limit("60/minute")
def report():
    """Log a CSP violation report (report-uri's application/csp-report or the Reporting API's list)."""
    raw = request.get_data(cache=False)[:20_000]
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        data = None
    reports = data if isinstance(data, list) else [data]
    for item in reports:
        if not isinstance(item, dict):
            continue
        body = item.get("csp-report") or item.get("body") or {}
        if not isinstance(body, dict):
            continue
        log.warning("CSP violation: %s blocked %s on %s",
                    _clean(body.get("effective-directive") or body.get("effectiveDirective")
                           or body.get("violated-directive"), 100),
                    _clean(body.get("blocked-uri") or body.get("blockedURL"), 300),
                    _clean(body.get("document-uri") or body.get("documentURL"), 300))
    return "", 204


def _clean(value, length: int) -> str:
    """A report field as one short line (reports come from anyone: no forged log lines)."""
    return "".join(c if c.isprintable() else "?" for c in str(value or ""))[:length]


# Answers that are the same for every reader (no-store would make signed-in members fetch them on every page):
# static files, the brand stylesheet, the favicon and public uploads (the logo; random, unchanging names),
# the app icons and the web app manifest.
PUBLIC_FILES = {"static", "site.brand_stylesheet", "site.favicon", "uploads.serve",
                "seo.icon", "seo.manifest"}  # the app icons and the manifest (community/seo)


# Pages every guest sees alike (after the same permission check as always): a shared cache (a CDN, nginx) may
# keep a guest's copy for PAGE_CACHE_SECONDS. Nothing here carries a secret in its URL (mail tokens, invites)
# or changes quickly under live updates (the /live/ fragments).
SHAREABLE_PAGES = {
    "site.home", "site.latest", "site.privacy", "site.terms", "forum.board", "forum.tag", "forum.thread",
    "members.profile", "ideas.roadmap", "polls.show", "reputation.badge", "reputation.badge_list",
    "reputation.leaderboard", "reputation.history", "moderation.transparency", "search.search",
    "api_pages.developers",
}
PRIVATE = "private, no-store"


def _shareable(response) -> bool:
    """A guest's page that every other guest would get alike: nothing of this session rendered or written."""
    return (request.method in ("GET", "HEAD") and response.status_code == 200 and response.mimetype == "text/html"
            and request.endpoint in SHAREABLE_PAGES and not g.get("_page_has_csrf_token")
            and not session.modified and "_flashes" not in session
            and int(current_app.config.get("PAGE_CACHE_SECONDS") or 0) > 0)


def _cache_control(response) -> None:
    """`public, max-age` on shareable guest pages; `private, no-store` on every signed-in or personal answer."""
    if request.endpoint in PUBLIC_FILES:
        return
    if g.get("api_token") is not None or current_user.is_authenticated:
        response.headers["Cache-Control"] = PRIVATE
        response.headers.pop("Expires", None)
    elif _shareable(response):
        response.headers["Cache-Control"] = f"public, max-age={int(current_app.config['PAGE_CACHE_SECONDS'])}"
        response.vary.add("Cookie")  # the language, time zone and theme choices; any session at all
        response.vary.add("Accept-Language")
    elif "Cache-Control" not in response.headers:  # a view that chose its own (sitemaps, the manifest) keeps it
        response.headers["Cache-Control"] = PRIVATE
    # a cookie set on the way out (the session is written after this hook) is caught by SecurityHeaders


def _after(response):
    # a view may set a stricter policy of its own (the sandboxed mail preview does)
    response.headers.setdefault("Content-Security-Policy", content_security_policy(current_app.config))
    _cache_control(response)
    return response


def init_app(app: Flask) -> None:
    """Wrap the WSGI app (call after Flask-SocketIO wrapped it) and register the hook and report endpoint."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)
    app.after_request(_after)
    app.wsgi_app = SecurityHeaders(app.wsgi_app, app)
