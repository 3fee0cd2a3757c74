"""/api/v1: the composer's preview, drafts and completions (members only).

Registered with the API's own `@operation` on a blueprint of this area (the API's blueprint is
registered before this area loads), with the API's error answers and CSRF rule for cookie sessions.
"""
from __future__ import annotations

from flask import Blueprint, request

from ..api.core import api_error_handlers, check_csrf, json_body, ok, operation, require_member
from ..api.openapi import NTIME, SCHEMAS, STR, object_schema
from ..extensions import db
from . import services

bp = Blueprint("composer_api", __name__, url_prefix="/api/v1")
api_error_handlers(bp)
bp.before_request(check_csrf)

PREVIEW_LIMIT = 20_000  # the longest post body the site accepts (BODY_MAX_LENGTH) is smaller
PREVIEW_BODY = {"type": "object", "required": ["body"], "properties": {
    "body": {"type": "string", "maxLength": PREVIEW_LIMIT}}}
DRAFT_BODY = {"type": "object", "required": ["body"], "properties": {
    "body": {"type": "string", "maxLength": services.MAX_DRAFT_LENGTH}}}
KEY = {"name": "key", "in": "path", "required": True,
       "schema": {"type": "string", "pattern": services.KEY_RE.pattern},
       "description": "thread:<id> (a reply), board:<id> (a new thread), post:<id> (an edit), "
                      "conversation:<id> or conversation:new (private messages)"}
Q = {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 32}}
SCHEMAS.update({
    "Preview": object_schema({"html": STR}),
    "Draft": object_schema({"key": STR, "body": STR, "updated_at": NTIME}),  # null: no draft (body "")
    "MemberSuggestions": object_schema({"items": {"type": "array", "items": object_schema(
        {"username": STR, "name": STR})}}),
    "TagSuggestions": object_schema({"items": {"type": "array", "items": object_schema({"name": STR})}}),
})


def _draft_json(key: str, draft) -> dict:
    if draft is None:
        return {"key": key, "body": "", "updated_at": None}
    return {"key": draft.key, "body": draft.body, "updated_at": draft.updated_at.isoformat()}


@operation("POST", "/preview", summary="Render a post body exactly as it would be saved", tag="composer",
           auth="write", body=PREVIEW_BODY, response="Preview", errors=(400, 401, 403, 422, 429),
           limit="120 per minute; 2000 per hour", blueprint=bp)
def preview():
    require_member("write")
    data = json_body(PREVIEW_BODY)
    return ok({"html": services.preview(data["body"])})


@operation("GET", "/drafts/{key}", summary="Your draft for a place (an empty body when there is none)",
           tag="composer", auth="read", params=[KEY], response="Draft", errors=(400, 401, 403, 422), blueprint=bp)
def get_draft(key: str):
    member = require_member("read")
    return ok(_draft_json(key, services.get_draft(member, key)))


@operation("PUT", "/drafts/{key}", summary="Keep what you typed for a place (an empty body discards it)",
           tag="composer", auth="write", params=[KEY], body=DRAFT_BODY, response="Draft",
           errors=(400, 401, 403, 422, 429), limit="120 per minute; 3000 per hour", blueprint=bp)
def put_draft(key: str):
    member = require_member("write")
    data = json_body(DRAFT_BODY)
    draft = services.save_draft(member, key, data["body"])
    db.session.commit()
    return ok(_draft_json(key, draft))


@operation("DELETE", "/drafts/{key}", summary="Discard your draft for a place", tag="composer", auth="write",
           params=[KEY], status=204, errors=(400, 401, 403, 422), blueprint=bp)
def delete_draft(key: str):
    member = require_member("write")
    services.check_key(key)
    services.discard_draft(member, key)
    db.session.commit()
    return "", 204


def _q() -> str:
    return (request.args.get("q") or "")[:32]


@operation("GET", "/members/suggest", summary="Members whose username or display name starts with q",
           tag="composer", auth="read", params=[Q], response="MemberSuggestions", errors=(400, 401, 403, 429),
           limit="120 per minute", blueprint=bp)
def suggest_members():
    require_member("read")
    return ok({"items": [{"username": m.username, "name": m.name} for m in services.suggest_members(_q())]})


@operation("GET", "/tags/suggest", summary="Tags starting with q on threads you may read", tag="composer",
           auth="read", params=[Q], response="TagSuggestions", errors=(400, 401, 403, 429), limit="120 per minute",
           blueprint=bp)
def suggest_tags():
    member = require_member("read")
    return ok({"items": [{"name": name} for name in services.suggest_tags(member, _q())]})
