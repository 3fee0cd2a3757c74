"""The notifications page: list, open, mark one or all read. Members only."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db, limiter
from ..forum.models import Board, Thread
from ..pages import wants_json
from ..permissions import can_follow_thread, can_view_board, can_view_thread
from ..web import header_count, page_arg, paged, post_url
from . import services
from .models import Notification

bp = Blueprint("notifications", __name__)


def unread_notification_count() -> int:
    """Return the signed-in member's unread count, once per request with the header's other counts (template global)."""
    return header_count("unread_notifications")


def thread_is_followed(thread: Thread) -> bool:
    """Return whether the signed-in member follows `thread` (template global, one query)."""
    return services.is_following(current_user, thread)


def target_url(notification: Notification) -> str:
    """Return where a notification leads: its post, its thread, a path in its data, else the list."""
    if notification.post is not None:
        return post_url(notification.post)
    if notification.thread_id is not None:
        return url_for("forum.thread", thread_id=notification.thread_id)
    url = str((notification.data or {}).get("url") or "")
    if url.startswith("/") and not url.startswith("//"):
        return url
    return url_for("notifications.index")


def _load(notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.member_id != current_user.id:
        abort(404)  # someone else's notification does not exist for you
    return notification


def _back():
    page = request.form.get("page", "")
    return redirect(url_for("notifications.index", page=int(page) if page.isdigit() and int(page) > 1 else None,
                            filter=request.form.get("filter") or None))


@bp.route("/notifications")
@login_required
def index():
    unread_only = request.args.get("filter") == "unread"
    notifications = paged(services.member_notifications, current_user, page_arg(), unread_only)
    if wants_json():
        return jsonify(items=[_json(n) for n in notifications.items],
                       next=url_for("notifications.index", page=notifications.page + 1,
                                    filter="unread" if unread_only else None) if notifications.has_next else None,
                       unread=unread_notification_count())
    return render_template("community/notifications/index.html", notifications=notifications,
                           unread_only=unread_only, target_url=target_url)


def _json(n: Notification) -> dict:
    return {"id": n.id, "kind": n.kind, "actor": n.actor.username if n.actor else None, "thread_id": n.thread_id,
            "post_id": n.post_id, "data": n.data or {}, "created_at": n.created_at.isoformat(),
            "read": n.is_read, "url": target_url(n)}


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
@limiter.limit("120 per minute", methods=["POST"])
def read(notification_id: int):
    notification = _load(notification_id)
    services.mark_read(current_user, notification)
    db.session.commit()
    if wants_json():
        return jsonify(notification=_json(notification), unread=services.unread_count(current_user))
    return _back()


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
@limiter.limit("120 per minute", methods=["POST"])
def open_(notification_id: int):
    notification = _load(notification_id)
    services.mark_read(current_user, notification)
    db.session.commit()
    return redirect(target_url(notification))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
@limiter.limit("30 per minute", methods=["POST"])
def read_all():
    count = services.mark_all_read(current_user)
    db.session.commit()
    if wants_json():
        return jsonify(marked=count, unread=0)
    return _back()


# ---- follows -------------------------------------------------------------------------------

def _follow_target(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can_view_thread(current_user, thread):
        abort(404)
    if not can_follow_thread(current_user, thread):
        abort(403)
    return thread


def _followed(kind: str, target, following: bool, page: str, message: str | None = None):
    """Commit a follow or unfollow and answer it: JSON for scripts, the followed page otherwise."""
    db.session.commit()
    if wants_json():
        return jsonify({kind: {"id": target.id, "following": following}})
    if message:
        flash(message, "success")
    return redirect(page)


@bp.route("/t/<int:thread_id>/follow", methods=["POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def follow(thread_id: int):
    thread = _follow_target(thread_id)
    services.follow_thread(current_user, thread)
    return _followed("thread", thread, True, url_for("forum.thread", thread_id=thread.id))


@bp.route("/t/<int:thread_id>/unfollow", methods=["POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def unfollow(thread_id: int):
    thread = _follow_target(thread_id)
    services.unfollow_thread(current_user, thread)
    return _followed("thread", thread, False, url_for("forum.thread", thread_id=thread.id))


def _board_target(slug: str):
    board = db.session.scalar(select(Board).where(Board.slug == slug[:64]))
    if board is None or not can_view_board(current_user, board):
        abort(404)
    return board


@bp.route("/b/<slug>/follow", methods=["POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def follow_board(slug: str):
    board = _board_target(slug)
    services.follow_board(current_user, board)
    return _followed("board", board, True, url_for("forum.board", slug=board.slug),
                     _("New threads of %(board)s will be in your digest (choose daily or weekly in Settings).",
                       board=board.name))


@bp.route("/b/<slug>/unfollow", methods=["POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def unfollow_board(slug: str):
    board = _board_target(slug)
    services.unfollow_board(current_user, board)
    return _followed("board", board, False, url_for("forum.board", slug=board.slug))


def board_is_followed(board) -> bool:
    """Template global: whether the signed-in member follows `board` (one query)."""
    return services.is_following_board(current_user, board)
