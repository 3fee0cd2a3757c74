"""The community's scheduled jobs (crm_bridge registers its own from its `init_app`)."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

from ..mail import delivery
from ..members.sessions import prune_sign_ins
from ..registry import register_scheduled_job
from ..trust.services import refresh_all

DAY = timedelta(days=1)


def recompute_trust() -> str:
    """Re-evaluate trust levels (regulars who stopped visiting lose level 3)."""
    return f"{refresh_all()} trust levels changed"


def send_digests() -> str:
    """Queue the mail digests that are due and send what is due."""
    queued = delivery.send_digests()
    counts = delivery.deliver_due(limit=10_000)
    return f"{queued} digests queued; {counts['sent']} mails sent, {counts['deferred']} deferred"


def purge_mail() -> str:
    """Delete sent and failed mails older than MAIL_KEEP_DAYS."""
    return f"{delivery.purge_old()} old mails deleted"


def prune_sign_in_history() -> str:
    """Delete sign-in history older than SIGN_IN_HISTORY_DAYS."""
    return f"{prune_sign_ins()} old sign-ins deleted"


def register(app: Flask) -> None:
    app.config.setdefault("SIGN_IN_HISTORY_DAYS", 90)
    register_scheduled_job(app, "members.prune_sign_ins", prune_sign_in_history, every=DAY)
    register_scheduled_job(app, "trust.recompute", recompute_trust, every=DAY)
    # hourly: each member's digest goes out when their own period has passed (send_digests decides)
    register_scheduled_job(app, "mail.digests", send_digests, every=timedelta(hours=1))
    register_scheduled_job(app, "mail.purge", purge_mail, every=DAY)
