"""Moderation pages and actions, and every thread tool (trusted members' and moderators').

Thin: load (404) -> predicate (403) -> one service -> commit -> answer.

Every change is a POST form (CSRF-checked globally) that also answers JSON to fetch() callers.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy import select

from ..errors import ServiceError
from ..extensions import db, limiter
from ..forum.models import Board, Post, Thread
from ..members.models import Member, username_key
from ..pages import error_response, wants_json
from ..permissions import (
    can_act_on_member,
    can_flag,
    can_lock_thread,
    can_merge_threads,
    can_moderate_post,
    can_pin_globally,
    can_pin_thread,
    can_recategorize,
    can_report_member,
    can_restore_post,
    can_retag,
    can_review,
    can_split_thread,
    can_view_board,
    can_view_log_subject,
    can_view_moderation_log,
    can_view_post,
    is_moderator,
)
from ..web import load_thread, page_arg, paged, post_url
from . import thread_tools
from .flags import flag_post, report_member
from .labels import ACTION_LABELS, FLAG_REASON_LABELS, REASON_CODE_LABELS
from .log import moderation_log, transparency_report
from .models import ReviewItem, ReviewStatus
from .posts import hide_post, restore_post, unhide_post
from .restrictions import lift_silence, lift_suspension, silence_member, suspend_member
from .review import OUTCOMES, item_histories, pending_review_count, review_queue
from .review import resolve as resolve_item
from .thread_tools import is_pinned

bp = Blueprint("moderation", __name__)

TOOL_LIMIT = "30 per minute; 600 per hour"
TRUSTED_TOOL_LIMIT = "30 per minute; 300 per hour"  # the thread tools trusted members may use


def _flag_limit():
    return current_app.config["MODERATION_FLAG_LIMIT"]


def _member_key():
    """Rate-limit signed-in members by account (several members may share an address)."""
    return f"member:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _failed(exc: ServiceError, back: str | None = None):
    db.session.rollback()
    if wants_json() or back is None:
        return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)
    messages = [str(m) for m in exc.fields.values()] or [str(exc.message)]
    for message in messages:
        flash(message, "error")
    return redirect(back)


def _done(message: str, back: str, payload: dict | None = None):
    if wants_json():
        return jsonify(payload or {"ok": True})
    flash(message, "success")
    return redirect(back)


def _act(back: str, message: str, action, *args, payload=None, **kwargs):
    """Call the service `action(current_user, *args, **kwargs)`, commit and answer `message` on `back`
    (JSON: `payload(value)` with the service's answer); a refusal is rolled back and answered (`_failed`)."""
    try:
        value = action(current_user, *args, **kwargs)
    except ServiceError as exc:
        return _failed(exc, back)
    db.session.commit()
    return _done(message, back, payload(value) if payload is not None else None)


def _post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not can_view_board(current_user, post.thread.board):
        abort(404)
    load_thread(post.thread_id)
    if not can_view_post(current_user, post) and not (post.is_deleted and can_moderate_post(current_user, post)):
        abort(404)
    return post


def _member(username: str) -> Member:
    member = db.session.scalar(select(Member).where(Member.username_key == username_key(username)))
    if member is None:
        abort(404)
    return member


def _post_json(post: Post) -> dict:
    return {"post": {"id": post.id, "url": post_url(post), "hidden": post.hidden_at is not None,
                     "deleted": post.is_deleted, "pending": bool(post.pending), "whisper": bool(post.is_whisper)}}


# ---- flags and reports -------------------------------------------------------------------------

@bp.route("/p/<int:post_id>/flag", methods=["POST"])
@login_required
@limiter.limit(_flag_limit, key_func=_member_key, methods=["POST"])
def flag(post_id: int):
    post = _post(post_id)
    if not can_flag(current_user, post):
        abort(403)
    return _act(post_url(post), _("Thank you. The moderators will look at this post."),
                flag_post, post, request.form.get("reason"), request.form.get("note", ""),
                payload=lambda made: {"flag": {"id": made.id, "reason": made.reason.value}, **_post_json(post)})


@bp.route("/u/<username>/report", methods=["POST"])
@login_required
@limiter.limit(_flag_limit, key_func=_member_key, methods=["POST"])
def report(username: str):
    target = _member(username)
    if not can_report_member(current_user, target):
        abort(403)
    return _act(url_for("members.profile", username=target.username),
                _("Thank you. The moderators will look into it."),
                report_member, target, request.form.get("reason"), request.form.get("note", ""))


# ---- the review queue ----------------------------------------------------------------------------

@bp.route("/review")
@login_required
def review():
    if not can_review(current_user):
        abort(404)
    raw = request.args.get("status", "pending")
    status = ReviewStatus(raw) if raw in ReviewStatus.__members__ else ReviewStatus.pending
    items = review_queue(current_user, status)
    histories = item_histories(items) if status is ReviewStatus.pending else {}
    return render_template("community/moderation/review.html", items=items, status=status, histories=histories,
                           reasons=FLAG_REASON_LABELS, actions=ACTION_LABELS,
                           outcomes=OUTCOMES)


@bp.route("/review/<int:item_id>", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def resolve(item_id: int):
    if not can_review(current_user):
        abort(404)
    item = db.session.get(ReviewItem, item_id)
    if item is None or (item.post is not None and not can_moderate_post(current_user, item.post)):
        abort(404)
    return _act(url_for("moderation.review"), _("Done. The flaggers have been told."),
                resolve_item, item, request.form.get("outcome", ""), request.form.get("note", ""),
                delete=request.form.get("delete") in ("1", "y", "on", "true"),
                silence_days=request.form.get("silence_days") or None,
                reason=request.form.get("silence_reason", ""),
                payload=lambda _item: {"item": {"id": item.id, "status": item.status.value}})


# ---- post tools -------------------------------------------------------------------------------------

def _post_tool(post_id: int, fn, allowed, message):
    post = _post(post_id)
    if not allowed(current_user, post):
        abort(403)
    return _act(post_url(post), message, fn, post, request.form.get("reason", ""),
                payload=lambda _post: _post_json(post))


@bp.route("/p/<int:post_id>/hide", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def hide(post_id: int):
    return _post_tool(post_id, hide_post, can_moderate_post, _("The post is hidden."))


@bp.route("/p/<int:post_id>/unhide", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def unhide(post_id: int):
    return _post_tool(post_id, unhide_post, can_moderate_post, _("The post is visible again."))


@bp.route("/p/<int:post_id>/restore", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def restore(post_id: int):
    return _post_tool(post_id, restore_post, can_restore_post, _("The post has been restored."))


# ---- thread tools ----------------------------------------------------------------------------------
# Retag, move, close and pin: trusted members (by trust level) and moderators; these answer JSON errors.

def _tool_refused(exc: ServiceError):
    db.session.rollback()
    return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)


def _thread_json(thread) -> dict:
    return {"thread": {
        "id": thread.id,
        "url": url_for("forum.thread", thread_id=thread.id),
        "board": thread.board.slug,
        "tags": [tag.name for tag in thread.tags],
        "locked": thread.is_locked,
        "locked_reason": thread.locked_reason or "",
        "pinned": is_pinned(thread),
        "pinned_until": thread.pinned_until.isoformat() if thread.pinned_until else None,
    }}


def _tool_done(thread, message: str):
    if wants_json():
        return jsonify(_thread_json(thread))
    flash(message, "success")
    return redirect(url_for("forum.thread", thread_id=thread.id))


def _tool(thread_id: int, allowed) -> object:
    thread = load_thread(thread_id)
    if not allowed(current_user, thread):
        abort(403)
    return thread


def _use_tool(thread, message, action, *args):
    """Call the thread tool `action(current_user, thread, *args)`, commit and answer `message` (a callable gets
    the tool's answer) or the thread as JSON; a refusal is rolled back and answered as JSON (`_tool_refused`)."""
    try:
        value = action(current_user, thread, *args)
    except ServiceError as exc:
        return _tool_refused(exc)
    db.session.commit()
    return _tool_done(thread, message(value) if callable(message) else message)


@bp.route("/t/<int:thread_id>/tags", methods=["POST"])
@login_required
@limiter.limit(TRUSTED_TOOL_LIMIT, methods=["POST"])
def retag(thread_id: int):
    return _use_tool(_tool(thread_id, can_retag),
                     lambda changed: _("The tags have been changed.") if changed else _("The tags are unchanged."),
                     thread_tools.retag_thread, request.form.get("tags", ""))


@bp.route("/t/<int:thread_id>/move", methods=["POST"])
@login_required
@limiter.limit(TRUSTED_TOOL_LIMIT, methods=["POST"])
def move(thread_id: int):
    thread = _tool(thread_id, can_recategorize)
    slug = (request.form.get("board") or "").strip()
    target = db.session.scalar(select(Board).where(Board.slug == slug)) if slug else None
    return _use_tool(thread, lambda _moved: _("The thread has been moved to %(board)s.", board=target.name),
                     thread_tools.move_thread, target)


@bp.route("/t/<int:thread_id>/lock", methods=["POST"])
@login_required
@limiter.limit(TRUSTED_TOOL_LIMIT, methods=["POST"])
def lock(thread_id: int):
    return _use_tool(_tool(thread_id, can_lock_thread), _("The thread is closed to new replies."),
                     thread_tools.lock_thread, request.form.get("reason", ""))


@bp.route("/t/<int:thread_id>/unlock", methods=["POST"])
@login_required
@limiter.limit(TRUSTED_TOOL_LIMIT, methods=["POST"])
def unlock(thread_id: int):
    return _use_tool(_tool(thread_id, can_lock_thread), _("The thread is open for replies again."),
                     thread_tools.unlock_thread)


@bp.route("/t/<int:thread_id>/pin", methods=["POST"])
@login_required
@limiter.limit(TRUSTED_TOOL_LIMIT, methods=["POST"])
def pin(thread_id: int):
    return _use_tool(_tool(thread_id, can_pin_thread), _("The thread is pinned to the top of its board."),
                     thread_tools.pin_thread, request.form.get("days"))


@bp.route("/t/<int:thread_id>/unpin", methods=["POST"])
@login_required
@limiter.limit(TRUSTED_TOOL_LIMIT, methods=["POST"])
def unpin(thread_id: int):
    return _use_tool(_tool(thread_id, can_pin_thread), _("The thread is no longer pinned."),
                     thread_tools.unpin_thread)


# Pin globally, merge and split: moderators.

@bp.route("/t/<int:thread_id>/pin-globally", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def pin_globally(thread_id: int):
    thread = load_thread(thread_id)
    if not can_pin_globally(current_user, thread):
        abort(403)
    return _act(url_for("forum.thread", thread_id=thread.id), _("The thread is pinned on top of every list."),
                thread_tools.pin_globally, thread, request.form.get("days"))


def _page_tool(field: str, action, *args) -> tuple[object, dict]:
    """Call a thread tool with a page of its own (merge, split) and commit: (its answer, {}), or, refused and
    rolled back, (None, the problems by field; a refusal of no field goes on `field`)."""
    try:
        value = action(current_user, *args)
    except ServiceError as exc:
        db.session.rollback()
        return None, {k: str(v) for k, v in exc.fields.items()} or {field: str(exc.message)}
    db.session.commit()
    return value, {}


def _to_thread(thread, message: str):
    """Answer a page tool's success: to `thread` (JSON: its id and URL)."""
    url = url_for("forum.thread", thread_id=thread.id)
    return _done(message, url, {"thread": {"id": thread.id, "url": url}})


def _fields_refused(errors: dict):
    return error_response(422, _("Please correct the marked fields."), fields=errors)


@bp.route("/t/<int:thread_id>/merge", methods=["GET", "POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def merge(thread_id: int):
    thread = load_thread(thread_id)
    if not can_split_thread(current_user, thread):  # a moderator of a live thread
        abort(403)
    errors = {}
    if request.method == "POST":
        raw = (request.form.get("target") or "").strip().rsplit("/", 1)[-1]
        target = db.session.get(Thread, int(raw)) if raw.isdigit() and len(raw) < 12 else None
        if target is None or not can_merge_threads(current_user, thread, target):
            errors["target"] = _("Please give the number (or link) of another live thread that you moderate.")
        else:
            _merged, errors = _page_tool("target", thread_tools.merge_threads, thread, target,
                                         request.form.get("reason", ""))
            if not errors:
                return _to_thread(target, _("The threads have been merged."))
        if wants_json():
            return _fields_refused(errors)
    return render_template("community/moderation/thread_tools/merge.html", thread=thread, board=thread.board,
                           errors=errors), (422 if errors else 200)


@bp.route("/t/<int:thread_id>/split", methods=["GET", "POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def split(thread_id: int):
    thread = load_thread(thread_id)
    if not can_split_thread(current_user, thread):
        abort(403)
    errors = {}
    if request.method == "POST":
        slug = (request.form.get("board") or "").strip()
        board = db.session.scalar(select(Board).where(Board.slug == slug)) if slug else thread.board
        if board is None or not can_view_board(current_user, board):
            errors["board"] = _("Please choose a board you moderate.")
        else:
            new, errors = _page_tool("posts", thread_tools.split_thread, thread, request.form.getlist("posts"),
                                     request.form.get("title", ""), board, request.form.get("reason", ""))
            if not errors:
                return _to_thread(new, _("The posts have been moved into a new thread."))
        if wants_json():
            return _fields_refused(errors)
    posts = db.session.scalars(select(Post).where(Post.thread_id == thread.id, Post.number > 1)
                               .order_by(Post.number).limit(500)).all()
    boards = [b for b in db.session.scalars(select(Board).order_by(Board.position, Board.name))
              if can_view_board(current_user, b) and is_moderator(current_user)]
    return render_template("community/moderation/thread_tools/split.html", thread=thread, board=thread.board, posts=posts,
                           boards=boards, errors=errors), (422 if errors else 200)


# ---- members ------------------------------------------------------------------------------------

def _member_tool(username: str, fn, message, with_days: bool):
    target = _member(username)
    if not can_act_on_member(current_user, target):
        abort(403)
    days = (request.form.get("days"),) if with_days else ()
    return _act(url_for("members.profile", username=target.username), message,
                fn, target, *days, request.form.get("reason", ""),
                payload=lambda _target: {"member": {"id": target.id, "username": target.username,
                                                    "silenced_until": _iso(target.silenced_until),
                                                    "suspended_until": _iso(target.suspended_until)}})


def _iso(value):
    return value.isoformat() if value else None


@bp.route("/u/<username>/silence", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def silence(username: str):
    return _member_tool(username, silence_member, _("The member is silenced."), True)


@bp.route("/u/<username>/unsilence", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def unsilence(username: str):
    return _member_tool(username, lift_silence, _("The silence has been lifted."), False)


@bp.route("/u/<username>/suspend", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def suspend(username: str):
    return _member_tool(username, suspend_member, _("The member is suspended and signed out."), True)


@bp.route("/u/<username>/unsuspend", methods=["POST"])
@login_required
@limiter.limit(TOOL_LIMIT, methods=["POST"])
def unsuspend(username: str):
    return _member_tool(username, lift_suspension, _("The suspension has been lifted."), False)


# ---- the log and the transparency page ---------------------------------------------------------

@bp.route("/mod/log")
@login_required
def log():
    if not can_view_moderation_log(current_user):
        abort(404)
    action = request.args.get("action") or None
    if action is not None and action not in ACTION_LABELS:
        action = None
    actor = _find(request.args.get("actor"))
    member = _find(request.args.get("member"))
    missing = [name for name, found in (("actor", actor), ("member", member))
               if request.args.get(name) and found is None]
    if missing:
        entries, withheld = None, set()
    else:
        entries = paged(moderation_log, action=action, actor=actor, member=member, page=page_arg())
        withheld = _withheld_subjects(entries.items)
    return render_template("community/moderation/log.html", entries=entries, action=action,
                           actions=ACTION_LABELS, reasons=REASON_CODE_LABELS, missing=missing,
                           withheld=withheld)


def _withheld_subjects(rows) -> set[int]:
    """Ids of the log lines whose subject the reader may not see: they show the action, not its subject.

    Like Discourse's staff action log, a line is never dropped: the log stays a complete record of who
    did what and when (the public transparency page counts these lines anyway); only what was derived
    from content the reader cannot see (title, link, the moderator's reason, a flag note) is withheld.
    """
    post_ids = {row.post_id for row in rows if row.post_id is not None}
    if post_ids:  # one query; each line's `post` is then read from the session
        db.session.scalars(select(Post).where(Post.id.in_(post_ids))).all()
    return {row.id for row in rows if not can_view_log_subject(current_user, row)}


def _find(username):
    if not username:
        return None
    return db.session.scalar(select(Member).where(Member.username_key == username_key(username)))


@bp.route("/transparency")
def transparency():
    report = transparency_report(30)
    return render_template("community/moderation/transparency.html", report=report,
                           actions=ACTION_LABELS, reasons=REASON_CODE_LABELS)


def init_app(app) -> None:
    """Template helpers for the slots."""
    app.add_template_global(pending_review_count, "pending_review_count")
    app.add_template_global(lambda: FLAG_REASON_LABELS, "flag_reasons")
