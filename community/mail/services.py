"""The account flows that mail drives: verification, address change, password reset, unsubscribing.

Each flow composes its message with `compose.py` and queues it in the caller's transaction; the
links carry signed tokens (`tokens.py`). Services flush; the caller commits.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..dbtypes import utcnow
from ..errors import Conflict, ServiceError, ValidationFailed
from ..extensions import db
from ..members import passwords
from ..members.models import Member, email_key
from ..members.services import find_member, normalise_email
from ..members.sessions import end_sessions
from ..signals import member_updated
from . import tokens
from .compose import compose, enqueue, is_enabled, link
from .models import MailMessage
from .preferences import EMAIL_KINDS, preference_row


class TokenProblem(ServiceError):
    """A link from a mail that cannot be used; `reason` is invalid, expired or used."""

    code = "invalid_link"

    def __init__(self, reason: str, message):
        super().__init__(message)
        self.reason = reason
        self.status = {"invalid": 400, "expired": 410, "used": 410}[reason]


def _recently_sent(member_id: int, kind: str, seconds: int | None = None) -> bool:
    seconds = current_app.config["MAIL_RESEND_INTERVAL_SECONDS"] if seconds is None else seconds
    since = utcnow() - timedelta(seconds=seconds)
    return bool(db.session.scalar(select(func.count(MailMessage.id)).where(
        MailMessage.member_id == member_id, MailMessage.kind == kind, MailMessage.created_at >= since)))


# ---- verification ---------------------------------------------------------------------------

def send_verification(member: Member, *, throttle: bool = False) -> bool:
    """Queue a verification link for the member's current address; False when turned off or too soon."""
    if member.email_verified or not is_enabled("verification"):
        return False
    if throttle and _recently_sent(member.id, "verification"):
        return False
    token = tokens.make(tokens.VERIFY, {"m": member.id, "e": email_key(member.email)})
    hours = current_app.config["MAIL_VERIFY_MAX_AGE"] // 3600
    enqueue(compose(to=member.email, kind="verification", template="verify_email", member=member,
                    url=link("mail.verify", token=token), hours=hours))
    return True


def on_member_registered(member: Member, **_extra) -> None:
    """A new address gets a verification link."""
    send_verification(member)


def _member_from(payload: dict) -> Member:
    member = db.session.get(Member, payload["m"])
    if member is None:
        raise TokenProblem("invalid", _l("This link does not belong to any account."))
    return member


def _read(purpose: str, token: str, max_age: int | None = None) -> dict:
    try:
        return tokens.read(purpose, token, max_age)
    # `from None`: the cause (itsdangerous's error) carries the decoded payload; keep it out of logs and tracebacks
    except tokens.TokenExpired:
        raise TokenProblem("expired", _l("This link has expired. Please ask for a new one.")) from None
    except tokens.TokenInvalid:
        raise TokenProblem("invalid", _l("This link is not valid. It may have been cut short or altered; "
                                         "please copy the whole link from the mail.")) from None


def verification_member(token: str) -> Member:
    """Return the member a verification link is for; raise TokenProblem for a bad, old or spent link."""
    payload = _read(tokens.VERIFY, token, current_app.config["MAIL_VERIFY_MAX_AGE"])
    member = _member_from(payload)
    if email_key(member.email) != payload.get("e"):
        raise TokenProblem("used", _l("This link was made for an address this account no longer uses."))
    if member.email_verified:
        raise TokenProblem("used", _l("This link has been used already: your address is verified."))
    return member


def verify_email(token: str) -> Member:
    """Mark the address in the token verified; raise TokenProblem for a bad, old or spent link."""
    member = verification_member(token)
    member.email_verified_at = utcnow()
    db.session.flush()
    member_updated.send(member, fields=["email_verified_at"])
    return member


# ---- changing the address -------------------------------------------------------------------

def request_email_change(member: Member, password: str, new_email: str) -> str:
    """Send a confirmation link to the new address; nothing changes until it is followed."""
    if not passwords.verify_password(member.password_hash, password or ""):
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"password": _l("That is not your current password.")})
    new_email = normalise_email(new_email or "")
    if email_key(new_email) == email_key(member.email):
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"email": _l("That is your current address already.")})
    if db.session.scalar(select(Member.id).where(Member.email_key == email_key(new_email))):
        raise Conflict(_l("Please correct the marked fields."),
                       {"email": _l("An account with that email address exists already.")})
    if not is_enabled("email_change"):
        raise ServiceError(_l("Changing the address by mail is turned off. Please contact the administrators."))
    token = tokens.make(tokens.CHANGE, {"m": member.id, "old": email_key(member.email), "new": new_email})
    hours = current_app.config["MAIL_CHANGE_MAX_AGE"] // 3600
    enqueue(compose(to=new_email, kind="email_change", template="change_email", member=member,
                    url=link("mail.confirm_email_change", token=token), new_email=new_email, hours=hours))
    return new_email


