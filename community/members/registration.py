"""Who may create an account, and how: the registration mode, invitations, approval, email domain lists.

Settings (community/settings.py, set by admins at /admin/registration):
- `registration.mode`: `open` (anyone registers and signs in at once), `approval` (anyone registers, but
  signs in only once staff approved the account, as Discourse's "must approve users"), `invite` (only
  through an invitation link), `closed` (no new accounts; invitations do not work either).
- `registration.allowed_domains` / `registration.blocked_domains`: lists of email domains. An entry
  matches its domain and every subdomain (`example.com` matches `a@example.com` and `a@mail.example.com`,
  not `a@notexample.com`). Entries and addresses are compared in lower case and IDNA (punycode) form, so
  `Bücher.de` and `xn--bcher-kva.de` are one entry; a leading `@` or `*.` is dropped. A blocked domain
  always wins; a non-empty allow list lets only its domains in. They apply to invitations too.
- `roles.staff_domains`: when not empty, a member becomes moderator, staff or admin (community/admin
  services.set_role) only with an address at one of these domains. Commands (`create-admin`) and the
  first-run /setup are the operator's and are not held to it.

Every way a visitor creates an account goes through `register_visitor` (the sign-up page, `/invite/<token>`
and `POST /api/v1/members`); `members.services.register_member` stays the unconditional step that admin
tools, commands, the demo and the tests' factories use.

An account made through an invitation needs no approval (staff chose to invite). A pending or rejected account cannot
sign in (`sign_in_refusal`, checked by the sign-in page, the API's tokens and `auth_loader.sign_in`); it
can confirm its address meanwhile. Staff decide in /admin/registration (community/admin/registration.py).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import idna
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from .. import settings
from ..dbtypes import utcnow
from ..errors import NotPermitted, ServiceError, ValidationFailed
from ..extensions import db
from . import services
from .models import Member, Role, email_key
from .registration_models import ApprovalStatus, Invite, MemberApproval

MODES = ("open", "approval", "invite", "closed")
MODE_LABELS = {"open": _l("Open: anyone can register"),
               "approval": _l("Approval: anyone can register, staff approve each new account"),
               "invite": _l("Invitation only"),
               "closed": _l("Closed: no new accounts")}
MAX_DOMAINS = 200
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def normalise_domain(text: str) -> str:
    """Return a domain in lower-case IDNA form (`@` / `*.` prefixes dropped); raise ValueError if it is none."""
    text = (text or "").strip().lower()
    text = text[1:] if text.startswith("@") else text
    text = text[2:] if text.startswith("*.") else text
    text = text.rstrip(".")
    if not text or len(text) > 253:
        raise ValueError(text)
    try:
        ascii_form = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(text) from exc
    labels = ascii_form.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels):
        raise ValueError(text)
    return ascii_form


def _check_domains(value: list) -> str | None:
    if len(value) > MAX_DOMAINS:
        return f"at most {MAX_DOMAINS} domains"
    for entry in value:
        try:
            if not isinstance(entry, str) or normalise_domain(entry) != entry:
                return f"not a normalised domain: {entry!r}"
        except ValueError:
            return f"not a domain: {entry!r}"
    return None


REGISTRATION_MODE = settings.declare("registration.mode", "open", str, choices=MODES)
ALLOWED_DOMAINS = settings.declare("registration.allowed_domains", [], list, check=_check_domains)
BLOCKED_DOMAINS = settings.declare("registration.blocked_domains", [], list, check=_check_domains)
STAFF_DOMAINS = settings.declare("roles.staff_domains", [], list, check=_check_domains)


def parse_domains(text: str) -> tuple[list[str], list[str]]:
    """Split a textarea (lines, commas or spaces) into normalised domains, sorted and unique; and the bad entries."""
    good, bad = set(), []
    for entry in re.split(r"[\s,;]+", text or ""):
        if not entry:
            continue
        try:
            good.add(normalise_domain(entry))
        except ValueError:
            bad.append(entry[:100])
    return sorted(good), bad


def email_domain(email: str) -> str | None:
    """The normalised domain of an address, or None when it has none that can be read."""
    try:
        return normalise_domain((email or "").rpartition("@")[2])
    except ValueError:
        return None


def domain_listed(domain: str | None, entries) -> bool:
    """Whether `domain` is one of `entries` or a subdomain of one."""
    return domain is not None and any(domain == entry or domain.endswith("." + entry) for entry in entries)


def registration_domain_problem(email: str):
    """Why an address may not register here (blocked, or not on a non-empty allow list), or None."""
    domain = email_domain(email)
    if domain is None:
        return None  # the address check itself reports it
    if domain_listed(domain, BLOCKED_DOMAINS.value):
        return _l("Addresses at this domain cannot be used to register here.")
    allowed = ALLOWED_DOMAINS.value
    if allowed and not domain_listed(domain, allowed):
        return _l("Registration is open only to addresses at the community's chosen domains.")
    return None


def staff_domain_problem(member: Member, role: Role):
    """Why `member` may not take the role `role` under `roles.staff_domains`, or None."""
    entries = STAFF_DOMAINS.value
    if role is Role.member or not entries or domain_listed(email_domain(member.email), entries):
        return None
    return _l("Moderators, staff and admins need an email address at one of these domains: %(domains)s.",
              domains=", ".join(entries))


# ---- errors ---------------------------------------------------------------------------------

class RegistrationClosed(NotPermitted):
    code = "registration_closed"


class InviteRequired(NotPermitted):
    code = "invite_required"


class InviteProblem(ServiceError):
    """An invitation link that cannot be used; `reason`: invalid, expired, used or revoked."""

    def __init__(self, reason: str):
        messages = {
            "invalid": _l("This invitation link is not valid. Please check that you copied all of it."),
            "expired": _l("This invitation has expired. Ask the person who invited you for a new one."),
            "used": _l("This invitation has been used already. Ask the person who invited you for a new one."),
            "revoked": _l("This invitation has been withdrawn."),
        }
        super().__init__(messages[reason])
        self.reason = reason
        self.code = f"invite_{reason}"
        self.status = 404 if reason == "invalid" else 410


# ---- invitations ----------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode("utf-8", "replace")).hexdigest()


def find_invite(token: str) -> Invite | None:
    """The invitation a link's token names (whatever its state), or None."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(Invite).where(Invite.token_hash == token_hash(token)))


