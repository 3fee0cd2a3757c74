"""/api/v1: members, tokens, boards, threads, posts, votes, flags, answers, idea status, notifications.

Thin, as the pages: load (404) -> predicate from community.permissions (403/404) -> one service
call -> commit -> JSON. Each endpoint's OpenAPI entry is written beside it (@operation).
"""
from __future__ import annotations

from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import ServiceError, ValidationFailed
from ..extensions import db
from ..forum import services as forum
from ..forum.models import Board, BoardKind, IdeaStatus, Post, Thread
from ..ideas import services as ideas
from ..members import registration
from ..members import services as members
from ..members.models import Member, username_key
from ..members.throttle import account_sign_in_limit
from ..moderation import flags as moderation
from ..moderation.models import FlagReason
from ..notifications import services as notes
from ..notifications.views import target_url
from ..permissions import (
    can_accept_answer,
    can_change_idea_status,
    can_choose_answer,
    can_delete_post,
    can_edit_post,
    can_flag,
    can_register_through_api,
    can_reply,
    can_revoke_token,
    can_start_thread,
    can_view_board,
    can_view_post,
    can_view_thread,
    is_suspended,
)
from ..polls import services as polls
from ..qa import services as qa
from ..registry import password_sign_in_refusal
from ..site.branding import brand
from ..twofactor import services as twofactor
from ..votes import services as votes
from ..votes.services import my_votes
from . import services
from .core import (
    ApiError,
    choice_arg,
    int_arg,
    json_body,
    listing,
    not_found,
    ok,
    operation,
    paged,
    reader,
    require_member,
)
from .models import ApiToken, Scope
from .shapes import board_json, member_json, notification_json, post_json, thread_json, token_json

SCOPES = [scope.value for scope in Scope]
SORTS = ("latest", "new", "hot", "top")
PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000}}
LONG = 100_000  # JSON strings beyond this are refused by the schema; the services' own limits are smaller

TOKEN_BODY = {"type": "object", "required": ["password"], "properties": {
    "login": {"type": "string", "maxLength": 254, "description": "username or email"},
    "username": {"type": "string", "maxLength": 254}, "email": {"type": "string", "maxLength": 254},
    "password": {"type": "string", "maxLength": 1000},
    "code": {"type": "string", "maxLength": 32,
             "description": "the authenticator app's code or a recovery code, when two-factor is on"},
    "scopes": {"type": "array", "items": {"type": "string", "enum": SCOPES}, "maxItems": len(SCOPES)}}}
REGISTER_BODY = {"type": "object", "required": ["username", "email", "password"], "properties": {
    "username": {"type": "string", "maxLength": 254}, "email": {"type": "string", "maxLength": 254},
    "password": {"type": "string", "maxLength": 1000},
    "accept_terms": {"type": "boolean", "description": "Required (true) when the site has terms of service (/terms)."},
    "invite": {"type": "string", "maxLength": 200, "description": "the token of an invitation link (/invite/<token>)"}}}
POLL_BODY = {"type": "object", "required": ["question", "options"], "properties": {
    "question": {"type": "string", "maxLength": 1000},
    "options": {"type": "array", "items": {"type": "string", "maxLength": 1000}, "maxItems": 50},
    "multiple": {"type": "boolean"}, "max_choices": {"type": "integer", "minimum": 0, "maximum": 1000},
    "hide_results": {"type": "boolean"}}}
THREAD_BODY = {"type": "object", "required": ["title", "body"], "properties": {
    "title": {"type": "string", "maxLength": 1000}, "body": {"type": "string", "maxLength": LONG},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 100}, "maxItems": 20},
    "poll": POLL_BODY}}
REPLY_BODY = {"type": "object", "required": ["body"], "properties": {
    "body": {"type": "string", "maxLength": LONG},
    "reply_to": {"type": ["integer", "null"], "minimum": 1, "maximum": 2147483647}}}
EDIT_BODY = {"type": "object", "required": ["body"], "properties": {
    "body": {"type": "string", "maxLength": LONG}, "title": {"type": "string", "maxLength": 1000},
    "reason": {"type": "string", "maxLength": 1000}}}
