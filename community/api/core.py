"""What every /api/v1 endpoint shares: the blueprint, bearer authentication, CSRF for cookie sessions,
JSON bodies checked against the same schemas the OpenAPI document shows, errors and pagination."""
from __future__ import annotations

import json
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import ServiceError
from ..extensions import csrf, db, limiter
from ..pages import error_response
from ..web import PageOutOfRange
from . import services

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1
bp = Blueprint("api", __name__, url_prefix=PREFIX)

# Every operation's documentation, filled by the @operation decorator and read by openapi.py.
OPERATIONS: dict[str, dict] = {}


class ApiError(Exception):
    """Stop an API request with `{"error": {...}}`."""

    def __init__(self, status: int, message, code: str | None = None, fields: dict | None = None, headers=None):
        super().__init__(str(message))
        self.status, self.message, self.code, self.fields, self.headers = status, message, code, fields, headers


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    db.session.rollback()
    return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields, headers=exc.headers)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    db.session.rollback()
    return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)


def api_error_handlers(blueprint: Blueprint) -> None:
    """Give another /api/v1 blueprint the same error answers as this one."""
    blueprint.register_error_handler(ApiError, _api_error)
    blueprint.register_error_handler(ServiceError, _service_error)


# ---- authentication ---------------------------------------------------------------------------

def bearer_secret() -> str | None:
    """Return the token in `Authorization: Bearer ...`, "" for a malformed header, None when there is none."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return ""
    return value.strip()


def authenticate_request():
    """App-wide, first of all: on /api/v1 a bearer token (never a cookie) names the member."""
    if not request.path.startswith(PREFIX + "/"):
        return None
    g.api_token = None
    secret = bearer_secret()
    if secret is None:
        return None
    token = services.find_active_token(secret)
    if token is None:
        return error_response(401, _("The token is missing, expired or revoked."), code="invalid_token",
                              headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    g.api_token = token
    g._login_user = token.member  # Flask-Login's per-request user: the session cookie is not consulted
    services.touch_token(token)
    db.session.commit()
    return None


def via_token() -> bool:
    return g.get("api_token") is not None


@bp.before_request
def _csrf_for_cookie_sessions():
    """Bearer requests carry no ambient credentials: no CSRF check. A cookie session's writes need the token."""
    if via_token() or request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if not current_user.is_authenticated:
        return None  # nothing ambient to abuse; the endpoint answers 401 where it needs a member
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # raises CSRFError -> 400 {"error": {"code": "csrf_failed"}}
    return None


check_csrf = _csrf_for_cookie_sessions  # for other /api/v1 blueprints: `bp.before_request(check_csrf)`


def has_scope(scope: str) -> bool:
    token = g.get("api_token")
    return token is None or scope in token.scope_list  # a cookie session acts with the member's full powers


def require_member(scope: str = "read"):
    """Return the calling member, or stop with 401 (nobody) or 403 (the token lacks the scope)."""
    if not current_user.is_authenticated:
        raise ApiError(401, _("Please sign in: send an API token as 'Authorization: Bearer <token>'."),
                       code="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="api"'})
    if not has_scope(scope):
        raise ApiError(403, _("This token lacks the %(scope)s scope.", scope=scope), code="insufficient_scope")
    return current_user._get_current_object()


def reader(scope: str = "read"):
    """Return the caller (a guest is fine) after checking that a token, if any, may read."""
    if via_token() and not has_scope(scope):
        raise ApiError(403, _("This token lacks the %(scope)s scope.", scope=scope), code="insufficient_scope")
    return current_user._get_current_object()


# ---- request bodies -----------------------------------------------------------------------------

TYPE_NAMES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}


def json_body(schema: dict) -> dict:
    """Return the request's JSON object, checked against `schema` (400 when it is not JSON, 422 per field)."""
    raw = request.get_data(cache=True)  # 413 beyond MAX_CONTENT_LENGTH
    if not raw.strip():
        data = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, _("The body is not valid JSON."), code="bad_json") from exc
        except RecursionError:  # community.hostile refuses deep nesting first; this is the last line
            raise ApiError(400, _("The JSON body is nested too deeply."), code="too_deep") from None
    if not isinstance(data, dict):
        raise ApiError(400, _("The body must be a JSON object."), code="bad_json")
    problems = {}
    for name in schema.get("required", ()):
        if data.get(name) is None:
            problems[name] = _("This field is required.")
    for name, value in data.items():
        spec = schema.get("properties", {}).get(name)
        if spec is None:
            problems[name] = _("Unknown field.")
        elif name not in problems and (problem := _check(value, spec)):
            problems[name] = problem
    if problems:
        raise ApiError(422, _("Please correct the marked fields."), code="validation_failed", fields=problems)
    return data


