"""Board, thread and post pages. Thin: load (404), permission (403/404), one service call, commit."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import pagecache, registry
from ..errors import ServiceError
from ..extensions import db, limiter
from ..forms import ConfirmForm, EditForm, ReplyForm, ThreadForm, apply_errors, submit
from ..pages import abort_with, error_response, wants_json
from ..permissions import (
    can_delete_post,
    can_edit_post,
    can_reply,
    can_start_thread,
    can_view_history,
    can_view_post,
    is_silenced,
)
from ..signals import thread_viewed
from ..text import quote
from ..web import load_board, load_post, load_thread, page_arg, paged, post_url
from . import services
from .models import BoardKind, Post, PostRevision, Tag

bp = Blueprint("forum", __name__)


def sort_arg(allowed=None, default: str = "latest") -> str:
    """Return the ?sort= of a thread list (the forum's and the registered sorts), else `default` (a board's own)."""
    allowed = allowed or services.thread_sorts()
    default = default if default in allowed else "latest"
    sort = request.args.get("sort", default)
    return sort if sort in allowed else default


@bp.app_template_global("top_period")
def period_arg() -> str:
    """Return the ?period= of the "top" sort (day, week, month or all; all when missing or unknown)."""
    period = request.args.get("period", "all")
    return period if any(period in sort.periods for sort in services.thread_sorts().values()) else "all"


@bp.app_template_global()
def link_to_post(post: Post) -> str:
    return post_url(post)


@bp.route("/b/<slug>")
def board(slug: str):
    board = load_board(slug)
    if (board_view := registry.board_page(board.kind)) is not None:
        return board_view(board)
    sort = sort_arg(default=board.default_sort or "latest")
    answer_filter = request.args.get("filter") if board.kind is BoardKind.question else None
    answer_filter = answer_filter if answer_filter in ("unsolved", "unanswered") else None
    threads = paged(services.board_threads, current_user, board, page_arg(), sort, period=period_arg(),
                    answer_filter=answer_filter)
    return render_template("community/forum/board.html", board=board, threads=threads, sort=sort,
                           answer_filter=answer_filter)


def silenced_message() -> str:
    """Why the signed-in member may not post now: silenced, until when, and the moderator's reason."""
    return _("You are silenced until %(when)s: you can read, but not post. Reason: %(reason)s",
             when=format_datetime(current_user.silenced_until, "short"), reason=current_user.silenced_reason or "-")


def refuse_silenced(form, template: str, **context):
    """Answer a silenced member's post with the reason, keeping what they typed in the form (403)."""
    message = silenced_message()
    if wants_json():
        return error_response(403, message, code="silenced")
    form.form_errors.append(message)
    return render_template(template, form=form, blocked=True, **context), 403


