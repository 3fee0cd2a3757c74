"""Member restrictions: silence (read, not post) and suspend (no sign-in) for some days, and lifting them."""
from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Restriction:
    """One kind of restriction: the Member columns it lives in and the names it is logged and lifted under."""

    until: str  # the Member column of its end
    reason: str  # the Member column of its reason, shown to the member
    action: str  # the log action when imposed
    lift_action: str  # the log action when lifted early
    lifted: str  # `restriction` of member_restriction_lifted
    not_active: object  # the refusal of a lift when there is none


SILENCE = _Restriction("silenced_until", "silenced_reason", "silence", "unsilence", "silence",
                       _l("This member is not silenced."))
SUSPENSION = _Restriction("suspended_until", "suspended_reason", "suspend", "unsuspend", "suspension",
                          _l("This member is not suspended."))


def _impose(actor: Member, target: Member, days, reason: str, kind: _Restriction, **also) -> str:
    """Put `kind` on `target` for `days` days with a required reason (and set the columns in `also`), log it;
    return the reason as stored."""
    _check_target(actor, target)
    days = checked_days(days)
    reason = checked_text(reason, "reason", 255, required=True)
    setattr(target, kind.until, utcnow() + timedelta(days=days))
    setattr(target, kind.reason, reason)
    for column, value in also.items():
        setattr(target, column, value)
    db.session.flush()
    if also:  # SQL expressions: read back what they came to
        db.session.refresh(target, list(also))
    log_action(actor, kind.action, member=target, reason_code="manual", reason=reason, data={"days": days})
    return reason


def _lift(actor: Member, target: Member, reason: str, kind: _Restriction) -> str:
    """End `kind` on `target` early (refused when there is none now), log it; return the reason as stored."""
    _check_target(actor, target)
    reason = checked_text(reason, "reason", 255)
    until = getattr(target, kind.until)
    if until is None or until <= utcnow():
        raise Conflict(kind.not_active)
    setattr(target, kind.until, None)
    setattr(target, kind.reason, "")
    db.session.flush()
    log_action(actor, kind.lift_action, member=target, reason_code="manual", reason=reason)
    return reason


def silence_member(actor: Member, target: Member, days, reason: str) -> Member:
    """Let `target` read but not post for `days` days; the reason is shown to them."""
    reason = _impose(actor, target, days, reason, SILENCE)
    _tell_member(actor, target, "silenced", reason, target.silenced_until)
    member_silenced.send(target, by=actor, until=target.silenced_until, reason=reason, at=utcnow())
    return target


def suspend_member(actor: Member, target: Member, days, reason: str) -> Member:
    """Keep `target` from signing in for `days` days and end all their sessions."""
    # A new session_version ends every session and remember-me cookie.
    reason = _impose(actor, target, days, reason, SUSPENSION, session_version=Member.session_version + 1)
    member_suspended.send(target, by=actor, until=target.suspended_until, reason=reason, at=utcnow())
    return target


def lift_silence(actor: Member, target: Member, reason: str = "") -> Member:
    """End a silence early."""
    reason = _lift(actor, target, reason, SILENCE)
    _tell_member(actor, target, "unsilenced", reason, None)
    member_restriction_lifted.send(target, by=actor, restriction=SILENCE.lifted, reason=reason, at=utcnow())
    return target


def lift_suspension(actor: Member, target: Member, reason: str = "") -> Member:
    """End a suspension early: the member may sign in again."""
    reason = _lift(actor, target, reason, SUSPENSION)
    member_restriction_lifted.send(target, by=actor, restriction=SUSPENSION.lifted, reason=reason, at=utcnow())
    return target


def _tell_member(actor: Member, target: Member, what: str, reason: str, until) -> None:
    notify(target, "moderation", actor=actor,
           data={"what": what, "reason": reason, "until": until.isoformat() if until else None,
                 "url": f"/u/{target.username}#moderation"})