def usable_invite(token: str) -> Invite:
    """The invitation of `token` if it can still be used; raise InviteProblem otherwise."""
    invite = find_invite(token)
    if invite is None:
        raise InviteProblem("invalid")
    state = invite.state()
    if state != "active":
        raise InviteProblem(state)
    return invite


def _redeem(invite: Invite) -> None:
    """Count one use, atomically: refused when the last use went to someone else meanwhile."""
    now = utcnow()
    result = db.session.execute(
        update(Invite).where(Invite.id == invite.id, Invite.uses < Invite.max_uses, Invite.revoked_at.is_(None),
                             (Invite.expires_at.is_(None)) | (Invite.expires_at > now))
        .values(uses=Invite.uses + 1).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(invite)
        raise InviteProblem(invite.state() if invite.state() != "active" else "used")
    db.session.expire(invite, ["uses"])


# ---- registering ----------------------------------------------------------------------------

@dataclass
class Registered:
    member: Member
    pending: bool  # waits for staff approval: not signed in


def mode() -> str:
    return REGISTRATION_MODE.value


def check_open(invite_token: str | None = None) -> Invite | None:
    """Refuse when the mode lets no one in this way; return the usable invitation of `invite_token`."""
    current = mode()
    if current == "closed":
        raise RegistrationClosed(_l("Registration is closed: this community is not taking new members."))
    invite = usable_invite(invite_token) if invite_token else None
    if current == "invite" and invite is None:
        raise InviteRequired(_l("Registration is by invitation only. Ask a member of staff for an invitation link."))
    return invite


def register_visitor(username: str, email: str, password: str, *, invite_token: str | None = None,
                     locale: str | None = None) -> Registered:
    """Create an account for a visitor under the registration mode and domain lists; raise ServiceError."""
    invite = check_open(invite_token)
    problems = {}
    if problem := registration_domain_problem(email or ""):
        problems["email"] = problem
    elif invite is not None and invite.email_key and email_key(_canonical(email)) != invite.email_key:
        problems["email"] = _l("This invitation is for another email address.")
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    member = services.register_member(username, email, password, locale=locale)
    pending = False
    if invite is not None:
        _redeem(invite)
    elif mode() == "approval":
        db.session.add(MemberApproval(member_id=member.id, status=ApprovalStatus.pending, created_at=utcnow()))
        db.session.flush()
        pending = True
    return Registered(member, pending)


def _canonical(email: str) -> str:
    try:
        return services.normalise_email(email or "")
    except ValidationFailed:
        return email or ""


# ---- signing in ---------------------------------------------------------------------------

def approval_status(member: Member) -> ApprovalStatus | None:
    """The member's approval state (None: none was needed)."""
    return db.session.scalar(select(MemberApproval.status).where(MemberApproval.member_id == member.id))


def sign_in_refusal(member: Member):
    """Why this (correctly authenticated) member may not sign in yet, or None."""
    status = approval_status(member)
    if status is ApprovalStatus.pending:
        return _l("Your account is waiting for approval by the staff. You will get an email once it has been "
                  "reviewed.")
    if status is ApprovalStatus.rejected:
        return _l("Your registration was not approved.")
    return None


def pending_count() -> int:
    """How many accounts wait for approval."""
    return db.session.scalar(select(func.count()).select_from(MemberApproval)
                             .where(MemberApproval.status == ApprovalStatus.pending)) or 0