def email_change_request(token: str) -> tuple[Member, str]:
    """Return (member, new address) of an address-change link; raise TokenProblem when bad, old or spent."""
    payload = _read(tokens.CHANGE, token, current_app.config["MAIL_CHANGE_MAX_AGE"])
    member = _member_from(payload)
    new_email = str(payload.get("new") or "")
    if email_key(member.email) == email_key(new_email):
        raise TokenProblem("used", _l("This link has been used already: your address was changed."))
    if email_key(member.email) != payload.get("old"):
        raise TokenProblem("used", _l("This link is no longer valid: the address changed since it was sent."))
    return member, new_email


def confirm_email_change(token: str) -> Member:
    """Switch to the new address (now verified) and tell the old one; raise TokenProblem when spent."""
    member, new_email = email_change_request(token)
    if db.session.scalar(select(Member.id).where(Member.email_key == email_key(new_email), Member.id != member.id)):
        raise Conflict(_l("Another account uses that address now; the change was not made."))
    old_email = member.email
    member.email, member.email_key, member.email_verified_at = new_email, email_key(new_email), utcnow()
    db.session.flush()
    member_updated.send(member, fields=["email", "email_verified_at"])
    if is_enabled("email_change"):
        enqueue(compose(to=old_email, kind="email_changed", template="email_changed", member=member,
                        old_email=old_email, new_email=new_email,
                        reset_url=link("mail.forgot_password")))
    return member


# ---- password reset -------------------------------------------------------------------------

def request_password_reset(login: str) -> None:
    """Mail a reset link when `login` names an account; do the same visible nothing when it does not."""
    member = find_member((login or "")[:254])
    if member is None or not is_enabled("password_reset"):
        return
    if _recently_sent(member.id, "password_reset"):
        return  # one link per interval: nobody can flood someone's mailbox from this form
    token = tokens.make(tokens.RESET, {"m": member.id, "p": tokens.password_fingerprint(member.password_hash)})
    minutes = current_app.config["MAIL_RESET_MAX_AGE"] // 60
    enqueue(compose(to=member.email, kind="password_reset", template="reset_password", member=member,
                    url=link("mail.reset_password", token=token), minutes=minutes))


def on_registration_attempt(member: Member, **_extra) -> None:
    """Tell an account's owner that someone tried to register with their address (at most once per interval)."""
    if member.deleted_at is not None or not is_enabled("password_reset"):
        return
    if _recently_sent(member.id, "registration_attempt"):
        return  # nobody can flood someone's mailbox by registering their address again and again
    enqueue(compose(to=member.email, kind="registration_attempt", template="registration_attempt", member=member,
                    reset_url=link("mail.forgot_password"), login_url=link("members.login")))


def on_registration_reviewed(member: Member, *, decision: str, reason: str = "", **_extra) -> None:
    """Tell an applicant that staff approved their account (they can sign in now) or did not, and why."""
    if member.deleted_at is not None or not is_enabled("registration"):
        return
    approved = decision == "approved"
    enqueue(compose(to=member.email, kind="registration", member=member, reason=reason,
                    template="registration_approved" if approved else "registration_rejected",
                    login_url=link("members.login")))


def member_for_reset(token: str) -> Member:
    """Return the member a reset link is for; raise TokenProblem when it is bad, old or spent."""
    payload = _read(tokens.RESET, token, current_app.config["MAIL_RESET_MAX_AGE"])
    member = _member_from(payload)
    if payload.get("p") != tokens.password_fingerprint(member.password_hash):
        raise TokenProblem("used", _l("This link has been used already, or the password was changed since. "
                                      "Ask for a new link if you still need one."))
    return member


def reset_password(token: str, new_password: str, *, revoke_tokens: bool = False) -> Member:
    """Set a new password from a reset link; the link is spent and every session ends (and, when
    `revoke_tokens`, every personal access token)."""
    member = member_for_reset(token)
    if problem := passwords.password_problem(new_password or "", username=member.username, email=member.email):
        raise ValidationFailed(_l("Please correct the marked fields."), {"password": problem})
    member.password_hash = passwords.hash_password(new_password)
    end_sessions(member, "password_reset", revoke_tokens=revoke_tokens)
    fields = ["password"]
    if member.email_verified_at is None:
        member.email_verified_at = utcnow()  # the link came to this address: it is proven
        fields.append("email_verified_at")
    db.session.flush()
    member_updated.send(member, fields=fields)
    return member


# ---- unsubscribing ------------------------------------------------------------------------------

def unsubscribe_payload(token: str) -> tuple[Member, str]:
    """Return (member, list) named by an unsubscribe link; raise TokenProblem."""
    payload = _read(tokens.UNSUBSCRIBE, token)
    member = _member_from(payload)
    what = payload.get("k")
    if what not in set(EMAIL_KINDS) | {"digest", "all"}:
        raise TokenProblem("invalid", _l("This link is not valid. It may have been cut short or altered; "
                                         "please copy the whole link from the mail."))
    return member, what


def unsubscribe(token: str) -> tuple[Member, str]:
    """Stop the mails an unsubscribe link names (idempotent: a second use changes nothing)."""
    member, what = unsubscribe_payload(token)
    row = preference_row(member)
    if what == "all":
        row.kinds, row.digest = [], "off"
    elif what == "digest":
        row.digest = "off"
    else:
        row.kinds = sorted(set(row.kinds or ()) - {what})
    row.updated_at = utcnow()
    db.session.flush()
    return member, what
