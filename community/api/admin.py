"""/api/v1/admin: boards (every visibility) and members' roles, for admins with a token holding the admin scope.

The same services as the admin pages and the `flask community board`/`member` commands. Others get 403
(`{"error": {"code": "forbidden"}}`), guests 401; nothing changes for them.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from ..admin import services as admin
from ..extensions import db
from ..forum.models import BOARD_SORTS, BoardKind, StartPolicy, Visibility
from ..groups import services as group_services
from ..members.models import Role
from ..permissions import can_use_admin_api
from .core import ApiError, json_body, not_found, ok, operation, require_member
from .shapes import board_json, member_json

TAG = "admin"
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
BOARD_PROPERTIES = {
    "slug": {"type": "string", "maxLength": 64, "description": "lower-case a-z, digits and dashes"},
    "name": {"type": "string", "maxLength": 1000}, "name_zh": {"type": "string", "maxLength": 1000},
    "description": {"type": "string", "maxLength": 10000}, "description_zh": {"type": "string", "maxLength": 10000},
    "kind": {"type": "string", "enum": [k.value for k in BoardKind]},
    "visibility": {"type": "string", "enum": [v.value for v in Visibility]},
    "default_sort": {"type": "string", "enum": list(BOARD_SORTS)},
    "start_policy": {"type": "string", "enum": [p.value for p in StartPolicy],
                     "description": "who may start threads: members, members from start_min_trust up, or staff"},
    "start_min_trust": {"type": "integer", "minimum": 0, "maximum": 4},
    "archived": {"type": "boolean", "description": "read-only: no new threads or replies"},
    "position": {"type": "integer", "minimum": 1, "maximum": 100000},
    "groups": {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": 80},
               "description": "with visibility `groups`: the names of the groups that may read it (staff always)"},
}
CREATE_BODY = {"type": "object", "required": ["slug", "name"], "properties": BOARD_PROPERTIES}
UPDATE_BODY = {"type": "object", "properties": BOARD_PROPERTIES}
DELETE_BODY = {"type": "object", "properties": {
    "move_to": {"type": "string", "maxLength": 64, "description": "the slug of the board its threads move to"}}}
ROLE_BODY = {"type": "object", "required": ["role"], "properties": {
    "role": {"type": "string", "enum": [r.value for r in Role]}, "reason": {"type": "string", "maxLength": 500}}}


def admin_board_json(board, groups=None) -> dict:
    groups = group_services.board_groups(board) if groups is None else groups
    return {**board_json(board), "name_zh": board.name_zh or "", "description_zh": board.description_zh or "",
            "default_sort": board.default_sort, "start_policy": board.start_policy.value,
            "start_min_trust": board.start_min_trust, "archived": board.is_archived, "position": board.position,
            "groups": [g.name for g in groups]}


def _admin():
    """Return the calling admin: 401 for nobody, 403 for a token without the admin scope or a non-admin."""
    if current_user.is_authenticated and not can_use_admin_api(current_user):
        raise ApiError(403, _("Only admins may do this."), code="forbidden")
    return require_member("admin")


def _board(slug: str):
    board = admin.find_board(slug)
    if board is None:
        not_found()
    return board


def _apply_extras(member, board, data: dict) -> None:
    if data.get("archived") is not None:
        admin.set_archived(member, board, bool(data["archived"]))
    if data.get("position") is not None:
        boards = admin.ordered_boards()
        current = next(i for i, b in enumerate(boards) if b.id == board.id)
        admin.move_board(member, board, min(data["position"], len(boards)) - 1 - current)


def _fields(data: dict) -> dict:
    return {key: value for key, value in data.items() if key in admin.BOARD_FIELDS}


@operation("GET", "/admin/boards", summary="Every board, of every visibility, archived ones too (admins)", tag=TAG,
           auth="admin", response={"$ref": "#/components/schemas/AdminBoardList"}, errors=(401, 403))
def admin_boards():
    _admin()
    boards = admin.ordered_boards()
    groups = group_services.groups_by_board(b.id for b in boards)
    return ok({"items": [admin_board_json(b, groups.get(b.id, [])) for b in boards], "next": None})


@operation("POST", "/admin/boards", summary="Create a board (admins)", tag=TAG, auth="admin", body=CREATE_BODY,
           response="AdminBoard", status=201, errors=(401, 403, 422))
def admin_create_board():
    member = _admin()
    data = json_body(CREATE_BODY)
    board = admin.create_board(member, _fields(data))
    _apply_extras(member, board, data)
    db.session.commit()
    return ok(admin_board_json(board), 201)


@operation("PATCH", "/admin/boards/{slug}", summary="Change a board: names, kind, visibility, who may start "
           "threads, archived, position (admins)", tag=TAG, auth="admin", body=UPDATE_BODY, params=[SLUG],
           response="AdminBoard", errors=(401, 403, 404, 422))
def admin_update_board(slug: str):
    member = _admin()
    data = json_body(UPDATE_BODY)
    board = _board(slug)
    admin.update_board(member, board, _fields(data))
    _apply_extras(member, board, data)
    db.session.commit()
    return ok(admin_board_json(board))


@operation("DELETE", "/admin/boards/{slug}", summary="Delete a board: an empty one, or after moving its threads "
           "to `move_to` (admins)", tag=TAG, auth="admin", body=DELETE_BODY, params=[SLUG], status=204,
           errors=(401, 403, 404, 422))
def admin_delete_board(slug: str):
    member = _admin()
    data = json_body(DELETE_BODY)
    board = _board(slug)
    move_to = None
    if data.get("move_to"):
        move_to = admin.find_board(data["move_to"])
        if move_to is None:
            raise ApiError(422, _("Please correct the marked fields."), code="validation_failed",
                           fields={"move_to": _("No board has this slug.")})
    admin.delete_board(member, board, move_to)
    db.session.commit()
    return "", 204


@operation("PUT", "/admin/members/{username}/role", summary="Set a member's role: member, moderator, staff or "
           "admin (admins)", tag=TAG, auth="admin", body=ROLE_BODY, params=[USERNAME], response="Member",
           errors=(401, 403, 404, 409, 422))
def admin_set_role(username: str):
    member = _admin()
    data = json_body(ROLE_BODY)
    target = admin.find_member(username)
    if target is None:
        not_found()
    admin.set_role(member, target, data["role"], data.get("reason") or "")
    db.session.commit()
    return ok(member_json(target))
