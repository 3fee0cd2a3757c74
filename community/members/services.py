"""What can happen to a member: register, sign in, change settings and password."""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..dbtypes import utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..signals import consent_changed, member_deleting, member_registered, member_updated
from . import names, passwords, sessions
from .models import Member, Role, email_key, username_key

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,18}[A-Za-z0-9_]$")
RESERVED = {"admin", "administrator", "moderator", "staff", "system", "guest", "anonymous", "me",
            "api", "new", "settings", "support", "official"}


class EmailTaken(Conflict):
    """Only the email is in use: the web form answers as for a new account and tells the owner instead."""

    def __init__(self, message, fields, owner: Member):
        super().__init__(message, fields)
        self.owner = owner


def _check_username(username: str):
    if not USERNAME_RE.match(username):
        return _l("3 to 20 letters, digits, dots, dashes or underscores, starting with a letter or digit.")
    if username_key(username) in RESERVED:
        return _l("That username is reserved.")
    return None


def normalise_email(email: str) -> str:
    """Return the email in canonical form, or raise ValidationFailed."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationFailed(_l("Check the email address."),
                               {"email": _l("That is not a valid email address.")}) from exc


def register_member(username: str, email: str, password: str, *, role: Role = Role.member,
                    locale: str | None = None, display_name: str = "") -> Member:
    """Create a member after checking every rule; raise ValidationFailed or Conflict."""
    username = (username or "").strip()
    problems = {}
    if problem := _check_username(username) or names.impersonation_problem(username, role=role):
        problems["username"] = problem
    display_name = names.clean_name(display_name)
    if display_name and (problem := names.impersonation_problem(display_name, role=role)):
        problems["display_name"] = problem
    try:
        email = normalise_email(email or "")
    except ValidationFailed as exc:
        problems.update(exc.fields)
    if problem := passwords.password_problem(password or "", username=username, email=email or ""):
        problems["password"] = problem
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)

    taken = {}
    if db.session.scalar(select(Member.id).where(Member.username_key == username_key(username))):
        taken["username"] = _l("That username is taken.")  # usernames are public (profiles): no secret
    owner = db.session.scalar(select(Member).where(Member.email_key == email_key(email)))
    if owner is not None:
        taken["email"] = _l("An account with that email address exists already.")
    if owner is not None and len(taken) == 1:
        raise EmailTaken(_l("Please correct the marked fields."), taken, owner)
    if taken:
        raise Conflict(_l("Please correct the marked fields."), {"username": taken["username"]})

    member = Member(username=username, username_key=username_key(username), email=email,
                    email_key=email_key(email), password_hash=passwords.hash_password(password),
                    role=role, locale=locale, display_name=display_name[:64])
    db.session.add(member)
    db.session.flush()
    member_registered.send(member)
    return member


def find_member(login: str) -> Member | None:
    """Return the member whose username or email is `login`, ignoring case."""
    key = (login or "").strip().casefold()
    if not key:
        return None
    column = Member.email_key if "@" in key else Member.username_key
    return db.session.scalar(select(Member).where(column == key))


def authenticate(login: str, password: str) -> Member | None:
    """Return the member when the credentials match, else None (the same answer for every failure)."""
    member = find_member(login)
    if member is None:
        passwords.hash_password(password or "x")  # spend the same time as a real check
        return None
    if not passwords.verify_password(member.password_hash, password or ""):
        return None
    if passwords.needs_rehash(member.password_hash):
        member.password_hash = passwords.hash_password(password)
    return member


def touch_last_seen(member: Member) -> None:
    """Record that the member was here (at most once every five minutes, to spare writes)."""
    now = utcnow()
    if member.last_seen_at is None or (now - member.last_seen_at).total_seconds() > 300:
        db.session.execute(update(Member).where(Member.id == member.id).values(last_seen_at=now))
        member.last_seen_at = now


def update_profile(member: Member, *, display_name: str, bio: str, locale: str | None) -> None:
    """Change what a member shows of themselves and the language they read in."""
    changed = []
    display_name, bio = names.clean_name(display_name), bio.strip()
    if len(display_name) > 64:
        raise ValidationFailed(_l("Please correct the marked fields."), {"display_name": _l("At most 64 characters.")})
    if display_name != member.display_name and (problem := names.impersonation_problem(display_name, member)):
        raise ValidationFailed(_l("Please correct the marked fields."), {"display_name": problem})
    if len(bio) > 2000:
        raise ValidationFailed(_l("Please correct the marked fields."), {"bio": _l("At most 2000 characters.")})
    for name, value in (("display_name", display_name), ("bio", bio), ("locale", locale or None)):
        if getattr(member, name) != value:
            setattr(member, name, value)
            changed.append(name)
    if changed:
        member_updated.send(member, fields=changed)


def set_consent(member: Member, *, marketing: bool, research: bool) -> bool:
    """Record the member's consent to marketing and research; each choice that changed is stamped now.

    Returns whether anything changed. The CRM profile follows through `consent_changed`.
    """
    now, changed = utcnow(), False
    for name, value in (("consent_marketing", bool(marketing)), ("consent_research", bool(research))):
        if bool(getattr(member, name)) != value or getattr(member, f"{name}_at") is None:
            setattr(member, name, value)
            setattr(member, f"{name}_at", now)
            changed = True
    if changed:
        db.session.flush()
        consent_changed.send(member, marketing=member.consent_marketing, research=member.consent_research,
                             marketing_at=member.consent_marketing_at, research_at=member.consent_research_at)
    return changed


def set_language(member: Member, locale: str | None) -> None:
    """Read the site in `locale` from now on (the language switcher; None: follow the browser)."""
    if member.locale != (locale or None):
        member.locale = locale or None
        member_updated.send(member, fields=["locale"])


def change_password(member: Member, old: str, new: str, *, keep: str | None = None) -> None:
    """Set a new password after checking the old one; every session of the member but `keep` ends."""
    if not passwords.verify_password(member.password_hash, old or ""):
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"old_password": _l("That is not your current password.")})
    if problem := passwords.password_problem(new or "", username=member.username, email=member.email):
        raise ValidationFailed(_l("Please correct the marked fields."), {"new_password": problem})
    member.password_hash = passwords.hash_password(new)
    sessions.end_sessions(member, "password_changed", keep=keep)
    member_updated.send(member, fields=["password"])


# Rows that only describe the member to themselves: erased with the account. Read by table name so
# the foundation does not import the areas built on it (each area's rows go with their member).
_PERSONAL_ROWS = (("notifications", "member_id"), ("thread_follows", "member_id"), ("board_follows", "member_id"),
                  ("live_preferences", "member_id"), ("member_visits", "member_id"),
                  ("thread_reads", "member_id"), ("mail_messages", "member_id"),
                  ("mail_preferences", "member_id"), ("mail_pending_notifications", "member_id"),
                  ("api_tokens", "member_id"), ("member_sign_ins", "member_id"), ("group_members", "member_id"),
                  ("member_follows", "follower_id"), ("member_follows", "followed_id"),
                  ("bookmarks", "member_id"))


def delete_account(member: Member, password: str, *, identity_confirmed: bool = False) -> None:
    """Delete the member's account: posts stay, under "Deleted member"; personal data goes.

    Name, email, bio, language and password are removed, every session ends, the member's private
    rows (notifications, follows, reading marks, preferences) are deleted, and `member_deleting`
    lets other parts (the CRM bridge) erase their records in this same transaction. Staff,
    moderators and admins ask an administrator to remove their role first, so that the community
    is never left without one by accident.

    The member proves it is them with their password, or, for an account without one (made through single
    sign-on), with `identity_confirmed`: they signed in again with their provider a moment ago.
    """
    if member.deleted_at is not None:
        raise Conflict(_l("This account has already been deleted."))
    if not passwords.has_password(member.password_hash):
        if not identity_confirmed:
            raise ValidationFailed(_l("Confirm it is you first: sign in again with your provider below."))
    elif not passwords.verify_password(member.password_hash, password or ""):
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"password": _l("That is not your current password.")})
    if member.role is not Role.member:
        raise Conflict(_l("Accounts with a staff, moderator or admin role cannot be deleted here; "
                          "ask an administrator to remove the role first."))
    member_deleting.send(member)
    for table_name, column in _PERSONAL_ROWS:
        table = db.metadata.tables.get(table_name)
        if table is not None:
            db.session.execute(table.delete().where(table.c[column] == member.id))
    placeholder = f"_deleted{member.id}"
    member.username = member.username_key = placeholder
    member.email = member.email_key = f"{placeholder}@deleted.invalid"
    member.display_name, member.bio, member.locale = "", "", None
    member.password_hash = "!"  # no Argon2 hash: nothing verifies against it
    sessions.end_sessions(member, "deleted", revoke_tokens=True)
    member.deleted_at = utcnow()
    db.session.flush()
    member_updated.send(member, fields=["username", "display_name", "email", "bio", "deleted"])
