"""Member restrictions: silence (read, not post) and suspend (no sign-in) for some days, and lifting them."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted
from ..extensions import db
from ..members.models import Member
from ..notifications.services import notify
from ..permissions import can_act_on_member
from ..signals import member_restriction_lifted, member_silenced, member_suspended
from .inputs import checked_days, checked_text
from .log import log_action


def _check_target(actor: Member, target: Member) -> None:
    if not can_act_on_member(actor, target):
        raise NotPermitted(_l("You cannot act on this member."))


def silence_member(actor: Member, target: Member, days, reason: str) -> Member:
    """Let `target` read but not post for `days` days; the reason is shown to them."""
    _check_target(actor, target)
    days = checked_days(days)
    reason = checked_text(reason, "reason", 255, required=True)
    target.silenced_until = utcnow() + timedelta(days=days)
    target.silenced_reason = reason
    db.session.flush()
    log_action(actor, "silence", member=target, reason_code="manual", reason=reason, data={"days": days})
    _tell_member(actor, target, "silenced", reason, target.silenced_until)
    member_silenced.send(target, by=actor, until=target.silenced_until, reason=reason)
    return target


def suspend_member(actor: Member, target: Member, days, reason: str) -> Member:
    """Keep `target` from signing in for `days` days and end all their sessions."""
    _check_target(actor, target)
    days = checked_days(days)
    reason = checked_text(reason, "reason", 255, required=True)
    target.suspended_until = utcnow() + timedelta(days=days)
    target.suspended_reason = reason
    target.session_version = Member.session_version + 1  # every session and remember-me cookie ends
    db.session.flush()
    db.session.refresh(target, ["session_version"])
    log_action(actor, "suspend", member=target, reason_code="manual", reason=reason, data={"days": days})
    member_suspended.send(target, by=actor, until=target.suspended_until, reason=reason)
    return target


def lift_silence(actor: Member, target: Member, reason: str = "") -> Member:
    """End a silence early."""
    _check_target(actor, target)
    reason = checked_text(reason, "reason", 255)
    if target.silenced_until is None or target.silenced_until <= utcnow():
        raise Conflict(_l("This member is not silenced."))
    target.silenced_until, target.silenced_reason = None, ""
    db.session.flush()
    log_action(actor, "unsilence", member=target, reason_code="manual", reason=reason)
    _tell_member(actor, target, "unsilenced", reason, None)
    member_restriction_lifted.send(target, by=actor, restriction="silence", reason=reason)
    return target


def lift_suspension(actor: Member, target: Member, reason: str = "") -> Member:
    """End a suspension early: the member may sign in again."""
    _check_target(actor, target)
    reason = checked_text(reason, "reason", 255)
    if target.suspended_until is None or target.suspended_until <= utcnow():
        raise Conflict(_l("This member is not suspended."))
    target.suspended_until, target.suspended_reason = None, ""
    db.session.flush()
    log_action(actor, "unsuspend", member=target, reason_code="manual", reason=reason)
    member_restriction_lifted.send(target, by=actor, restriction="suspension", reason=reason)
    return target


def _tell_member(actor: Member, target: Member, what: str, reason: str, until) -> None:
    notify(target, "moderation", actor=actor,
           data={"what": what, "reason": reason, "until": until.isoformat() if until else None,
                 "url": f"/u/{target.username}#moderation"})
