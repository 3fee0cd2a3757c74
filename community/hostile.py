"""Refuse hostile request input before any view sees it: invalid UTF-8, NUL bytes and lone surrogates in
the path, query string, headers, form fields and JSON bodies, and JSON nested deeper than any of our
documents. Each answers 400 with `{"error": {...}}` (API, JSON clients) or the error page (browsers).

Why here and not in each view: PostgreSQL refuses NUL in text (a 500 deep in a flush), Python's JSON
parser raises RecursionError (not ValueError) on deep nesting, and Werkzeug decodes invalid UTF-8 to
U+FFFD silently. One check before the first `before_request` covers every route, the API's bearer
lookup included.
"""
from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask_babel import lazy_gettext as _l

from .pages import error_response

MAX_JSON_DEPTH = 32  # our deepest document (a poll inside a thread body) is 4 levels

BAD_ENCODING = _l("The request is not valid UTF-8 text.")
NUL_BYTE = _l("The request contains a NUL character, which is not allowed in text.")
TOO_DEEP = _l("The JSON body is nested too deeply.")


class Hostile(Exception):
    def __init__(self, code: str, message):
        super().__init__(code)
        self.code, self.message = code, message


def _check_bytes(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")  # strict: also refuses encoded surrogates
    except UnicodeDecodeError as exc:
        raise Hostile("bad_encoding", BAD_ENCODING) from exc
    if "\x00" in text:
        raise Hostile("nul_byte", NUL_BYTE)
    return text


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise Hostile("nul_byte", NUL_BYTE)
    try:
        text.encode("utf-8")  # a lone surrogate ("\ud800" in JSON) cannot be stored
    except UnicodeEncodeError as exc:
        raise Hostile("bad_encoding", BAD_ENCODING) from exc


def _check_urlencoded(raw: bytes) -> None:
    for pair in raw.replace(b";", b"&").split(b"&"):
        for part in pair.split(b"=", 1):
            _check_bytes(unquote_to_bytes(part.replace(b"+", b" ")))


def _wsgi_bytes(value: str) -> bytes:
    # WSGI carries raw bytes as latin-1 strings; anything beyond latin-1 was already decoded by a test client
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


def check_json(data) -> None:
    """Refuse a parsed JSON document nested deeper than MAX_JSON_DEPTH or carrying NUL/lone surrogates."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, (list, dict)):
            if depth > MAX_JSON_DEPTH:
                raise Hostile("too_deep", TOO_DEEP)
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def _json_body() -> None:
    raw = request.get_data(cache=True)  # 413 beyond MAX_CONTENT_LENGTH
    if not raw.strip():
        return
    text = _check_bytes(raw)
    try:
        data = json.loads(text)
    except RecursionError:
        raise Hostile("too_deep", TOO_DEEP) from None  # the recursion's own traceback says nothing more
    except ValueError:
        return  # not JSON at all: the view answers with its own message
    check_json(data)


def check_request() -> None:
    """Raise Hostile for the first hostile part of the current request."""
    environ = request.environ
    _check_bytes(_wsgi_bytes(environ.get("PATH_INFO", "")))
    _check_urlencoded(_wsgi_bytes(environ.get("QUERY_STRING", "")))
    for key, value in environ.items():
        if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            raise Hostile("nul_byte", NUL_BYTE)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        _check_urlencoded(request.get_data(cache=True))
    elif mimetype == "multipart/form-data":
        for name, value in request.form.items(multi=True):  # Werkzeug has decoded these with "replace"
            _check_text(name)
            _check_text(value)
    elif request.is_json or request.path.startswith("/api/"):
        _json_body()


def init_app(app: Flask) -> None:
    def refuse_hostile_input():
        try:
            check_request()
        except Hostile as exc:
            return error_response(400, exc.message, code=exc.code)
        return None

    # first of all, before the API's bearer lookup reads the Authorization header
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_hostile_input)
