"""POST /api/v1/uploads: a member's picture or file, from the composer (cookie session + CSRF) or a token."""
from __future__ import annotations

from flask import Blueprint, request

from ..api import core
from ..api.core import OPERATIONS, PREFIX, api_error_handlers, ok, operation, require_member
from ..extensions import csrf, db
from . import services

UPLOAD_RESPONSE = {"type": "object", "required": ["id", "url", "kind", "width", "height", "bytes"], "properties": {
    "id": {"type": "string"}, "url": {"type": "string"}, "kind": {"enum": ["image", "file"]},
    "width": {"type": ["integer", "null"]}, "height": {"type": ["integer", "null"]}, "bytes": {"type": "integer"},
    "name": {"type": "string", "description": "the file's name as cleaned"},
    "thumbnail_url": {"type": ["string", "null"], "description": "a smaller copy of a large picture"}}}
REQUEST_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "a PNG, JPEG, GIF or WebP picture (re-encoded, metadata removed) or an "
                                "attachment of a type the admins allow (txt, log, pdf, zip, csv, json)"},
        "board_id": {"type": "integer", "description": "the board it will be posted on, when known: its rules apply"}}}}}}


bp = Blueprint("uploads_api", __name__, url_prefix=PREFIX)
api_error_handlers(bp)
csrf.exempt(bp)  # as the API's own blueprint: a cookie session's upload needs the token, a bearer token none
bp.before_request(core._csrf_for_cookie_sessions)  # noqa: SLF001  (the API's one CSRF rule, not a copy)


@operation("POST", "/uploads", summary="Upload a picture or a file for a post", tag="uploads", auth="write",
           blueprint=bp, response=UPLOAD_RESPONSE, status=201, errors=(400, 413, 422, 429), limit="20 per minute; 200 per hour")
def create_upload():
    member = require_member("write")
    board = services.find_board(member, request.form.get("board_id"))
    row = services.upload(member, request.files.get("file"), board=board)
    db.session.commit()
    return ok(services.as_json(row), 201)


OPERATIONS["POST /uploads"]["request_body"] = REQUEST_BODY
