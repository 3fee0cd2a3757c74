"""Mail composition: the effective settings, messages rendered in the member's language, and queueing.

Messages are rendered when they are queued and stored in `mail_messages`, in the same transaction
as the change that caused them; `enqueue` announces `mail_queued`, on which the sender (`worker.py`)
wakes once the transaction commits. This module knows nothing of the sender or of the account flows
(`services.py`) and the deliveries (`delivery.py`) that use it. Functions flush; the caller commits.
"""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import current_app, g
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..dbtypes import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..localtime.zones import force_timezone
from ..members.models import Member
from ..members.services import normalise_email
from ..signals import mail_queued
from ..site.branding import community_name, default_locale
from . import tokens
from .models import MailMessage, MailSettings

# Message types an admin can turn off.
MESSAGE_TYPES = {
    "verification": _l("Address verification"),
    "email_change": _l("Address change (link to the new address, notice to the old one)"),
    "password_reset": _l("Password reset"),
    "notification": _l("Notification emails"),
    "digest": _l("Activity digests"),
    "registration": _l("Registration decisions (an account approved or not approved)"),
}


# ---- settings ------------------------------------------------------------------------------

def mail_settings() -> dict:
    """Return the effective settings: the admin's values, else the configuration.

    The community's name is the site's one name (community/site/branding.py, set on /admin/site); the
    `mail_settings.community_name` column is no longer read (migration 0017_a3 copied it into site.name).
    """
    config = current_app.config
    row = db.session.get(MailSettings, 1)
    return {
        "community_name": community_name(),
        "base_url": ((row and row.base_url) or config["BASE_URL"]).rstrip("/"),
        "mail_from": (row and row.mail_from) or config["MAIL_FROM"],
        "disabled": set(row.disabled or ()) if row else set(config.get("MAIL_DISABLED") or ()),
    }


def is_enabled(message_type: str) -> bool:
    """Whether the admin lets this type of message go out."""
    return message_type not in mail_settings_cached()["disabled"]


def save_settings(*, base_url: str, mail_from: str, enabled) -> MailSettings:
    """Store the admin's mail settings; raise ValidationFailed for a bad URL or address.

    The name in mails is the community's name, set with the site settings (one name everywhere).
    """
    base_url, mail_from = (base_url or "").strip(), (mail_from or "").strip()
    problems = {}
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
    row.base_url, row.mail_from = base_url.rstrip("/"), mail_from
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
    return default_locale()


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
    with force_locale(locale), force_timezone(member.timezone if member is not None else None):
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
    """Queue a composed message and announce it (the sender wakes once the transaction commits)."""
    db.session.add(message)
    db.session.flush()
    mail_queued.send(message)
    return message


def plain(html) -> str:
    """Return the text of an HTML fragment (a notification line) for the text part."""
    return Markup(str(html)).striptags()
