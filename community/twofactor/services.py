"""Enrolling, checking and removing second factors; who must have one. Services flush, never commit.

Every enrolment, removal, use of a recovery code and renewal of the codes sends `second_factor_changed`
in the transaction (the mail to the member and the staff audit log subscribe)."""
from __future__ import annotations

import secrets

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from .. import settings
from ..dbtypes import utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..members import passwords, sessions
from ..members.models import Member, Role
from ..signals import second_factor_changed
from . import passkeys, totp
from .models import RecoveryCode, SecondFactor

RECOVERY_CODES = 10
GUARDED_ROLES = (Role.moderator, Role.staff, Role.admin)

REQUIRED_FOR_STAFF = settings.declare("twofactor.required_for_staff", True, bool)


# ---- who must have one --------------------------------------------------------------------------

def factor_of(member: Member) -> SecondFactor | None:
    """Return the member's TOTP factor, else None."""
    return db.session.scalar(select(SecondFactor).where(SecondFactor.member_id == member.id,
                                                        SecondFactor.kind == "totp"))


def is_enrolled(member: Member) -> bool:
    """Whether the member has a second factor."""
    if not getattr(member, "id", None):
        return False
    return db.session.scalar(select(func.count(SecondFactor.id)).where(SecondFactor.member_id == member.id)) > 0


def enforced() -> bool:
    """Whether staff roles must have a second factor: the admin's setting (on by default), unless the
    deployment turned enforcement off altogether (TWO_FACTOR_ENFORCED, off only in the test app)."""
    return bool(current_app.config.get("TWO_FACTOR_ENFORCED", True)) and bool(REQUIRED_FOR_STAFF.value)


def is_required(member: Member) -> bool:
    """Whether `member` must have a second factor (admins, staff and moderators while enforced)."""
    return getattr(member, "role", None) in GUARDED_ROLES and enforced()


def must_enrol(member: Member) -> bool:
    """Whether `member` must enrol before going on (required, and not enrolled)."""
    return is_required(member) and not is_enrolled(member)


# ---- checking a code ----------------------------------------------------------------------------

def _address() -> str:
    return (request.remote_addr or "")[:64] if has_request_context() else ""


def _announce(member: Member, action: str, **extra) -> None:
    second_factor_changed.send(member, action=action, kind=extra.pop("kind", "totp"), address=_address(),
                               at=utcnow(), **extra)


def check_totp(factor: SecondFactor, code: str, at: float | None = None) -> bool:
    """Accept `code` for `factor` once: a code of a step at or before the last accepted one is refused."""
    step = totp.matching_step(factor.secret, code, at)
    if step is None:
        return False
    # Atomic, so two requests racing with one code cannot both win.
    moved = db.session.execute(update(SecondFactor).where(
        SecondFactor.id == factor.id, or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step))
        .values(last_step=step, last_used_at=utcnow())).rowcount
    if moved:
        db.session.refresh(factor)
    return bool(moved)


def _normal_recovery(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def use_recovery_code(member: Member, code: str) -> bool:
    """Spend one of the member's unused recovery codes when `code` is one; False otherwise."""
    typed = _normal_recovery(code)
    if len(typed) != 10:
        return False
    for row in db.session.scalars(select(RecoveryCode).where(RecoveryCode.member_id == member.id,
                                                             RecoveryCode.used_at.is_(None))):
        if passwords.verify_password(row.code_hash, typed):
            spent = db.session.execute(update(RecoveryCode).where(RecoveryCode.id == row.id,
                                                                  RecoveryCode.used_at.is_(None))
                                       .values(used_at=utcnow())).rowcount
            if spent:
                _announce(member, "recovery_code_used", remaining=recovery_codes_left(member))
            return bool(spent)
    return False


def verify(member: Member, code: str, at: float | None = None) -> str | None:
    """Check a code typed at sign-in: "totp" or "recovery" for the kind accepted, None when refused."""
    factor = factor_of(member)
    if factor is not None and check_totp(factor, code, at):
        return "totp"
    if use_recovery_code(member, code):
        return "recovery"
    return None


def recovery_codes_left(member: Member) -> int:
    """How many unused recovery codes the member has."""
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.member_id == member.id,
                                                                       RecoveryCode.used_at.is_(None)))


# ---- enrolling and removing ---------------------------------------------------------------------

