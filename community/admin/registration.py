"""What admins and staff do about registration: the mode and domain lists, invitations, the approval queue.

The rules themselves (settings, domain matching, who may register) live in community/members/registration.py.
Services check everything first, flush, log and signal; they never commit.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from .. import settings
from ..dbtypes import utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..members.models import Member, email_key
from ..members.registration import MODES, parse_domains, token_hash
from ..members.registration_models import ApprovalStatus, Invite, MemberApproval
from ..members.services import normalise_email
from ..moderation.log import log_action
from ..realtime import emit
from ..signals import registration_reviewed
from ..web import paginate

NOTE_MAX = 255
REASON_MAX = 1000
MAX_USES = 1000
MAX_DAYS = 365


def _invalid(fields: dict):
    raise ValidationFailed(_l("Please correct the marked fields."), fields)


def _one_line(text) -> str:
    return " ".join("".join(ch for ch in str(text or "") if ch.isprintable() or ch.isspace()).split())


# ---- settings -----------------------------------------------------------------------------

def save_registration_settings(actor: Member | None, *, mode: str, allowed: str, blocked: str,
                               staff: str) -> list[str]:
    """Store the mode and the three domain lists (textareas); all or nothing. Return the changed keys."""
    problems, lists = {}, {}
    if mode not in MODES:
        problems["mode"] = _l("Choose one of the registration modes.")
    for field, text in (("allowed_domains", allowed), ("blocked_domains", blocked), ("staff_domains", staff)):
        good, bad = parse_domains(text)
        if bad:
            problems[field] = _l("Not a domain: %(entries)s", entries=", ".join(bad[:5]))
        elif len(good) > 200:
            problems[field] = _l("At most 200 domains.")
        lists[field] = good
    if problems:
        _invalid(problems)
    return settings.save({"registration.mode": mode, "registration.allowed_domains": lists["allowed_domains"],
                          "registration.blocked_domains": lists["blocked_domains"],
                          "roles.staff_domains": lists["staff_domains"]}, by=actor)


# ---- invitations --------------------------------------------------------------------------

def create_invite(actor: Member, *, max_uses, days, note: str = "", email: str = "") -> tuple[Invite, str]:
    """Make an invitation link; return the row and its token (shown once: only its hash is kept)."""
    problems = {}
    try:
        max_uses = int(max_uses)
    except (TypeError, ValueError):
        max_uses = 0
    if not 1 <= max_uses <= MAX_USES:
        problems["max_uses"] = _l("A whole number from 1 to %(n)d.", n=MAX_USES)
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_DAYS:
        problems["days"] = _l("A whole number of days from 1 to %(n)d.", n=MAX_DAYS)
    note = _one_line(note)
    if len(note) > NOTE_MAX:
        problems["note"] = _l("At most %(n)d characters.", n=NOTE_MAX)
    email = (email or "").strip()
    if email:
        try:
            email = normalise_email(email)
        except ValidationFailed:
            problems["email"] = _l("That is not a valid email address.")
    if email and max_uses != 1 and "max_uses" not in problems:
        problems["max_uses"] = _l("An invitation for one address can be used once.")
    if problems:
        _invalid(problems)
    token = secrets.token_urlsafe(24)
    now = utcnow()
    invite = Invite(token_hash=token_hash(token), created_by_id=actor.id, note=note, email=email,
                    email_key=email_key(email) if email else "", max_uses=max_uses, uses=0, created_at=now,
                    expires_at=now + timedelta(days=days))
    db.session.add(invite)
    db.session.flush()
    return invite, token


def revoke_invite(actor: Member, invite: Invite) -> bool:
    """Withdraw an invitation (no more uses); False when it was withdrawn already."""
    result = db.session.execute(update(Invite).where(Invite.id == invite.id, Invite.revoked_at.is_(None))
                                .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    db.session.expire(invite, ["revoked_at"])
    return result.rowcount == 1


def invites_page(page: int = 1, per_page: int = 50):
    """Invitations, newest first (their makers loaded with them)."""
    return paginate(select(Invite).options(joinedload(Invite.created_by))
                    .order_by(Invite.created_at.desc(), Invite.id.desc()), page, per_page)


# ---- the approval queue -------------------------------------------------------------------

def queue_page(page: int = 1, per_page: int = 50):
    """Accounts waiting for approval, oldest first."""
    return paginate(select(MemberApproval).options(joinedload(MemberApproval.member))
                    .where(MemberApproval.status == ApprovalStatus.pending)
                    .order_by(MemberApproval.created_at, MemberApproval.member_id), page, per_page)


def pending_application(member_id: int) -> MemberApproval | None:
    return db.session.scalar(select(MemberApproval).where(MemberApproval.member_id == member_id,
                                                          MemberApproval.status == ApprovalStatus.pending))


def decide(actor: Member, application: MemberApproval, approve: bool, reason: str = "") -> None:
    """Approve or reject a waiting account; the applicant is mailed (with the reason), the log keeps it.

    A compare-and-set on the status: two staff members deciding at once get one decision and one Conflict.
    """
    reason = (reason or "").strip()
    if not approve and not reason:
        _invalid({"reason": _l("Give the applicant a reason: it is sent to them.")})
    if len(reason) > REASON_MAX:
        _invalid({"reason": _l("At most %(n)d characters.", n=REASON_MAX)})
    status = ApprovalStatus.approved if approve else ApprovalStatus.rejected
    result = db.session.execute(
        update(MemberApproval).where(MemberApproval.member_id == application.member_id,
                                     MemberApproval.status == ApprovalStatus.pending)
        .values(status=status, decided_at=utcnow(), decided_by_id=actor.id, reason=reason)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_l("Someone has reviewed this account already."))
    db.session.expire(application)
    member = application.member
    log_action(actor, "approve_member" if approve else "reject_member", member=member, reason=reason)
    registration_reviewed.send(member, by=actor, decision=status.value, reason=reason)
    emit.staff_counters_changed()


def on_member_registered(member: Member, **_extra) -> None:
    """A registration in approval mode may have joined the queue: staff counters move (after commit)."""
    if settings.get("registration.mode") == "approval":
        emit.staff_counters_changed()
