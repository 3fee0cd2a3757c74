"""One log line per request, with a request id that follows the request through the proxy and back.

The id is the incoming `X-Request-ID` when it looks sane (what nginx's `$request_id` or a load
balancer sends: 1-128 of letters, digits and `-_.:+=/`), else a new random one; it is echoed in the
response's `X-Request-ID` and is `g.request_id` for the code that handles the request. The line goes to
the `community.requests` logger at INFO, in logfmt:

    request_id=4f3c... method=GET path=/t/12 status=200 duration_ms=8.4 client=203.0.113.9

`client` is the address after ProxyFix (TRUSTED_PROXIES), so it names the visitor, not the proxy.
Settings: REQUEST_LOG (on; off under TESTING unless set), REQUEST_LOG_LEVEL (INFO: the level the
logger gets a handler of its own at, so the lines show even when the root logger says WARNING).
"""
from __future__ import annotations

import logging
import re
import secrets
import sys
import time

from flask import Flask, g, request

log = logging.getLogger("community.requests")

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")


def request_id_from(value: str | None) -> str:
    """The incoming id when it is sane, else a new one (32 hex digits)."""
    if value and _SANE.fullmatch(value):
        return value
    return secrets.token_hex(16)


def _quote(value: str) -> str:
    if value and not re.search(r'[\s"=\\]', value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def init_app(app: Flask) -> None:
    """Give every request an id and write its one line when the response is ready."""
    enabled = app.config.setdefault("REQUEST_LOG", not app.testing)
    app.config.setdefault("REQUEST_LOG_LEVEL", "INFO")
    if enabled and not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(app.config["REQUEST_LOG_LEVEL"])
        log.propagate = False  # one line, not a second copy through the root logger

    def _start_request():
        g.request_id = request_id_from(request.headers.get(HEADER))
        g.request_started = time.perf_counter()

    # First of all before_request hooks: a hook that answers early (a rate limit, a refused input)
    # still gets its id and its duration.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)

    @app.after_request
    def _log_request(response):
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[HEADER] = request_id
        if app.config.get("REQUEST_LOG"):
            started = g.get("request_started")
            duration = (time.perf_counter() - started) * 1000 if started else 0.0
            log.info("request_id=%s method=%s path=%s status=%d duration_ms=%.1f client=%s",
                     request_id, request.method, _quote(request.path), response.status_code, duration,
                     _quote(request.remote_addr or "-"))
        return response
