"""What every page shares: error pages (HTML or JSON), template helpers, security headers."""
from __future__ import annotations

import logging

from flask import jsonify, make_response, render_template, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, default_exceptions

from . import permissions
from .extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to do that."),
    404: _l("There is nothing here. It may have been moved, or you may not have access to it."),
    405: _l("That method is not allowed here."),
    410: _l("This has been deleted."),
    413: _l("That is too large to send."),
    429: _l("You are doing that too often. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. It has been logged; please try again."),
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 410: "gone", 413: "payload_too_large", 422: "validation_failed",
         429: "rate_limited", 500: "server_error", 503: "unavailable"}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message=None, code: str | None = None, fields: dict | None = None, headers=None):
    """Answer with an error page, or `{"error": {...}}` for API and JSON clients."""
    message = str(message or MESSAGES.get(status, MESSAGES[400]))
    if wants_json():
        body = {"code": code or CODES.get(status, "error"), "message": message}
        if fields:
            body["fields"] = {key: str(value) for key, value in fields.items()}
        response = jsonify(error=body)
    else:
        response = render_template("errors/error.html", status=status, message=message), status
        response = make_response(response)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def init_app(app):
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return error_response(400, _l("Your form expired or came from another site. Please reload the page and try again."),
                              code="csrf_failed")

    @app.errorhandler(HTTPException)
    def _http(exc):
        headers = {}
        if exc.code == 429 and exc.response is not None and exc.response.status_code == 429:
            return exc.response  # a limit's own answer (its on_breach), e.g. the per-account sign-in throttle
        if exc.code == 429:
            retry = getattr(exc, "retry_after", None)
            if exc.response is not None and exc.response.headers.get("Retry-After"):
                headers["Retry-After"] = exc.response.headers["Retry-After"]
            elif retry:
                headers["Retry-After"] = str(retry)
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        message = exc.description if getattr(exc, "community_message", False) else None
        return error_response(exc.code or 500, message, headers=headers)

    @app.errorhandler(Exception)
    def _crash(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500)

    # security headers: community/headers.py

    app.jinja_env.globals.update(can=permissions, page_url=_page_url, format_datetime=format_datetime,
                                 get_locale=get_locale)
    app.jinja_env.add_extension("jinja2.ext.do")


def _page_url(**changes) -> str:
    """Return the current URL with some query arguments changed (for pagination and sorting)."""
    args = request.args.to_dict()
    args.update({key: value for key, value in changes.items() if value is not None})
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def abort_with(status: int, message):
    """Stop the request with `status` and a message that the error page shows as it is."""
    exc = default_exceptions[status](description=str(message))
    exc.community_message = True
    raise exc
