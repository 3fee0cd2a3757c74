"""Private conversations: between members, and with the staff inbox ("Message the team").

Pages: `/messages` (mine: unread first, then most recent), `/messages/new?to=<username>[,<username>...]`,
`/messages/team` (a member writes to the staff inbox, at any trust level), `/messages/staff` (the staff
inbox: open or answered; any staff member answers, and the member sees the answer as from "<site name>
team" with the staff member's name), `/messages/<id>` (read, reply; marks read), leave, mute, report a
message, `/messages/blocked` (block or unblock members; linked from the settings page).
API: `/api/v1/conversations`, `/api/v1/conversations/<id>` (community/conversations/api.py).

Who reads: the participants who did not leave (a member who left reads nothing more of it, and hears
nothing), and every staff member for staff-inbox conversations. Moderators and admins never read
member-to-member conversations; a reported message goes to the review queue alone.

Settings (community/settings.py): `conversations.min_trust_level` (1: trust level to start a member-to-member
conversation), `conversations.max_recipients` (10), `conversations.per_day` ([0, 10, 25, 50, 100]: new
member-to-member conversations in 24 hours by trust level), `conversations.mail_delay_minutes` (10: a
participant who has not read a new message after this long gets one mail). Config: `CONVERSATIONS_PER_PAGE`
(30), `MESSAGES_PER_PAGE` (50).
"""
from datetime import timedelta

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from ..composer import services as composer
from ..extensions import db
from ..permissions import can_view_conversation, is_staff
from ..registry import register_header_count, register_scheduled_job, register_staff_counter, register_template_slot
from ..signals import conversation_started, member_deleting, message_sent
from . import api, live, mail, models, services, views


def init_app(app: Flask) -> None:
    """Register the pages, the API, the header count, the live and mail subscribers."""
    app.config.setdefault("CONVERSATIONS_PER_PAGE", 30)
    app.config.setdefault("MESSAGES_PER_PAGE", 50)
    app.register_blueprint(views.bp)
    api.init_app(app)
    register_template_slot(app, "header_extra", "community/conversations/_header.html", order=2)
    register_template_slot(app, "settings_extra", "community/conversations/_settings.html", order=40)
    register_template_slot(app, "page_end", "community/conversations/_page_end.html", order=20)
    register_template_slot(app, "nav_extra", "community/conversations/_nav.html", order=90)
    register_template_slot(app, "profile_extra", "community/conversations/_profile.html", order=60)
    app.add_template_global(views.is_blocked_by_me, "is_blocked_by_me")
    app.add_template_global(views.unread_conversation_count, "unread_conversation_count")
    register_header_count(app, "unread_conversations", services.unread_count_select)
    app.add_template_global(views.conversation_title, "conversation_title")
    register_staff_counter(app, "staff_inbox", _open_staff_conversations)
    live.connect()
    member_deleting.connect(services.on_member_deleting)
    # the composer's drafts: where a conversation draft belongs, and gone once its text is sent
    composer.PLACES["conversation"] = _draft_place
    conversation_started.connect(_discard_new_draft, weak=False)
    message_sent.connect(_discard_reply_draft, weak=False)
    register_scheduled_job(app, "conversations.mail_unseen", mail.mail_unseen, every=timedelta(minutes=5),
                           help="Mail participants about private messages they have not read.")


def _open_staff_conversations(member) -> int | None:
    """The live staff counter: staff-inbox conversations waiting for an answer (staff only)."""
    return services.open_staff_count() if is_staff(member) else None


def _draft_place(member, ident):
    """Where a `conversation:<id>` / `conversation:new` draft belongs, as far as `member` may see it."""
    if ident == "new":
        return composer.Place(str(_l("A new private message")), url_for("conversations.new"))
    conversation = db.session.get(models.Conversation, ident) if isinstance(ident, int) else None
    if conversation is None or not can_view_conversation(member, conversation):
        return None
    return composer.Place(str(_l("Reply in the private conversation “%(title)s”",
                                 title=views.conversation_title(conversation))),
                          url_for("conversations.show", conversation_id=conversation.id))


def _discard_new_draft(conversation, by=None, **_extra):
    if by is not None:
        composer.discard_draft(by, "conversation:new")


def _discard_reply_draft(message, conversation=None, by=None, **_extra):
    if by is not None and conversation is not None:
        composer.discard_draft(by, f"conversation:{conversation.id}")
