"""Private conversations in the API: `/api/v1/conversations` (list, start) and `/api/v1/conversations/<id>`
(messages, reply), registered with the API's own `@operation` (same errors, token scopes and OpenAPI document).

Starting: `{"to": ["username", ...], "subject"?, "body"}` for members, or `{"staff": true, "subject"?, "body"}`
for the staff inbox. A conversation one may not read is 404, as on the pages.
"""
from __future__ import annotations

from flask import Blueprint, request, url_for
from flask_babel import gettext as _

from ..api import core
from ..api.core import (
    ApiError,
    api_error_handlers,
    int_arg,
    json_body,
    listing,
    not_found,
    ok,
    operation,
    paged,
    require_member,
)
from ..api.openapi import BOOL, INT, MEMBER_REF, NSTR, SCHEMAS, STR, TIME, list_schema, object_schema
from ..api.shapes import member_ref
from ..extensions import csrf, db
from ..permissions import can_view_conversation
from ..site.branding import community_name
from . import services
from .models import Conversation, Message
from .views import SEND_LIMIT, START_LIMIT

bp = Blueprint("conversations_api", __name__, url_prefix=core.PREFIX)
api_error_handlers(bp)
bp.before_request(core._csrf_for_cookie_sessions)  # noqa: SLF001  (cookie sessions' writes need the CSRF token)

PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000}}
ID = {"name": "conversation_id", "in": "path", "required": True,
      "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}
START_BODY = {"type": "object", "required": ["body"], "properties": {
    "to": {"type": "array", "items": {"type": "string", "maxLength": 64}, "maxItems": 100},
    "staff": {"type": "boolean"}, "subject": {"type": "string", "maxLength": 200},
    "body": {"type": "string", "maxLength": 100000}}}
REPLY_BODY = {"type": "object", "required": ["body"], "properties": {"body": {"type": "string", "maxLength": 100000}}}

SCHEMAS.update({
    "Conversation": object_schema({
        "id": INT, "subject": STR, "with_staff": BOOL, "awaiting_staff": BOOL, "unread": BOOL,
        "participants": {"type": "array", "items": MEMBER_REF}, "last_message_at": TIME,
        "message_count": INT, "url": STR}),
    "ConversationList": list_schema("Conversation"),
    "ConversationMessage": object_schema({
        "id": INT, "author": MEMBER_REF, "from_staff": BOOL, "team": NSTR, "created_at": TIME, "html": STR,
        "hidden": BOOL}),
    "ConversationPage": object_schema({
        "conversation": {"$ref": "#/components/schemas/Conversation"},
        "messages": {"type": "array", "items": {"$ref": "#/components/schemas/ConversationMessage"}},
        "next": NSTR}),
})


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def conversation_json(member, conversation: Conversation, unread: bool | None = None) -> dict:
    me = services.participant(member, conversation)
    if unread is None:
        unread = me is not None and me.left_at is None and me.last_read_id < conversation.last_message_id
    return {"id": conversation.id, "subject": conversation.subject, "with_staff": conversation.is_staff,
            "awaiting_staff": conversation.awaiting_staff, "unread": bool(unread),
            "participants": [member_ref(p.member) for p in conversation.participants
                             if p.left_at is None and not p.staff_side],
            "last_message_at": _iso(conversation.last_message_at), "message_count": conversation.message_count,
            "url": url_for("conversations.show", conversation_id=conversation.id)}


def message_json(message: Message, team: str) -> dict:
    hidden = message.hidden_at is not None
    return {"id": message.id, "author": member_ref(message.author), "from_staff": message.from_staff,
            "team": team if message.from_staff else None, "created_at": _iso(message.created_at),
            "html": "" if hidden else message.body_html, "hidden": hidden}


def _load(member, conversation_id: int) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not can_view_conversation(member, conversation):
        not_found()
    return conversation


@operation("GET", "/conversations", summary="Your private conversations, unread first, then most recent",
           tag="conversations", auth="read", params=[PAGE], response="ConversationList",
           errors=(400, 401, 403, 404), blueprint=bp)
def conversations():
    member = require_member("read")
    found = paged(services.my_conversations, member, int_arg("page"))
    return ok(listing([conversation_json(member, c, unread) for c, _p, unread in found.items], found))


@operation("POST", "/conversations", summary="Start a conversation with members, or with the staff inbox",
           tag="conversations", auth="write", body=START_BODY, response="Conversation", status=201,
           errors=(401, 403, 409, 422), limit=START_LIMIT, blueprint=bp)
def start_conversation():
    member = require_member("write")
    data = json_body(START_BODY)
    subject = data.get("subject") or ""
    if data.get("staff"):
        conversation = services.message_staff(member, subject, data["body"])
    else:
        recipients, missing = services.find_recipients(data.get("to") or [])
        if missing:
            raise ApiError(422, _("There is no member named %(names)s.", names=", ".join(missing[:5])),
                           code="validation_failed", fields={"to": _("There is no member named %(names)s.",
                                                                     names=", ".join(missing[:5]))})
        conversation = services.start_conversation(member, recipients, subject, data["body"])
    db.session.commit()
    return ok(conversation_json(member, conversation), 201)


@operation("GET", "/conversations/{conversation_id}", summary="A conversation and a page of its messages "
           "(oldest first; by default the last page); marks it read", tag="conversations", auth="read",
           params=[ID, PAGE], response="ConversationPage", errors=(400, 401, 403, 404), blueprint=bp)
def conversation(conversation_id):
    member = require_member("read")
    found = _load(member, conversation_id)
    page = paged(services.messages, found, int_arg("page") if "page" in request.args else None)
    if services.mark_read(member, found):
        db.session.commit()
    team = _team()
    next_link = (url_for("conversations_api.conversation", conversation_id=found.id, page=page.page + 1)
                 if page.has_next else None)
    return ok({"conversation": conversation_json(member, found), "messages": [message_json(m, team)
                                                                              for m in page.items],
               "next": next_link})


def _team() -> str:
    return _("%(name)s team", name=community_name())


@operation("POST", "/conversations/{conversation_id}", summary="Reply in a conversation", tag="conversations",
           auth="write", params=[ID], body=REPLY_BODY, response="ConversationMessage", status=201,
           errors=(401, 403, 404, 422), limit=SEND_LIMIT, blueprint=bp)
def reply(conversation_id):
    member = require_member("write")
    found = _load(member, conversation_id)
    data = json_body(REPLY_BODY)
    message = services.reply(member, found, data["body"])
    db.session.commit()
    return ok(message_json(message, _team()), 201)


def init_app(app) -> None:
    csrf.exempt(bp)  # the API checks CSRF itself for cookie sessions (before_request above)
    app.register_blueprint(bp)
