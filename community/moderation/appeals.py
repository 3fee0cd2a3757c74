"""Moderation notices and appeals.

When a moderator (or the community's flags) hides, deletes, moves or edits a member's content, the
author is told, with the reason and a link to appeal (`notice_for`, on `moderation_logged`). An appeal
is a review item (kind `appeal`, one per action) that moderators decide: "approved" restores what can be
restored (shows a hidden post, restores a deleted one), "rejected" upholds the action; the author hears
the outcome and both steps are in the moderation log.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted
from ..extensions import db
from ..members.models import Member
from ..notifications.services import notify
from ..permissions import can_view_post, can_view_thread
from ..signals import moderation_logged, post_unhidden
from .inputs import checked_text
from .log import log_action
from .models import ModerationAction, ReviewItem, ReviewKind
from .posts import mark_visible, restore_post

# The log lines an author is told about, and may appeal; "what" names the action in the notice.
NOTICES = {"auto_hide": "hidden", "hide": "hidden", "delete": "deleted", "move": "moved", "edit": "edited"}
STATEMENT_MAX = 2000


def _subject(action: ModerationAction) -> Member | None:
    """The author whose content the action touched."""
    if action.member_id is not None:
        return db.session.get(Member, action.member_id)
    if action.action == "move" and action.thread_id is not None:
        thread = action.thread
        return thread.author if thread is not None else None
    return None


def notice_for(action: ModerationAction, **_kw) -> None:
    """Tell the author that their content was hidden, deleted, moved or edited, why, and how to appeal."""
    what = NOTICES.get(action.action)
    author = _subject(action) if what else None
    if author is None or (action.actor_id is not None and action.actor_id == author.id):
        return
    post, thread = action.post, action.thread
    data = {"what": what, "reason": action.reason or "", "reason_code": action.reason_code or "",
            "action_id": action.id, "url": f"/appeal/{action.id}", "by_flags": action.action == "auto_hide"}
    # Name only what the author may still see: a thread moved to a board they cannot read stays unnamed.
    if thread is not None and can_view_thread(author, thread):
        data["thread_title"] = thread.title
        if what == "moved":
            data["board"] = thread.board.name
    link_post = post if post is not None and can_view_post(author, post) else None
    link_thread = thread if link_post is None and thread is not None and can_view_thread(author, thread) else None
    notify(author, "content_moderated", post=link_post, thread=link_thread, data=data)


def appealable(member, action: ModerationAction | None) -> bool:
    """Whether `member` may appeal `action`: an action on their own content that notices are sent for."""
    if action is None or action.action not in NOTICES or not getattr(member, "is_authenticated", False):
        return False
    author = _subject(action)
    return author is not None and author.id == member.id and action.actor_id != member.id


def open_appeal(action: ModerationAction) -> ReviewItem | None:
    return db.session.scalar(select(ReviewItem).where(ReviewItem.action_id == action.id))


def file_appeal(member: Member, action: ModerationAction, statement: str) -> ReviewItem:
    """Ask the moderators to undo `action`; one appeal per action, in the review queue."""
    if not appealable(member, action):
        raise NotPermitted(_l("You can only appeal an action on your own content."))
    statement = checked_text(statement, "statement", STATEMENT_MAX, required=True)
    if open_appeal(action) is not None:
        raise Conflict(_l("You have appealed this already; the moderators will answer."))
    item = ReviewItem(kind=ReviewKind.appeal, post_id=action.post_id, member_id=member.id, action_id=action.id,
                      statement=statement, created_at=utcnow(), weight=0.0)
    try:
        with db.session.begin_nested():
            db.session.add(item)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("You have appealed this already; the moderators will answer.")) from exc
    log_action(member, "appeal", member=member, post=action.post, thread=action.thread, reason_code="appeal",
               reason=statement, data={"action_id": action.id})
    return item


def decide_appeal(moderator: Member, item: ReviewItem, outcome: str, note: str) -> None:
    """Restore (outcome "approved") or uphold ("rejected") the appealed action; log it and tell the author.

    Restoring shows a hidden post again or restores a deleted one; a move or an edit is undone by hand
    with the thread tools, so the note should say what was done.
    """
    action, post = item.action, item.post
    restored = False
    if outcome == "approved" and post is not None:
        if post.is_deleted and (post.is_opening or not post.thread.is_deleted):
            restore_post(moderator, post, note)
            restored = True
        elif post.hidden_at is not None and not post.is_deleted:
            mark_visible(post)
            post_unhidden.send(post, by=moderator)
            restored = True
    log_action(moderator, "appeal_granted" if outcome == "approved" else "appeal_upheld", member=item.member,
               post=post, thread=action.thread if action is not None else None, reason_code="appeal", reason=note,
               data={"action_id": item.action_id, "restored": restored})
    author = item.member
    if author is not None:
        data = {"outcome": "granted" if outcome == "approved" else "upheld", "note": note,
                "what": NOTICES.get(action.action, "") if action is not None else "", "restored": restored}
        visible = post if post is not None and can_view_post(author, post) else None
        if visible is not None:
            data["thread_title"] = visible.thread.title
        notify(author, "appeal_outcome", actor=moderator, post=visible, data=data)


def connect() -> None:
    moderation_logged.connect(notice_for)