@bp.route("/b/<slug>/new", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute; 60 per hour", methods=["POST"])
def new_thread(slug: str):
    board = load_board(slug)
    silenced = is_silenced(current_user)
    if not can_start_thread(current_user, board) and not silenced:
        abort_with(403, _("Only staff start threads on this board; you may reply to them."))
    form = ThreadForm()
    if silenced:
        return refuse_silenced(form, "community/forum/new_thread.html", board=board)
    if form.validate_on_submit():
        try:
            thread = services.start_thread(current_user, board, form.title.data, form.body.data,
                                               tags=form.tags.data)
            # Areas add to the new thread from the same form (a poll...): callables (member, thread)
            # registered by their init_app; a ServiceError they raise undoes the whole thread.
            for extra in registry.new_thread_extras():
                extra(current_user, thread)
        except ServiceError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            return redirect(url_for("forum.thread", thread_id=thread.id))
    status = 422 if request.method == "POST" else 200
    return render_template("community/forum/new_thread.html", board=board, form=form), status


@bp.route("/tag/<name>")
def tag(name: str):
    tag = db.session.scalar(select(Tag).where(Tag.name == name.casefold()))
    if tag is None:
        abort(404)
    sort = sort_arg()
    threads = paged(services.tagged_threads, current_user, tag, page_arg(), sort, period=period_arg())
    if not threads.total:
        abort(404)  # a tag used only where this reader cannot look does not exist for them
    return render_template("community/forum/tag.html", tag=tag, threads=threads, sort=sort)


@bp.route("/t/<int:thread_id>")
def thread(thread_id: int):
    thread = load_thread(thread_id, with_tags=True)
    cached = pagecache.cached_thread_page(thread.id)  # guests only; see community/pagecache.py
    if cached is not None:
        return cached
    posts = paged(services.thread_posts, thread, page_arg(), current_user, page_authors=True)
    form = ReplyForm() if can_reply(current_user, thread) else None
    # Read up to the last post shown: a whisper or a post waiting for approval the reader may not see is not.
    shown = [p.number for p in posts.items if not (p.is_whisper or p.pending) or can_view_post(current_user, p)]
    if current_user.is_authenticated and shown:
        thread_viewed.send(thread, viewer=current_user._get_current_object(), last_number=shown[-1])
    html = render_template("community/forum/thread.html", thread=thread, board=thread.board, posts=posts, form=form)
    return pagecache.store(thread.id, html)


def _reply_located(*args, **kwargs) -> str:
    """`services.reply`, answering the new post's URL: read before the commit, which expires the post (no reload)."""
    return post_url(services.reply(*args, **kwargs))


@bp.route("/t/<int:thread_id>/reply", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per minute; 300 per hour", methods=["POST"])
def reply(thread_id: int):
    thread = load_thread(thread_id)
    silenced = is_silenced(current_user)
    if not can_reply(current_user, thread) and not silenced:
        abort(403)
    form = ReplyForm()
    reply_to = None
    target_id = request.values.get("reply_to") or request.args.get("quote")
    if target_id:
        if not str(target_id).isdigit():
            abort(400)
        reply_to = db.session.get(Post, int(target_id))
        if reply_to is None or reply_to.thread_id != thread.id or not can_view_post(current_user, reply_to):
            abort_with(404, _("The post you are replying to is not in this thread."))
    if silenced:
        return refuse_silenced(form, "community/forum/reply.html", thread=thread, board=thread.board,
                               reply_to=reply_to)
    if form.validate_on_submit():
        done = submit(form, _reply_located, current_user, thread, form.body.data, reply_to=reply_to,
                      whisper=bool(form.whisper.data))
        if done:
            return redirect(done.value)
    elif request.method == "GET":
        quoted = request.args.get("quote")
        if reply_to is not None:
            form.reply_to.data = str(reply_to.id)
        if quoted and reply_to is not None:
            name = reply_to.author.username if reply_to.author else _("a former member")
            form.body.data = quote(reply_to.body_source, name, post_url(reply_to))
    status = 422 if request.method == "POST" else 200
    return render_template("community/forum/reply.html", thread=thread, board=thread.board, form=form,
                           reply_to=reply_to), status


@bp.route("/p/<int:post_id>")
def post(post_id: int):
    return redirect(post_url(load_post(post_id)))


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per minute", methods=["POST"])
def edit(post_id: int):
    post = load_post(post_id)
    if not can_edit_post(current_user, post):
        abort_with(403, _("You can no longer edit this post."))
    form = EditForm()
    if request.method == "GET":
        form.body.data = post.body_source
        form.title.data = post.thread.title
    if form.validate_on_submit():
        if submit(form, services.edit_post, current_user, post, form.body.data,
                  title=form.title.data if post.is_opening else None, reason=form.reason.data):
            flash(_("Your changes have been saved."), "success")
            return redirect(post_url(post))
    status = 422 if request.method == "POST" else 200
    return render_template("community/forum/edit.html", post=post, thread=post.thread, board=post.thread.board,
                           form=form), status


@bp.route("/p/<int:post_id>/history")
def history(post_id: int):
    post = load_post(post_id)
    if not can_view_history(current_user, post):
        abort(404)
    revisions = db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)
                                   .order_by(PostRevision.number.desc())).all()
    return render_template("community/forum/history.html", post=post, thread=post.thread, board=post.thread.board,
                           revisions=revisions)


@bp.route("/p/<int:post_id>/delete", methods=["POST"])
@login_required
def delete(post_id: int):
    post = load_post(post_id)
    ConfirmForm()
    if not can_delete_post(current_user, post):
        abort(403)
    thread = post.thread
    services.delete_post(current_user, post)
    db.session.commit()
    if post.is_opening:
        flash(_("The thread has been deleted."), "info")
        return redirect(url_for("forum.board", slug=thread.board.slug))
    flash(_("The post has been deleted."), "info")
    return redirect(url_for("forum.thread", thread_id=thread.id))