def _make_codes(member: Member) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
    codes = ["".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    now = utcnow()
    db.session.add_all(RecoveryCode(member_id=member.id, code_hash=passwords.hash_password(code), created_at=now)
                       for code in codes)
    db.session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _code_problem():
    return ValidationFailed(_l("Please correct the marked fields."),
                            {"code": _l("That code is not right. Type the six digits your app shows now.")})


def enrol(member: Member, secret: str, code: str, at: float | None = None) -> list[str]:
    """Add an authenticator app with `secret` once `code` proves the member set it up; return the ten
    recovery codes (shown once). Raises Conflict when the member has one already."""
    if factor_of(member) is not None:
        raise Conflict(_l("Two-factor authentication is on already."))
    step = totp.matching_step(secret or "", code, at) if secret else None
    if step is None:
        raise _code_problem()
    first = not is_enrolled(member)
    db.session.add(SecondFactor(member_id=member.id, kind="totp", secret=secret, last_step=step,
                                created_at=utcnow(), last_used_at=utcnow()))
    db.session.flush()
    codes = _make_codes(member) if first else []
    _announce(member, "enrolled", remaining=recovery_codes_left(member))
    return codes


def add_passkey(member: Member, credential, name: str = "") -> list[str]:
    """Store a passkey made by the browser; return the recovery codes when it is the member's first factor."""
    first = not is_enrolled(member)
    passkeys.add_passkey(member, credential, name)
    codes = _make_codes(member) if first else []
    _announce(member, "enrolled", kind="passkey", remaining=recovery_codes_left(member))
    return codes


def verify_passkey(member: Member, credential) -> bool:
    """Check a passkey's answer at sign-in."""
    return passkeys.check_passkey(member, credential)


def _forget_codes_when_no_factor_left(member: Member) -> None:
    if not is_enrolled(member):
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member.id))


def remove_passkey(member: Member, key_id: int, password: str, *, keep: str | None = None) -> None:
    """Remove one of the member's passkeys after their password; every other session ends."""
    key = db.session.scalar(select(SecondFactor).where(SecondFactor.id == key_id, SecondFactor.member_id == member.id,
                                                       SecondFactor.kind == "passkey"))
    if key is None:
        raise Conflict(_l("That passkey is gone already."))
    if not passwords.verify_password(member.password_hash, password or ""):
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"password": _l("That is not your current password.")})
    db.session.delete(key)
    db.session.flush()
    _forget_codes_when_no_factor_left(member)
    sessions.end_sessions(member, "second_factor_removed", keep=keep)
    _announce(member, "removed", kind="passkey", remaining=recovery_codes_left(member))


def _check_password_and_code(member: Member, password: str, code: str, at: float | None = None) -> None:
    problems = {}
    if not passwords.verify_password(member.password_hash, password or ""):
        problems["password"] = _l("That is not your current password.")
    elif verify(member, code, at) is None:
        problems["code"] = _l("That code is not right. Type the six digits your app shows now, or a recovery code.")
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)


def remove(member: Member, password: str, code: str, *, keep: str | None = None, at: float | None = None) -> None:
    """Turn two-factor authentication off after the password and a code; every other session ends."""
    if factor_of(member) is None:
        raise Conflict(_l("Two-factor authentication is off already."))
    _check_password_and_code(member, password, code, at)
    db.session.execute(delete(SecondFactor).where(SecondFactor.member_id == member.id, SecondFactor.kind == "totp"))
    _forget_codes_when_no_factor_left(member)
    sessions.end_sessions(member, "second_factor_removed", keep=keep)
    _announce(member, "removed", remaining=recovery_codes_left(member))


def renew_codes(member: Member, password: str, code: str, at: float | None = None) -> list[str]:
    """Replace the member's recovery codes by ten new ones (the old ones stop working); return them."""
    if not is_enrolled(member):
        raise Conflict(_l("Two-factor authentication is off."))
    _check_password_and_code(member, password, code, at)
    codes = _make_codes(member)
    _announce(member, "recovery_codes_renewed", remaining=len(codes))
    return codes


def on_member_deleting(member: Member, **_extra) -> None:
    """An account deleted takes its second factors with it."""
    db.session.execute(delete(SecondFactor).where(SecondFactor.member_id == member.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member.id))


def staff_without_second_factor(limit: int = 200) -> list[Member]:
    """Moderators, staff and admins who have no second factor yet (for the admin's security page)."""
    enrolled = select(SecondFactor.member_id)
    return list(db.session.scalars(select(Member).where(Member.role.in_(GUARDED_ROLES), Member.deleted_at.is_(None),
                                                        Member.id.not_in(enrolled))
                                   .order_by(Member.username_key).limit(limit)))


def save_requirement(required: bool, by: Member) -> None:
    """Store the admin's choice (two-factor required for staff roles or not)."""
    settings.save({REQUIRED_FOR_STAFF.key: bool(required)}, by=by)
