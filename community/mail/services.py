"""Mail: compose messages in the member's language, queue them with the change that caused them, and
the account flows that mail drives (verification, address change, password reset, unsubscribe).

Messages are rendered when they are queued and stored in `mail_messages`, in the same transaction
as the change that caused them; the sender (`delivery.py`, run by the worker thread or the CLI) hands
them to SMTP after the commit. Services flush; the caller commits.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, g
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from ..aftercommit import after_commit
from ..dbtypes import utcnow
from ..errors import Conflict, ServiceError, ValidationFailed
from ..extensions import db
from ..members import passwords
from ..members.models import Member, email_key
from ..members.services import find_member, normalise_email
from ..members.sessions import end_sessions
from ..signals import member_updated
from . import tokens
from .models import MailMessage, MailPreference, MailSettings

# Message types an admin can turn off.
MESSAGE_TYPES = {
    "verification": _l("Address verification"),
    "email_change": _l("Address change (link to the new address, notice to the old one)"),
    "password_reset": _l("Password reset"),
    "notification": _l("Notification emails"),
    "digest": _l("Activity digests"),
}

# What a member can choose to get by mail -> the notification kinds it covers.
EMAIL_KINDS = {
    "mention": ("mention",),
    "reply": ("reply", "quote"),
    "official_answer": ("official_answer",),
    "idea_status": ("idea_status",),
    "moderation": ("moderation",),
}
EMAIL_KIND_LABELS = {
    "mention": _l("@mentions"),
    "reply": _l("Replies to my threads and posts, quotes of my posts"),
    "official_answer": _l("Official (staff) answers"),
    "idea_status": _l("Status changes of ideas I voted on or follow"),
    "moderation": _l("Moderation actions on my account"),
}
KIND_OF_NOTIFICATION = {kind: choice for choice, kinds in EMAIL_KINDS.items() for kind in kinds}
DIGESTS = ("off", "daily", "weekly")
DIGEST_LABELS = {"off": _l("No digest"), "daily": _l("Daily"), "weekly": _l("Weekly")}


class TokenProblem(ServiceError):
    """A link from a mail that cannot be used; `reason` is invalid, expired or used."""

    code = "invalid_link"

    def __init__(self, reason: str, message):
        super().__init__(message)
        self.reason = reason
        self.status = {"invalid": 400, "expired": 410, "used": 410}[reason]


# ---- settings ------------------------------------------------------------------------------

def mail_settings() -> dict:
    """Return the effective settings: the admin's values, else the configuration."""
    config = current_app.config
    row = db.session.get(MailSettings, 1)
    return {
        "community_name": (row and row.community_name) or config["COMMUNITY_NAME"],
        "base_url": ((row and row.base_url) or config["BASE_URL"]).rstrip("/"),
        "mail_from": (row and row.mail_from) or config["MAIL_FROM"],
        "disabled": set(row.disabled or ()) if row else set(config.get("MAIL_DISABLED") or ()),
    }


def is_enabled(message_type: str) -> bool:
    """Whether the admin lets this type of message go out."""
    return message_type not in mail_settings_cached()["disabled"]


def save_settings(*, community_name: str, base_url: str, mail_from: str, enabled) -> MailSettings:
    """Store the admin's mail settings; raise ValidationFailed for a bad URL or address."""
    community_name, base_url, mail_from = (community_name or "").strip(), (base_url or "").strip(), (mail_from or "").strip()
    problems = {}
    if len(community_name) > 100:
        problems["community_name"] = _l("At most 100 characters.")
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment \
                or len(base_url) > 255:
            problems["base_url"] = _l("An absolute http:// or https:// address without query, e.g. https://community.example.com")
    if mail_from:
        name, _sep, address = mail_from.rpartition("<")
        try:
            normalise_email(address.rstrip(">") if _sep else mail_from)
        except ValidationFailed:
            problems["mail_from"] = _l("An address such as community@example.com or Acme <community@example.com>.")
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    enabled = set(enabled or ())
    row = db.session.get(MailSettings, 1) or MailSettings(id=1)
    row.community_name, row.base_url, row.mail_from = community_name, base_url.rstrip("/"), mail_from
    row.disabled = sorted(set(MESSAGE_TYPES) - enabled)
    row.updated_at = utcnow()
    db.session.add(row)
    db.session.flush()
    g.pop("mail_settings", None)
    return row


# ---- composing and queueing -----------------------------------------------------------------