VOTE_BODY = {"type": "object", "required": ["value"], "properties": {"value": {"type": "integer", "enum": [1, 0, -1]}}}
FLAG_BODY = {"type": "object", "required": ["reason"], "properties": {
    "reason": {"type": "string", "enum": [reason.value for reason in FlagReason]},
    "note": {"type": "string", "maxLength": 1000}}}
ACCEPT_BODY = {"type": "object", "required": [], "properties": {
    "post_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2147483647,
                "description": "the reply to accept; null clears the accepted answer"}}}
IDEA_BODY = {"type": "object", "required": ["status"], "properties": {
    "status": {"type": "string", "enum": [status.value for status in IdeaStatus]},
    "reason": {"type": "string", "maxLength": 5000},
    "duplicate_of": {"type": ["integer", "null"], "minimum": 1, "maximum": 2147483647}}}


def id_path(name):
    """The OpenAPI description of a whole-number id in the path (`{name}`)."""
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}


# ---- members and tokens -------------------------------------------------------------------------------

@operation("POST", "/members", summary="Register a member (the same rules as the sign-up page)", tag="members",
           body=REGISTER_BODY, response="MemberRegistered", status=201, errors=(403, 404, 409, 410, 422),
           limit="10 per hour; 3 per minute")
def register_member():
    if not can_register_through_api(reader()):
        if reader().is_authenticated:
            raise ApiError(403, _("You are signed in already."), code="signed_in")
        raise ApiError(403, _("Registration through the API is turned off."), code="registration_closed")
    data = json_body(REGISTER_BODY)
    if brand().has_terms and data.get("accept_terms") is not True:
        raise ApiError(422, _("Please correct the marked fields."), code="validation_failed",
                       fields={"accept_terms": _("Please read and accept the terms of service to join.")})
    done = registration.register_visitor(data["username"], data["email"], data["password"],
                                         invite_token=data.get("invite") or None)
    db.session.commit()
    body = member_json(done.member, private=True)
    body["awaiting_approval"] = done.pending  # true: no sign-in (or token) until staff approve the account
    return ok(body, 201)


@operation("POST", "/tokens", summary="Exchange a username or email and password for a bearer token",
           tag="tokens", body=TOKEN_BODY, response="TokenCreated", status=201, errors=(401, 403, 422),
           limit="6 per minute")
@account_sign_in_limit
def create_token():
    data = json_body(TOKEN_BODY)
    login = data.get("login") or data.get("username") or data.get("email")
    if not login:
        raise ApiError(422, _("Please correct the marked fields."), code="validation_failed",
                       fields={"login": _("Give your username or email.")})
    member = members.authenticate(login, data["password"])
    if member is None:
        raise ApiError(401, _("That username or email and password do not match."), code="invalid_credentials")
    if refusal := registration.sign_in_refusal(member):
        db.session.commit()  # a rehashed password
        pending = registration.approval_status(member) is registration.ApprovalStatus.pending
        raise ApiError(403, str(refusal), code="awaiting_approval" if pending else "registration_rejected")
    if is_suspended(member):
        raise ApiError(403, _("Your account is suspended."), code="suspended")
    if refusal := password_sign_in_refusal(member):  # only SSO, or the SSO domain (community/sso)
        db.session.commit()
        raise ApiError(403, str(refusal), code="sso_required")
    _check_second_factor(member, data.get("code"))
    token, secret = services.issue_login_token(member, data.get("scopes"))
    db.session.commit()
    return ok(token_json(token, secret), 201)


def _check_second_factor(member, code) -> None:
    """A member with two-factor on gives a code too; one whose role needs it and has none gets no token."""
    if twofactor.is_enrolled(member):
        if not code:
            raise ApiError(401, _("Give the code of your authenticator app (or a recovery code) as `code`."),
                           code="second_factor_required")
        if twofactor.verify(member, code) is None:
            raise ApiError(401, _("That code is not right."), code="invalid_code")
    elif twofactor.must_enrol(member):
        raise ApiError(403, _("Your role needs two-factor authentication: turn it on in your settings on the "
                              "website first."), code="second_factor_required")


@operation("GET", "/tokens", summary="List your sign-in and personal tokens (never their secrets)", tag="tokens",
           auth="read", response={"$ref": "#/components/schemas/TokenList"}, errors=(401, 403))
