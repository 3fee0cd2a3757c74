"""Which mails a member wants: notification kinds by mail and the digest, with their labels."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..dbtypes import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..members.models import Member
from .models import MailPreference

# What a member can choose to get by mail -> the notification kinds it covers.
EMAIL_KINDS = {
    "mention": ("mention",),
    "reply": ("reply", "quote"),
    "official_answer": ("official_answer",),
    "idea_status": ("idea_status",),
    "moderation": ("moderation",),
    "message": (),  # private messages not read after a delay (community/conversations/mail.py)
}
EMAIL_KIND_LABELS = {
    "mention": _l("@mentions"),
    "reply": _l("Replies to my threads and posts, quotes of my posts"),
    "official_answer": _l("Official (staff) answers"),
    "idea_status": _l("Status changes of ideas I voted on or follow"),
    "moderation": _l("Moderation actions on my account"),
    "message": _l("Private messages I have not read"),
}
KIND_OF_NOTIFICATION = {kind: choice for choice, kinds in EMAIL_KINDS.items() for kind in kinds}
DIGESTS = ("off", "daily", "weekly")
DIGEST_LABELS = {"off": _l("No digest"), "daily": _l("Daily"), "weekly": _l("Weekly")}


def preferences(member: Member) -> dict:
    """Return {"kinds": set of email kinds, "digest": off/daily/weekly} (defaults without a row)."""
    row = db.session.get(MailPreference, member.id)
    if row is None:
        return {"kinds": set(current_app.config["MAIL_DEFAULT_KINDS"]) & set(EMAIL_KINDS), "digest": "off"}
    return {"kinds": set(row.kinds or ()) & set(EMAIL_KINDS), "digest": row.digest}


def preference_row(member: Member) -> MailPreference:
    """The member's preferences row, added with the defaults when they have none yet."""
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
    row = preference_row(member)
    if digest != row.digest:
        row.last_digest_at = utcnow()  # the first digest covers what happens from now on
    row.kinds, row.digest, row.updated_at = sorted(kinds), digest, utcnow()
    db.session.flush()
    return row


def list_label(what: str):
    """The words for a list a member can leave (an email kind, "digest" or "all")."""
    if what == "all":
        return _l("all notification emails and digests")
    if what == "digest":
        return _l("activity digests")
    return EMAIL_KIND_LABELS.get(what, what)
