"""The OpenAPI 3.1 document of /api/v1, built from the operations registered with @operation (so it
cannot drift from the routes; tests/community/api/test_openapi.py compares it with the app's url_map), and the
developers' page that explains it."""
from __future__ import annotations

from flask import jsonify

from ..site.branding import community_name
from .core import OPERATIONS, PREFIX, bp

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
NTIME = {"type": ["string", "null"], "format": "date-time"}
NINT = {"type": ["integer", "null"]}
NSTR = {"type": ["string", "null"]}


def object_schema(props: dict, required: list | None = None) -> dict:
    """JSON schema of an object with `props` (all required unless `required` names some)."""
    return {"type": "object", "properties": props, "required": list(props) if required is None else required}


def schema_ref(name: str) -> dict:
    """A reference to the component schema `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def list_schema(item: str) -> dict:
    """The list shape {"items": [...], "next"} of component schema `item`."""
    return object_schema({"items": {"type": "array", "items": schema_ref(item)}, "next": NSTR})


MEMBER_REF = {"type": ["object", "null"], "properties": {"id": INT, "username": STR, "name": STR},
              "required": ["id", "username", "name"]}
MEMBER = {"id": INT, "username": STR, "display_name": STR, "bio": STR, "role": {"enum": ["member", "moderator",
          "staff", "admin"]}, "created_at": TIME, "post_count": INT, "thread_count": INT, "reputation": INT,
          "trust_level": INT, "url": STR}
SCHEMAS = {
    "Error": object_schema({"error": object_schema({"code": STR, "message": STR,
                                  "fields": {"type": "object", "additionalProperties": STR}}, ["code", "message"])}),
    "MemberRef": MEMBER_REF,
    "Member": object_schema(MEMBER),
    "MemberPrivate": object_schema({**MEMBER, "email": STR, "locale": NSTR, "points": INT, "silenced_until": NTIME},
                          list(MEMBER) + ["email", "points"]),
    "MemberRegistered": object_schema({**MEMBER, "email": STR, "locale": NSTR, "points": INT,
                                       "silenced_until": NTIME, "awaiting_approval": BOOL},
                                      list(MEMBER) + ["email", "points", "awaiting_approval"]),
    "Board": object_schema({"id": INT, "slug": STR, "name": STR, "description": STR,
                   "kind": {"enum": ["discussion", "question", "idea", "announcement"]},
                   "visibility": {"enum": ["public", "members", "staff", "groups"]}, "thread_count": INT, "post_count": INT,
                   "last_posted_at": NTIME, "url": STR}),
    "BoardList": list_schema("Board"),
    "AdminBoard": object_schema({"id": INT, "slug": STR, "name": STR, "description": STR,
                                 "kind": {"enum": ["discussion", "question", "idea", "announcement"]},
                                 "visibility": {"enum": ["public", "members", "staff", "groups"]}, "thread_count": INT,
                                 "post_count": INT, "last_posted_at": NTIME, "url": STR, "name_zh": STR,
                                 "description_zh": STR, "default_sort": {"enum": ["latest", "new", "hot", "top"]},
                                 "start_policy": {"enum": ["members", "trust", "staff"]}, "start_min_trust": INT,
                                 "archived": BOOL, "position": INT,
                                 "groups": {"type": "array", "items": STR}}),
    "AdminBoardList": list_schema("AdminBoard"),
    "Thread": object_schema({"id": INT, "title": STR, "url": STR,
                    "board": object_schema({"id": INT, "slug": STR, "name": STR, "kind": STR}), "author": MEMBER_REF,
                    "created_at": TIME, "last_posted_at": TIME, "reply_count": INT, "score": INT,
                    "tags": {"type": "array", "items": STR}, "locked": BOOL, "pinned": BOOL, "solved": BOOL,
                    "accepted_post_id": NINT, "idea_status": NSTR, "deleted": BOOL, "hidden": BOOL,
                    "pending": BOOL}),
    "ThreadList": list_schema("Thread"),
    "Post": object_schema({"id": INT, "thread_id": INT, "number": INT, "url": STR, "author": MEMBER_REF, "body": STR,
                  "body_html": STR, "reply_to": NINT, "created_at": TIME, "edited_at": NTIME, "score": INT,
                  "my_vote": {"type": "integer", "enum": [1, 0, -1]}, "official": BOOL, "whisper": BOOL,
                  "deleted": BOOL, "hidden": BOOL, "pending": BOOL}),
    "ThreadPage": object_schema({"thread": schema_ref("Thread"), "posts": {"type": "array", "items": schema_ref("Post")}, "next": NSTR}),
    "VoteResult": object_schema({"score": INT, "my_vote": {"type": "integer", "enum": [1, 0, -1]}}),
    "FlagResult": object_schema({"id": INT, "reason": STR, "post": schema_ref("Post")}),
    "AcceptedAnswer": object_schema({"thread_id": INT, "accepted_post_id": NINT}),
    "Notification": object_schema({"id": INT, "kind": STR, "actor": MEMBER_REF, "thread_id": NINT, "post_id": NINT,
                          "data": {"type": "object"}, "created_at": TIME, "read": BOOL, "url": STR}),
    "NotificationList": list_schema("Notification"),
    "Token": object_schema({"id": INT, "kind": {"enum": ["login", "personal", "key"]}, "name": STR, "prefix": STR,
                   "scopes": {"type": "array", "items": {"enum": ["read", "write", "moderate", "crm", "admin"]}},
                   "member": MEMBER_REF, "created_at": TIME, "expires_at": NTIME, "last_used_at": NTIME}),
    "TokenCreated": {"allOf": [schema_ref("Token"), object_schema({"token": {"type": "string", "description":
                                                              "the secret: shown this once only"}})]},
    "TokenList": list_schema("Token"),
    "ReviewItem": object_schema({"id": INT, "kind": STR, "status": STR, "weight": {"type": "number"},
                        "post": {"type": ["object", "null"]}, "member": MEMBER_REF, "created_at": TIME,
                        "flags": {"type": "array", "items": object_schema({"id": INT, "reason": STR, "note": STR,
                                                                  "created_at": TIME})}}),
    "ReviewList": list_schema("ReviewItem"),
    "SearchResults": object_schema({"items": {"type": "array", "items": object_schema({
        "id": INT, "thread": object_schema({"id": INT, "title": STR, "url": STR, "solved": BOOL, "replies": INT}),
        "board": object_schema({"id": INT, "slug": STR, "name": STR}), "author": NSTR, "number": INT, "created_at": TIME,
        "score": INT, "url": STR, "snippet": STR, "snippet_is_html": BOOL})},
        "next": NSTR, "total": INT, "page": INT, "pages": INT, "sort": STR, "suggestion": NSTR,
        "partial": BOOL}, ["items", "next"]),
}

# Operations served by other areas' blueprints under /api/v1, documented here with the rest.
EXTRA_OPERATIONS = {
    "GET /search": {"method": "GET", "path": "/search", "summary": "Search posts (the same as the /search page)",
                    "tag": "search", "auth": None, "body": None, "status": 200, "errors": (400, 403, 503),
                    "response": "SearchResults", "limit": None, "endpoint": "search.api_search", "params": [
                        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 1000}},
                        {"name": "board", "in": "query", "schema": {"type": "string", "maxLength": 64},
                         "description": "a board's slug"},
                        {"name": "sort", "in": "query", "schema": {"type": "string",
                                                                   "enum": ["relevance", "newest", "votes"]}},
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                   "maximum": 50}}]},
}

ERROR_TEXT = {400: "bad request: bad JSON, a bad query argument, or a missing CSRF token on a cookie session",
              401: "no valid bearer token (or session) where a member is needed",
              403: "not allowed: the member's role, the token's scope, or a closed setting",
              404: "no such thing, or you may not see it", 405: "method not allowed",
              409: "conflict with the current state", 410: "deleted", 413: "the body is too large",
              422: "validation failed; `fields` names each problem",
              429: "rate limited; `Retry-After` says when to try again", 503: "unavailable for a moment"}


def _operation_doc(op: dict) -> dict:
    doc = {"operationId": op["endpoint"].replace(".", "_"), "summary": op["summary"], "tags": [op["tag"]],
           "parameters": op["params"]}
    if op["auth"]:
        doc["security"] = [{"bearerAuth": []}, {"cookieSession": []}]
        doc["description"] = f"Needs a member; a token needs the `{op['auth']}` scope."
    if op["body"]:
        doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": op["body"]}}}
    if op.get("request_body"):  # not JSON (multipart uploads)
        doc["requestBody"] = op["request_body"]
    response = op["response"]
    schema = schema_ref(response) if isinstance(response, str) else response
    ok = {"description": "success"}
    if schema:
        ok["content"] = {"application/json": {"schema": schema}}
    doc["responses"] = {str(op["status"]): ok}
    for status, description in op.get("also", {}).items():  # another success (an idempotent repeat: 200)
        doc["responses"][str(status)] = {**ok, "description": description}
    errors = set(op["errors"]) | {401, 403}
    if op["body"]:
        errors |= {400, 413, 422}
    if op["limit"]:
        errors.add(429)
    for status in sorted(errors):
        entry = {"description": ERROR_TEXT[status], "content": {"application/json": {"schema": schema_ref("Error")}}}
        if status in (429, 503):
            entry["headers"] = {"Retry-After": {"schema": {"type": "string"}, "description": "seconds to wait"}}
        doc["responses"][str(status)] = entry
    return doc


def document() -> dict:
    """Return the OpenAPI 3.1 document of /api/v1."""
    paths: dict = {}
    operations = {**OPERATIONS, **EXTRA_OPERATIONS, "GET /openapi.json": {
        "method": "GET", "path": "/openapi.json", "summary": "This document", "tag": "meta", "auth": None,
        "body": None, "params": [], "status": 200, "errors": (), "limit": None, "endpoint": "openapi_document",
        "response": {"type": "object"}}}
    for op in operations.values():
        paths.setdefault(PREFIX + op["path"], {})[op["method"].lower()] = _operation_doc(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{community_name()} API", "version": "1",
                 "description": "JSON in and out. Errors are {\"error\": {\"code\", \"message\", \"fields\"?}}; "
                                "lists are {\"items\": [...], \"next\": url or null}. Send a token as "
                                "`Authorization: Bearer <token>`."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "POST /api/v1/tokens, a personal access token or an admin API key"},
            "cookieSession": {"type": "apiKey", "in": "cookie", "name": "session",
                              "description": "the site's own session; writes need the X-CSRFToken header"}}},
        "tags": [{"name": name} for name in dict.fromkeys(
            ["members", "tokens", "forum", "moderation", "search", "admin", "meta"] + [op["tag"] for op in operations.values()])],
    }


@bp.route("/openapi.json")
def openapi_document():
    response = jsonify(document())
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