def list_tokens():
    member = require_member("read")
    return ok({"items": [token_json(t) for t in services.member_tokens(member)], "next": None})


@operation("DELETE", "/tokens/{token_id}", summary="Revoke a token (your own; admins: any)", tag="tokens",
           auth="read", params=[id_path("token_id")], status=204, errors=(401, 403, 404))
def revoke_token(token_id: int):
    member = require_member("read")  # revoking takes no power away from anyone but the caller
    token = db.session.get(ApiToken, token_id)
    if token is None or not can_revoke_token(member, token):
        not_found()
    services.revoke_token(token)
    db.session.commit()
    return "", 204


@operation("GET", "/me", summary="The calling member, with private fields", tag="members", auth="read",
           response="MemberPrivate", errors=(401, 403))
def me():
    member = require_member("read")
    data = member_json(member, private=True)
    data["scopes"] = g.api_token.scope_list if g.get("api_token") else SCOPES
    response = ok(data)
    response.headers["Cache-Control"] = "no-store"  # private fields: no copy in a shared or browser cache
    return response


@operation("GET", "/members/{username}", summary="A member's public profile", tag="members",
           params=[{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}],
           response="Member", errors=(403, 404))
def member(username: str):
    reader()
    found = db.session.scalar(select(Member).where(Member.username_key == username_key(username)[:32]))
    if found is None:
        not_found()
    return ok(member_json(found))


# ---- boards and threads -------------------------------------------------------------------------------

@operation("GET", "/boards", summary="The boards you may read", tag="forum",
           response={"$ref": "#/components/schemas/BoardList"}, errors=(403,))
def boards():
    return ok({"items": [board_json(b) for b in forum.visible_boards(reader())], "next": None})


def _board(slug: str) -> Board:
    board = db.session.scalar(select(Board).where(Board.slug == slug[:64]))
    if board is None or not can_view_board(reader(), board):
        not_found()
    return board


@operation("GET", "/boards/{slug}/threads", summary="A page of a board's threads", tag="forum",
           params=[{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                   {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(SORTS)}}, PAGE],
           response={"$ref": "#/components/schemas/ThreadList"}, errors=(400, 403, 404))
def board_threads(slug: str):
    board = _board(slug)
    sort, page = choice_arg("sort", SORTS, "latest"), int_arg("page")
    threads = paged(forum.board_threads, reader(), board, page, sort)
    return ok(listing([thread_json(t) for t in threads.items], threads))