def _check(value, spec: dict):
    kinds = spec.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if value is None:
        return None if "null" in kinds else _("This field may not be null.")
    if not any(_is(value, kind) for kind in kinds if kind != "null"):
        return _("Must be of type %(type)s.", type=" or ".join(k for k in kinds if k != "null"))
    if "enum" in spec and value not in spec["enum"]:
        return _("Must be one of: %(values)s.", values=", ".join(str(v) for v in spec["enum"]))
    if isinstance(value, str):
        if len(value) > spec.get("maxLength", 10**9):
            return _("At most %(n)d characters.", n=spec["maxLength"])
    if isinstance(value, int) and not isinstance(value, bool):
        if value < spec.get("minimum", -(2**63)) or value > spec.get("maximum", 2**63):
            return _("Must be from %(a)s to %(b)s.", a=spec.get("minimum"), b=spec.get("maximum"))
    if isinstance(value, list):
        if len(value) > spec.get("maxItems", 10**6):
            return _("At most %(n)d items.", n=spec["maxItems"])
        for item in value:
            if problem := _check(item, spec.get("items", {})):
                return problem
    if isinstance(value, dict) and "properties" in spec:
        for name in spec.get("required", ()):
            if value.get(name) is None:
                return _("%(name)s is required.", name=name)
        for name, item in value.items():
            if name not in spec["properties"]:
                return _("Unknown field: %(name)s.", name=name)
            if problem := _check(item, spec["properties"][name]):
                return f"{name}: {problem}"
    return None


def _is(value, kind) -> bool:
    if kind is None:
        return True
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, TYPE_NAMES[kind])


# ---- query arguments and pagination ----------------------------------------------------------------

def int_arg(name: str, default: int = 1, most: int = 100_000) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise ApiError(400, _("%(name)s must be a whole number from 1 to %(most)d.", name=name, most=most),
                       code="bad_request", fields={name: _("A whole number from 1 up.")})
    return int(raw)


def choice_arg(name: str, choices, default: str) -> str:
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw not in choices:
        raise ApiError(400, _("%(name)s must be one of: %(values)s.", name=name, values=", ".join(choices)),
                       code="bad_request", fields={name: _("Not a known value.")})
    return raw


def next_url(has_next: bool, page: int) -> str | None:
    """Return the URL of the next page of this list (same arguments), or None on the last page."""
    if not has_next:
        return None
    args = request.args.to_dict()
    args["page"] = page + 1
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def paged(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except PageOutOfRange as exc:
        raise ApiError(404, _("There is no such page."), code="not_found") from exc


def listing(items, page_obj) -> dict:
    return {"items": items, "next": next_url(page_obj.has_next, page_obj.page)}


def not_found():
    raise ApiError(404, _("There is nothing here. It may have been moved, or you may not have access to it."),
                   code="not_found")


# ---- documentation of operations --------------------------------------------------------------------

def operation(method: str, path: str, *, summary: str, tag: str, auth: str | None = None, body: dict | None = None,
              params: list | None = None, response: str | dict | None = None, status: int = 200,
              errors: tuple = (), limit: str | None = None, blueprint: Blueprint | None = None):
    """Register an endpoint and its OpenAPI description in one place, so the two cannot drift apart.

    `auth`: None (anyone), or the scope a member's token needs. `body`: the JSON schema of the request,
    also used to check it. `response`: a component name or an inline schema. `blueprint`: another
    blueprint under /api/v1 (crm_bridge registers its own, after this one is registered); it must use
    `api_error_handlers` so its failures answer in the same shape.
    """
    def decorate(fn):
        endpoint = fn.__name__
        OPERATIONS[f"{method} {path}"] = {"method": method, "path": path, "summary": summary, "tag": tag,
                                          "auth": auth, "body": body, "params": params or [], "response": response,
                                          "status": status, "errors": errors, "endpoint": endpoint, "limit": limit}
        @wraps(fn)
        def view(**kwargs):
            # Ids beyond the database's integer are no rows (and must not reach PostgreSQL as a bind).
            if any(isinstance(value, int) and value > MAX_ID for value in kwargs.values()):
                not_found()
            return fn(**kwargs)

        if limit:
            view = limiter.limit(limit, methods=[method])(view)
        flask_path = path.replace("{", "<").replace("}", ">")
        for name in ("thread_id", "post_id", "item_id", "token_id", "profile_id", "conversation_id", "case_id", "lead_id",
                     "segment_id"):
            flask_path = flask_path.replace(f"<{name}>", f"<int:{name}>")
        (blueprint or bp).add_url_rule(flask_path, endpoint=endpoint, view_func=view, methods=[method])
        return fn

    return decorate


def ok(payload, status: int = 200):
    response = jsonify(payload)
    response.status_code = status
    return response
