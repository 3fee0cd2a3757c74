"""The moderation log: one line per act of moderation, the log's pages and the public transparency counts."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..dbtypes import utcnow
from ..extensions import db
from ..forum.models import Post, Thread
from ..members.models import Member
from ..signals import moderation_logged
from ..web import paginate
from .inputs import REASON_MAX
from .models import ModerationAction


def log_action(actor: Member | None, action: str, *, member: Member | None = None, thread: Thread | None = None,
               post: Post | None = None, reason_code: str = "", reason: str = "", data: dict | None = None
               ) -> ModerationAction:
    """Write one line to the moderation log and announce it."""
    if post is not None and thread is None:
        thread = post.thread
    row = ModerationAction(action=action, actor_id=actor.id if actor is not None else None,
                           member_id=member.id if member is not None else None,
                           thread_id=thread.id if thread is not None else None,
                           post_id=post.id if post is not None else None,
                           reason_code=reason_code or "", reason=(reason or "")[:REASON_MAX], data=dict(data or {}),
                           created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    moderation_logged.send(row)
    return row


def moderation_log(action: str | None = None, actor: Member | None = None, member: Member | None = None,
                   page: int = 1, per_page: int = 50):
    """Return a page of the moderation log, newest first, filtered by action, actor or member concerned."""
    query = select(ModerationAction)
    if action:
        query = query.where(ModerationAction.action == action)
    if actor is not None:
        query = query.where(ModerationAction.actor_id == actor.id)
    if member is not None:
        query = query.where(ModerationAction.member_id == member.id)
    return paginate(query.options(joinedload(ModerationAction.actor), joinedload(ModerationAction.member),
                                  joinedload(ModerationAction.thread))
                    .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc()), page, per_page)


# What the public page counts: the community's own acts of moderation, not members' flags.
PUBLIC_ACTIONS = ("auto_hide", "hide", "unhide", "delete", "restore", "edit", "approve", "reject", "agree",
                  "disagree", "ignore", "lock", "unlock", "pin", "unpin", "move", "merge", "split", "silence",
                  "unsilence", "suspend", "unsuspend", "flag", "report_member")


def transparency_report(days: int = 30) -> dict:
    """Counts of moderation actions and of their reasons, over `days` days and in all; no names."""
    since = utcnow() - timedelta(days=days)
    base = select(ModerationAction.action, ModerationAction.reason_code, func.count()).where(
        ModerationAction.action.in_(PUBLIC_ACTIONS)).group_by(ModerationAction.action, ModerationAction.reason_code)
    recent = db.session.execute(base.where(ModerationAction.created_at >= since)).all()
    total = db.session.execute(base).all()

    def fold(rows):
        by_action, by_reason = {}, {}
        for action, code, n in rows:
            by_action[action] = by_action.get(action, 0) + n
            if code:
                by_reason[code] = by_reason.get(code, 0) + n
        return by_action, by_reason

    recent_actions, recent_reasons = fold(recent)
    all_actions, all_reasons = fold(total)
    return {"days": days, "recent_actions": recent_actions, "recent_reasons": recent_reasons,
            "all_actions": all_actions, "all_reasons": all_reasons}