@operation("POST", "/boards/{slug}/threads", summary="Start a thread (optionally with tags and a poll)",
           tag="forum", auth="write", body=THREAD_BODY,
           params=[{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
           response={"$ref": "#/components/schemas/ThreadPage"}, status=201, errors=(400, 401, 403, 404, 409, 422),
           limit="10 per minute; 60 per hour")
def start_thread(slug: str):
    member = require_member("write")
    board = _board(slug)
    if not can_start_thread(member, board):
        raise ApiError(403, _("You cannot start a thread on this board."), code="forbidden")
    data = json_body(THREAD_BODY)
    thread = forum.start_thread(member, board, data["title"], data["body"], tags=data.get("tags"))
    if data.get("poll"):
        _attach_poll(member, thread, data["poll"])
    db.session.commit()
    return ok(_thread_page(thread, 1), 201)


def _attach_poll(member, thread, poll: dict) -> None:
    try:
        polls.create_poll(member, thread, poll["question"], poll["options"], multiple=bool(poll.get("multiple")),
                          max_choices=poll.get("max_choices") if poll.get("multiple") else None,
                          hide_results=bool(poll.get("hide_results")))
    except ServiceError as exc:
        if exc.fields:
            raise ValidationFailed(exc.message, {f"poll.{key}": value for key, value in exc.fields.items()}) from exc
        raise


def _thread(thread_id: int):
    """Load a thread the caller may read: 404 when unknown, unreadable or hidden; 410 when deleted."""
    viewer = reader()
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can_view_board(viewer, thread.board):
        not_found()
    if not can_view_thread(viewer, thread):
        if thread.is_deleted and not thread.is_hidden and not thread.pending:
            raise ApiError(410, _("This thread has been deleted."), code="gone")
        not_found()
    return thread


def _thread_page(thread, page: int) -> dict:
    viewer = reader()
    posts = paged(forum.thread_posts, thread, page)
    shown = [post for post in posts.items if can_view_post(viewer, post)]
    votes = my_votes(viewer, [post.id for post in shown]) if viewer.is_authenticated and shown else {}
    data = listing([post_json(post, votes.get(post.id, 0)) for post in shown], posts)
    return {"thread": thread_json(thread), "posts": data["items"], "next": data["next"]}


@operation("GET", "/threads/{thread_id}", summary="A thread with a page of its posts", tag="forum",
           params=[id_path("thread_id"), PAGE], response={"$ref": "#/components/schemas/ThreadPage"},
           errors=(400, 403, 404, 410))
def thread(thread_id: int):
    found = _thread(thread_id)
    return ok(_thread_page(found, int_arg("page")))


@operation("POST", "/threads/{thread_id}/posts", summary="Reply to a thread", tag="forum", auth="write",
           body=REPLY_BODY, params=[id_path("thread_id")], response="Post", status=201,
           errors=(400, 401, 403, 404, 409, 410, 422), limit="20 per minute; 300 per hour")
def reply(thread_id: int):
    member = require_member("write")
    found = _thread(thread_id)
    if not can_reply(member, found):
        raise ApiError(403, _("You cannot reply to this thread."), code="forbidden")
    data = json_body(REPLY_BODY)
    reply_to = None
    if data.get("reply_to") is not None:
        reply_to = db.session.get(Post, data["reply_to"])
        if reply_to is None or reply_to.thread_id != found.id or not can_view_post(member, reply_to):
            raise ApiError(422, _("The post you are replying to is not in this thread."), code="validation_failed",
                           fields={"reply_to": _("No such post in this thread.")})
    post = forum.reply(member, found, data["body"], reply_to=reply_to)
    db.session.commit()
    return ok(post_json(post), 201)


# ---- posts ----------------------------------------------------------------------------------------------

def _post(post_id: int) -> Post:
    viewer = reader()
    post = db.session.get(Post, post_id)
    if post is None:
        not_found()
    _thread(post.thread_id)
    if not can_view_post(viewer, post):
        not_found()
    return post


@operation("GET", "/posts/{post_id}", summary="One post", tag="forum", params=[id_path("post_id")],
           response="Post", errors=(403, 404, 410))
def get_post(post_id: int):
    post = _post(post_id)
    viewer = reader()
    mine = my_votes(viewer, [post.id]).get(post.id, 0) if viewer.is_authenticated else 0
    return ok(post_json(post, mine))


@operation("PATCH", "/posts/{post_id}", summary="Edit a post (and the title, for an opening post)", tag="forum",
           auth="write", body=EDIT_BODY, params=[id_path("post_id")], response="Post",
           errors=(400, 401, 403, 404, 410, 422), limit="30 per minute")
def edit_post(post_id: int):
    member = require_member("write")
    post = _post(post_id)
    if not can_edit_post(member, post):
        raise ApiError(403, _("You can no longer edit this post."), code="forbidden")
    data = json_body(EDIT_BODY)
    forum.edit_post(member, post, data["body"], title=data.get("title") if post.is_opening else None,
                    reason=data.get("reason") or "")
    db.session.commit()
    return ok(post_json(post))


@operation("DELETE", "/posts/{post_id}", summary="Delete a post (an opening post deletes its thread)", tag="forum",
           auth="write", params=[id_path("post_id")], status=204, errors=(401, 403, 404, 410),
           limit="30 per minute")
def delete_post(post_id: int):
    member = require_member("write")
    post = _post(post_id)
    if not can_delete_post(member, post):
        raise ApiError(403, _("You cannot delete this post."), code="forbidden")
    forum.delete_post(member, post)
    db.session.commit()
    return "", 204


@operation("PUT", "/posts/{post_id}/vote", summary="Vote on a post: 1 up, -1 down, 0 takes the vote back",
           tag="forum", auth="write", body=VOTE_BODY, params=[id_path("post_id")],
           response={"$ref": "#/components/schemas/VoteResult"}, errors=(400, 401, 403, 404, 410, 422, 429),
           limit="60 per minute; 1000 per hour")
def vote(post_id: int):
    member = require_member("write")
    post = _post(post_id)
    data = json_body(VOTE_BODY)
    score, mine = votes.cast_vote(member, post, data["value"])
    db.session.commit()
    return ok({"score": score, "my_vote": mine})


def _flag_limit():
    return current_app.config["MODERATION_FLAG_LIMIT"]


@operation("POST", "/posts/{post_id}/flags", summary="Flag a post for the moderators", tag="forum", auth="write",
           body=FLAG_BODY, params=[id_path("post_id")], response={"$ref": "#/components/schemas/FlagResult"},
           status=201, errors=(400, 401, 403, 404, 409, 410, 422), limit=_flag_limit)
def flag(post_id: int):
    member = require_member("write")
    post = _post(post_id)
    if not can_flag(member, post):
        raise ApiError(403, _("You cannot flag this post."), code="forbidden")
    data = json_body(FLAG_BODY)
    created = moderation.flag_post(member, post, data["reason"], data.get("note") or "")
    db.session.commit()
    return ok({"id": created.id, "reason": created.reason.value, "post": post_json(post)}, 201)


@operation("POST", "/threads/{thread_id}/accepted-answer",
           summary="Mark a reply as the accepted answer of a question (post_id null clears it)", tag="forum",
           auth="write", body=ACCEPT_BODY, params=[id_path("thread_id")],
           response={"$ref": "#/components/schemas/AcceptedAnswer"}, errors=(400, 401, 403, 404, 410, 422),
           limit="30 per minute")
def accepted_answer(thread_id: int):
    member = require_member("write")
    found = _thread(thread_id)
    data = json_body(ACCEPT_BODY)
    if data.get("post_id") is None:
        if not can_choose_answer(member, found):
            raise ApiError(403, _("You cannot choose the answer of this thread."), code="forbidden")
        qa.unaccept_answer(member, found)
    else:
        post = db.session.get(Post, data["post_id"])
        if post is None or post.thread_id != found.id or not can_view_post(member, post):
            raise ApiError(422, _("Please correct the marked fields."), code="validation_failed",
                           fields={"post_id": _("No such reply in this thread.")})
        if not can_accept_answer(member, post):
            raise ApiError(403, _("You cannot choose the answer of this thread."), code="forbidden")
        qa.accept_answer(member, post)
    db.session.commit()
    return ok({"thread_id": found.id, "accepted_post_id": found.accepted_post_id})


@operation("PUT", "/threads/{thread_id}/idea-status", summary="Set an idea's public status (staff)", tag="forum",
           auth="write", body=IDEA_BODY, params=[id_path("thread_id")],
           response={"$ref": "#/components/schemas/ThreadPage"}, errors=(400, 401, 403, 404, 410, 422),
           limit="30 per minute")
def idea_status(thread_id: int):
    member = require_member("write")
    found = _thread(thread_id)
    if found.board.kind is not BoardKind.idea or not can_change_idea_status(member, found):
        raise ApiError(403, _("Only staff change the status of an idea."), code="forbidden")
    data = json_body(IDEA_BODY)
    target = None
    if data["status"] == IdeaStatus.duplicate.value:
        target = ideas.resolve_idea_reference(member, str(data.get("duplicate_of") or ""))
    ideas.change_idea_status(member, found, data["status"], data.get("reason") or "", duplicate_of=target)
    db.session.commit()
    return ok(_thread_page(found, 1))


# ---- notifications -----------------------------------------------------------------------------------------

@operation("GET", "/notifications", summary="Your notifications, newest first", tag="members", auth="read",
           params=[PAGE, {"name": "filter", "in": "query", "schema": {"type": "string", "enum": ["all", "unread"]}}],
           response={"$ref": "#/components/schemas/NotificationList"}, errors=(400, 401, 403, 404))
def notifications():
    member = require_member("read")
    unread = choice_arg("filter", ("all", "unread"), "all") == "unread"
    found = paged(notes.member_notifications, member, int_arg("page"), unread)
    return ok(listing([notification_json(n, target_url(n)) for n in found.items], found))
