"""/api/v1 moderation: thread and post actions, and the review queue. The page tools' predicates and services."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import Conflict
from ..extensions import db
from ..forum import services as forum
from ..forum.models import Board, Post, Thread
from ..moderation import posts as moderation_posts
from ..moderation import review, thread_tools
from ..moderation.models import ReviewItem, ReviewStatus
from ..permissions import (
    can_delete_post,
    can_lock_thread,
    can_moderate_post,
    can_pin_globally,
    can_pin_thread,
    can_recategorize,
    can_restore_post,
    can_retag,
    can_review,
    can_view_board,
    can_view_thread,
)
from .core import ApiError, choice_arg, json_body, not_found, ok, operation, require_member
from .shapes import post_json, review_item_json, thread_json
from .views import id_path

TOOL_LIMIT = "30 per minute; 600 per hour"
THREAD_ACTIONS = ["pin", "unpin", "pin_globally", "lock", "unlock", "move", "retag", "hide", "unhide", "delete",
                  "restore"]
POST_ACTIONS = ["hide", "unhide", "delete", "restore"]
REASON = {"type": "string", "maxLength": 1000}
THREAD_BODY = {"type": "object", "required": ["action"], "properties": {
    "action": {"type": "string", "enum": THREAD_ACTIONS}, "reason": REASON,
    "board": {"type": "string", "maxLength": 64, "description": "move: the slug of the board to move to"},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 100}, "maxItems": 20,
             "description": "retag: the thread's new tags"},
    "days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650, "description": "pin: for how long"}}}
POST_BODY = {"type": "object", "required": ["action"], "properties": {
    "action": {"type": "string", "enum": POST_ACTIONS}, "reason": REASON}}
RESOLVE_BODY = {"type": "object", "required": ["outcome"], "properties": {
    "outcome": {"type": "string", "enum": [s.value for s in ReviewStatus if s is not ReviewStatus.pending]},
    "note": {"type": "string", "maxLength": 1000}, "delete": {"type": "boolean"},
    "silence_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650},
    "silence_reason": {"type": "string", "maxLength": 1000}}}


def _forbidden():
    raise ApiError(403, _("You cannot do that to this thread."), code="forbidden")


def _opening_post(thread) -> Post:
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


def _post_action(member, post: Post, action: str, reason: str) -> None:
    """Run one post action after its predicate (hide/unhide/restore: moderators; delete: as the page)."""
    if not can_moderate_post(member, post):
        raise ApiError(403, _("You cannot do that to this post."), code="forbidden")
    if action == "delete":
        if post.is_deleted:
            raise Conflict(_("This post has been deleted already."))
        if not can_delete_post(member, post):
            raise ApiError(403, _("You cannot do that to this post."), code="forbidden")
        forum.delete_post(member, post)
        return
    if action == "restore" and not can_restore_post(member, post):
        raise Conflict(_("This post is not deleted."))
    {"hide": moderation_posts.hide_post, "unhide": moderation_posts.unhide_post,
     "restore": moderation_posts.restore_post}[action](member, post, reason)


def _load_thread_for_moderation(thread_id: int):
    """A moderator also reaches deleted and hidden threads (to restore or unhide them)."""
    member = require_member("moderate")
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can_view_board(member, thread.board) or not can_view_thread(member, thread):
        not_found()
    return member, thread


@operation("POST", "/threads/{thread_id}/moderation", summary="Moderate a thread: pin, lock, move, retag, hide, "
           "delete, restore...", tag="moderation", auth="moderate", body=THREAD_BODY, params=[id_path("thread_id")],
           response="Thread", errors=(400, 401, 403, 404, 409, 422), limit=TOOL_LIMIT)
def moderate_thread(thread_id: int):
    member, thread = _load_thread_for_moderation(thread_id)
    data = json_body(THREAD_BODY)
    action, reason = data["action"], data.get("reason") or ""
    if action in ("pin", "unpin"):
        if not can_pin_thread(member, thread):
            _forbidden()
        if action == "pin":
            thread_tools.pin_thread(member, thread, data.get("days"))
        else:
            thread_tools.unpin_thread(member, thread)
    elif action == "pin_globally":
        if not can_pin_globally(member, thread):
            _forbidden()
        thread_tools.pin_globally(member, thread, data.get("days"))
    elif action in ("lock", "unlock"):
        if not can_lock_thread(member, thread):
            _forbidden()
        if action == "lock":
            thread_tools.lock_thread(member, thread, reason)
        else:
            thread_tools.unlock_thread(member, thread)
    elif action == "move":
        if not can_recategorize(member, thread):
            _forbidden()
        slug = data.get("board") or ""
        target = db.session.scalar(select(Board).where(Board.slug == slug)) if slug else None
        thread_tools.move_thread(member, thread, target)
    elif action == "retag":
        if not can_retag(member, thread):
            _forbidden()
        thread_tools.retag_thread(member, thread, data.get("tags") or [])
    else:  # hide, unhide, delete, restore: the opening post's action is the thread's
        _post_action(member, _opening_post(thread), action, reason)
    db.session.commit()
    db.session.refresh(thread)
    return ok(thread_json(thread))


@operation("POST", "/posts/{post_id}/moderation", summary="Moderate a post: hide, unhide, delete, restore",
           tag="moderation", auth="moderate", body=POST_BODY, params=[id_path("post_id")], response="Post",
           errors=(400, 401, 403, 404, 409, 422), limit=TOOL_LIMIT)
def moderate_post(post_id: int):
    member = require_member("moderate")
    post = db.session.get(Post, post_id)
    if post is None or not can_view_board(member, post.thread.board):
        not_found()
    _thread_member, _thread = _load_thread_for_moderation(post.thread_id)
    data = json_body(POST_BODY)
    _post_action(member, post, data["action"], data.get("reason") or "")
    db.session.commit()
    db.session.refresh(post)
    return ok(post_json(post))


@operation("GET", "/review", summary="The review queue (moderators): flagged and pending posts, reported members",
           tag="moderation", auth="moderate",
           params=[{"name": "status", "in": "query",
                    "schema": {"type": "string", "enum": [s.value for s in ReviewStatus]}}],
           response={"$ref": "#/components/schemas/ReviewList"}, errors=(400, 401, 403, 404))
def review_queue():
    member = require_member("moderate")
    if not can_review(member):
        not_found()
    status = ReviewStatus(choice_arg("status", [s.value for s in ReviewStatus], "pending"))
    items = review.review_queue(member, status)
    return ok({"items": [review_item_json(item) for item in items], "next": None})


@operation("POST", "/review/{item_id}", summary="Decide a review item", tag="moderation", auth="moderate",
           body=RESOLVE_BODY, params=[id_path("item_id")], response="ReviewItem",
           errors=(400, 401, 403, 404, 409, 422), limit=TOOL_LIMIT)
def resolve_review_item(item_id: int):
    member = require_member("moderate")
    if not can_review(member):
        not_found()
    item = db.session.get(ReviewItem, item_id)
    if item is None or (item.post is not None and not can_moderate_post(member, item.post)):
        not_found()
    data = json_body(RESOLVE_BODY)
    review.resolve(member, item, data["outcome"], data.get("note") or "", delete=bool(data.get("delete")),
                       silence_days=data.get("silence_days"), reason=data.get("silence_reason") or "")
    db.session.commit()
    return ok(review_item_json(item))