def link(endpoint: str, _anchor: str | None = None, **values) -> str:
    """Return an absolute URL from the configured base URL (works in a request, a worker or the CLI)."""
    base = urlsplit(mail_settings_cached()["base_url"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{_anchor}" if _anchor else url


def absolute(path: str) -> str:
    """Return a site path (`/rewards/mine`) as an absolute URL."""
    return mail_settings_cached()["base_url"] + path


def mail_settings_cached() -> dict:
    """The settings, read once per app context (one message renders many links)."""
    if "mail_settings" not in g:
        g.mail_settings = mail_settings()
    return g.mail_settings


def member_locale(member: Member | None) -> str:
    languages = current_app.config["LANGUAGES"]
    if member is not None and member.locale in languages:
        return member.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def compose(*, to: str, kind: str, template: str, member: Member | None = None, locale: str | None = None,
            unsubscribe: str | None = None, **context) -> MailMessage:
    """Render `templates/mail/<template>.txt|.html` in the member's language into a queued message.

    The templates set the subject with `{% set subject = ... %}` (read from the module).
    `unsubscribe` names the list the member can leave from this mail (an email kind, "digest", "all").
    """
    locale = locale or member_locale(member)
    settings = mail_settings_cached()
    env = current_app.jinja_env
    g.mail_rendering = True  # Flask-Babel's force_locale does nothing while `g` is empty
    headers = {}
    with force_locale(locale):
        if unsubscribe and member is not None:
            token = tokens.make(tokens.UNSUBSCRIBE, {"m": member.id, "k": unsubscribe})
            context["unsubscribe_url"] = link("mail.unsubscribe", token=token)
            context["preferences_url"] = link("members.settings", _anchor="email-notifications")
            headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        context.update(community=settings["community_name"], site_url=settings["base_url"] + "/",
                       member=member, link=link, absolute=absolute, locale=locale)
        text_template = env.get_template(f"mail/{template}.txt")
        text = text_template.render(**context)
        html = env.get_template(f"mail/{template}.html").render(**context)
        subject = " ".join(str(text_template.make_module(context).subject).split())  # one header line
    domain = (settings["mail_from"].rpartition("@")[2].rstrip(">").strip() or "localhost")
    message = MailMessage(member_id=member.id if member is not None else None, kind=kind, to_address=to,
                          subject=f"[{settings['community_name']}] {subject}"[:255], text_body=text,
                          html_body=html, headers=headers, locale=locale,
                          message_id=f"<{uuid.uuid4().hex}@{domain}>", created_at=utcnow(), next_try_at=utcnow())
    return message


def enqueue(message: MailMessage) -> MailMessage:
    """Queue a composed message; the sender is woken once the transaction commits."""
    db.session.add(message)
    db.session.flush()
    from . import worker

    after_commit(worker.wake, current_app._get_current_object())
    return message


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
    except tokens.TokenExpired:
        raise TokenProblem("expired", _l("This link has expired. Please ask for a new one."))
    except tokens.TokenInvalid:
        raise TokenProblem("invalid", _l("This link is not valid. It may have been cut short or altered; "
                                         "please copy the whole link from the mail."))


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


# ---- preferences and unsubscribing ----------------------------------------------------------

def preferences(member: Member) -> dict:
    """Return {"kinds": set of email kinds, "digest": off/daily/weekly} (defaults without a row)."""
    row = db.session.get(MailPreference, member.id)
    if row is None:
        return {"kinds": set(current_app.config["MAIL_DEFAULT_KINDS"]) & set(EMAIL_KINDS), "digest": "off"}
    return {"kinds": set(row.kinds or ()) & set(EMAIL_KINDS), "digest": row.digest}


def _row(member: Member) -> MailPreference:
    row = db.session.get(MailPreference, member.id)
    if row is None:
        row = MailPreference(member_id=member.id, kinds=sorted(preferences(member)["kinds"]), digest="off",
                             updated_at=utcnow())
        db.session.add(row)
    return row


def set_preferences(member: Member, kinds, digest: str) -> MailPreference:
    """Store which notification emails and which digest the member wants."""
    kinds = set(kinds or ())
    if not kinds <= set(EMAIL_KINDS) or digest not in DIGESTS:
        raise ValidationFailed(_l("Choose among the listed emails."))
    row = _row(member)
    if digest != row.digest:
        row.last_digest_at = utcnow()  # the first digest covers what happens from now on
    row.kinds, row.digest, row.updated_at = sorted(kinds), digest, utcnow()
    db.session.flush()
    return row


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
    row = _row(member)
    if what == "all":
        row.kinds, row.digest = [], "off"
    elif what == "digest":
        row.digest = "off"
    else:
        row.kinds = sorted(set(row.kinds or ()) - {what})
    row.updated_at = utcnow()
    db.session.flush()
    return member, what


def list_label(what: str):
    if what == "all":
        return _l("all notification emails and digests")
    if what == "digest":
        return _l("activity digests")
    return EMAIL_KIND_LABELS.get(what, what)


def plain(html) -> str:
    """Return the text of an HTML fragment (a notification line) for the text part."""
    return Markup(str(html)).striptags()
