"""The private-message pages: /messages (mine), /messages/new, /messages/team, /messages/staff (the staff
inbox), /messages/<id> (read and reply), leave, mute, report a message, and blocked members."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..errors import ServiceError
from ..extensions import db, limiter
from ..members.models import Member, username_key
from ..permissions import (
    can_message_staff,
    can_reply_conversation,
    can_start_conversation,
    can_view_conversation,
    is_staff,
)
from ..site.branding import community_name
from ..web import header_count, page_arg, paged
from . import services
from .models import Conversation

bp = Blueprint("conversations", __name__)
SEND_LIMIT = "20 per minute; 300 per day"
START_LIMIT = "5 per minute; 50 per day"


def unread_conversation_count() -> int:
    """The signed-in member's conversations with unread messages, once per request with the header's other counts
    (template global)."""
    return header_count("unread_conversations")


def is_blocked_by_me(member: Member) -> bool:
    """Whether the signed-in member blocks `member` (template global; one query, on profiles)."""
    return bool(services.blocked_ids([current_user.id], member.id))


def conversation_title(conversation: Conversation) -> str:
    """The subject, else the names of the others in it (template global)."""
    if conversation.subject:
        return conversation.subject
    if conversation.is_staff:
        return _("Message to the team")
    names = [p.member.name for p in conversation.participants
             if p.member_id != getattr(current_user, "id", None) and not p.staff_side]
    return ", ".join(names) or _("Conversation")


def load(conversation_id: int) -> Conversation:
    """The conversation, or 404 for anyone who may not read it (it does not exist for them)."""
    member = current_user._get_current_object()  # signs in first: the loader's commit would expire the row
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not can_view_conversation(member, conversation):
        abort(404)
    return conversation


def _names(raw: str) -> list[str]:
    return [n for n in raw.replace(";", ",").replace(" ", ",").split(",") if n.strip()][:100]


@bp.route("/messages")
@login_required
def index():
    conversations = paged(services.my_conversations, current_user, page_arg())
    return render_template("community/conversations/index.html", conversations=conversations)


@bp.route("/messages/unread")
@login_required
def unread():
    return jsonify(unread=unread_conversation_count())


@bp.route("/messages/staff")
@login_required
def staff_inbox():
    if not is_staff(current_user):
        abort(404)
    state = request.args.get("state", "open")
    state = state if state in ("open", "answered", "all") else "open"
    conversations = paged(services.staff_inbox, page_arg(), state)
    return render_template("community/conversations/staff_inbox.html", conversations=conversations, state=state)


def _new_page(team: bool, status: int = 200, **context):
    context.setdefault("errors", {})
    context.setdefault("to", request.values.get("to", "")[:500])
    context.setdefault("subject", request.values.get("subject", "")[:200])
    title = _("Message the %(name)s team", name=_site_name()) if team else _("New conversation")
    action = url_for("conversations.message_team") if team else url_for("conversations.new")
    return render_template("community/conversations/new.html", team=team, title=title, action=action,
                           **context), status


def _site_name() -> str:
    return community_name()


def _started(outcome: Conversation):
    db.session.commit()
    return redirect(url_for("conversations.show", conversation_id=outcome.id))


def _refused(team: bool, exc: ServiceError):
    db.session.rollback()
    fields = {key: str(value) for key, value in (exc.fields or {}).items()}
    return _new_page(team, exc.status if exc.status in (403, 409, 422) else 422, errors=fields,
                     error=None if fields else str(exc.message), body=request.form.get("body", ""))


@bp.route("/messages/new", methods=["GET", "POST"])
@login_required
@limiter.limit(START_LIMIT, methods=["POST"])
def new():
    if not can_start_conversation(current_user):
        return _new_page(False, 403, error=_("You cannot start private conversations yet."))
    if request.method == "GET":
        return _new_page(False)
    recipients, missing = services.find_recipients(_names(request.form.get("to", "")))
    if missing:
        return _new_page(False, 422, errors={"to": _("There is no member named %(names)s.",
                                                     names=", ".join(missing[:5]))},
                         body=request.form.get("body", ""))
    try:
        conversation = services.start_conversation(current_user, recipients, request.form.get("subject", ""),
                                                   request.form.get("body", ""))
    except ServiceError as exc:
        return _refused(False, exc)
    return _started(conversation)


@bp.route("/messages/team", methods=["GET", "POST"])
@login_required
@limiter.limit(START_LIMIT, methods=["POST"])
def message_team():
    if not can_message_staff(current_user):
        return _new_page(True, 403, error=_("You cannot send messages now."))
    if request.method == "GET":
        return _new_page(True)
    try:
        conversation = services.message_staff(current_user, request.form.get("subject", ""),
                                              request.form.get("body", ""))
    except ServiceError as exc:
        return _refused(True, exc)
    return _started(conversation)


def _show(conversation: Conversation, status: int = 200, **context):
    raw = request.args.get("page")
    page = page_arg() if raw is not None else None
    messages = paged(services.messages, conversation, page)
    me = services.participant(current_user, conversation)
    context.setdefault("can_reply", can_reply_conversation(current_user, conversation))
    return render_template("community/conversations/show.html", conversation=conversation, messages=messages,
                           me=me, **context), status


@bp.route("/messages/<int:conversation_id>", methods=["GET", "POST"])
@login_required
@limiter.limit(SEND_LIMIT, methods=["POST"])
def show(conversation_id: int):
    conversation = load(conversation_id)
    if request.method == "POST":
        try:
            message = services.reply(current_user, conversation, request.form.get("body", ""))
        except ServiceError as exc:
            db.session.rollback()
            fields = {key: str(value) for key, value in (exc.fields or {}).items()}
            conversation = load(conversation_id)
            return _show(conversation, exc.status, errors=fields, body=request.form.get("body", ""),
                         error=None if fields else str(exc.message), can_reply=bool(fields))
        db.session.commit()
        return redirect(url_for("conversations.show", conversation_id=conversation_id) + f"#message-{message.id}")
    marked = services.mark_read(current_user, conversation)
    answer = _show(conversation)  # rendered before the commit, which would expire what the page loaded
    if marked:
        db.session.commit()
    return answer


@bp.route("/messages/<int:conversation_id>/live/<int:message_id>")
@login_required
def live_message(conversation_id: int, message_id: int):
    """One new message's markup for the live client (the page's own checks; marks it read)."""
    conversation = load(conversation_id)
    message = services.message_for(current_user, conversation, message_id)
    if message is None:
        abort(404)
    marked = services.mark_read(current_user, conversation)
    html = render_template("community/conversations/_message.html", message=message, conversation=conversation)
    if marked:
        db.session.commit()
    return html


def _act(conversation_id: int, fn, *args, done: str | None = None, to_list: bool = False):
    conversation = load(conversation_id)
    try:
        fn(current_user, conversation, *args)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("conversations.show", conversation_id=conversation_id))
    db.session.commit()
    if done:
        flash(done, "success")
    return redirect(url_for("conversations.index") if to_list else
                    url_for("conversations.show", conversation_id=conversation_id))


@bp.route("/messages/<int:conversation_id>/leave", methods=["POST"])
@login_required
def leave(conversation_id: int):
    return _act(conversation_id, services.leave, done=_("You left the conversation."), to_list=True)


@bp.route("/messages/<int:conversation_id>/mute", methods=["POST"])
@login_required
def mute(conversation_id: int):
    return _act(conversation_id, services.set_muted, request.form.get("muted", "1") == "1")


@bp.route("/messages/<int:conversation_id>/messages/<int:message_id>/flag", methods=["POST"])
@login_required
@limiter.limit("10 per minute; 50 per day", methods=["POST"])
def flag(conversation_id: int, message_id: int):
    from ..moderation.flags import flag_message  # noqa: PLC0415  (moderation imports conversations' models)
    conversation = load(conversation_id)
    message = services.message_for(current_user, conversation, message_id)
    if message is None:
        abort(404)
    try:
        flag_message(current_user, message, request.form.get("reason"), request.form.get("note", ""))
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Thank you: the moderators will look at this message."), "success")
    return redirect(url_for("conversations.show", conversation_id=conversation_id))


# ---- blocked members ------------------------------------------------------------------------------------

@bp.route("/messages/blocked")
@login_required
def blocked(error: str | None = None, status: int = 200):
    return render_template("community/conversations/blocked.html", blocks=services.blocked_members(current_user),
                           error=error), status


def _target() -> Member | None:
    name = (request.form.get("username") or "").strip().lstrip("@")[:64]
    return db.session.scalar(select(Member).where(Member.username_key == username_key(name),
                                                  Member.deleted_at.is_(None))) if name else None


@bp.route("/messages/block", methods=["POST"])
@login_required
def block():
    target = _target()
    if target is None:
        return blocked(_("There is no member with this name."), 422)
    try:
        services.block(current_user, target)
    except ServiceError as exc:
        db.session.rollback()
        return blocked(str(exc.message), exc.status)
    db.session.commit()
    flash(_("%(name)s can no longer message you.", name=target.name), "success")
    return redirect(url_for("conversations.blocked"))


@bp.route("/messages/unblock", methods=["POST"])
@login_required
def unblock():
    target = _target()
    if target is not None and services.unblock(current_user, target):
        db.session.commit()
        flash(_("%(name)s can message you again.", name=target.name), "success")
    return redirect(url_for("conversations.blocked"))
