"""Email: address verification, address change, password reset, notification emails, digests.

- `models`: the outbox (`mail_messages`), members' preferences, the admin's settings, notifications
  waiting for their delay.
- `compose`: the effective settings, composing (member's language, text + HTML, absolute links from the
  base URL) and queueing in the caller's transaction (announced by `mail_queued`).
- `preferences`: which mails a member wants (notification kinds, digest).
- `services`: the account flows (verification, address change, password reset, unsubscribing, the staff's
  decision on an account waiting for approval).
- `delivery`: sending due messages with retries and exponential backoff, notification mails, digests.
- `worker`: the per-process sender thread, woken by `mail_queued`; `cli`: `flask community mail send|worker|digest`.
- `transport`: SMTP (`SMTP_URL`) or files in `<instance>/mail` (the admin page /admin/mail shows them).
- `tokens`: signed links (itsdangerous).

Settings (`COMMUNITY_<NAME>` in the environment; the admin page overrides BASE_URL and MAIL_FROM; the name in
mails is the site's, `community/site/branding.community_name()`: /admin/site, else COMMUNITY_NAME):
BASE_URL (absolute links; http://HOST:PORT, see config.base_url_from), MAIL_FROM (contract variable),
MAIL_DISABLED (message types turned off), MAIL_FOLDER (<instance>/mail),
MAIL_SEND_THREAD (run the sender thread in this process; off under tests),
MAIL_POLL_SECONDS (15), MAIL_MAX_ATTEMPTS (15), MAIL_RETRY_BASE_SECONDS (30), MAIL_RETRY_MAX_SECONDS (3600),
MAIL_LEASE_SECONDS (120), MAIL_NOTIFICATION_DELAY_MINUTES (10), MAIL_DEFAULT_KINDS (all five),
MAIL_VERIFY_MAX_AGE (3 days), MAIL_CHANGE_MAX_AGE (1 day), MAIL_RESET_MAX_AGE (1 hour),
MAIL_RESEND_INTERVAL_SECONDS (120), MAIL_DIGEST_CHECK_SECONDS (3600), MAIL_KEEP_DAYS (30).
"""
from __future__ import annotations

import os

from flask import Flask

from ..registry import register_template_slot
from ..signals import (
    mail_queued,
    member_registered,
    notification_created,
    registration_attempted_for_existing_email,
    registration_reviewed,
)
from . import (
    cli,
    delivery,
    erasure,
    models,  # noqa: F401  (tables known to create_all and Alembic)
    preferences,
    services,
    views,
    worker,
)


def init_app(app: Flask) -> None:
    """Register the mail pages, CLI, settings, and the subscribers that queue mail."""
    config = app.config
    config.setdefault("BASE_URL", "http://127.0.0.1:5000")  # config.load sets it from HOST/PORT
    config.setdefault("MAIL_DISABLED", [])
    config.setdefault("MAIL_FOLDER", os.path.join(app.instance_path, "mail"))
    config.setdefault("MAIL_SEND_THREAD", not app.testing)
    config.setdefault("MAIL_POLL_SECONDS", 15)
    config.setdefault("MAIL_MAX_ATTEMPTS", 15)
    config.setdefault("MAIL_RETRY_BASE_SECONDS", 30)
    config.setdefault("MAIL_RETRY_MAX_SECONDS", 3600)
    config.setdefault("MAIL_LEASE_SECONDS", 120)
    config.setdefault("MAIL_NOTIFICATION_DELAY_MINUTES", 10)
    config.setdefault("MAIL_DEFAULT_KINDS", list(preferences.EMAIL_KINDS))
    config.setdefault("MAIL_VERIFY_MAX_AGE", 3 * 24 * 3600)
    config.setdefault("MAIL_CHANGE_MAX_AGE", 24 * 3600)
    config.setdefault("MAIL_RESET_MAX_AGE", 3600)
    config.setdefault("MAIL_RESEND_INTERVAL_SECONDS", 120)
    config.setdefault("MAIL_DIGEST_CHECK_SECONDS", 3600)
    config.setdefault("MAIL_KEEP_DAYS", 30)

    app.register_blueprint(views.bp)
    register_template_slot(app, "header_extra", "community/mail/_header.html", order=20)
    register_template_slot(app, "settings_extra", "community/mail/_settings.html", order=20)
    app.add_template_global(views.mail_settings_section, "mail_settings_section")
    cli.init_app(app)
    # weak=False: module-level functions, connected once (connect is idempotent)
    member_registered.connect(services.on_member_registered, weak=False)
    registration_attempted_for_existing_email.connect(services.on_registration_attempt, weak=False)
    registration_reviewed.connect(services.on_registration_reviewed, weak=False)
    notification_created.connect(delivery.on_notification_created, weak=False)
    mail_queued.connect(worker.on_mail_queued, weak=False)
    erasure.connect()

    @app.before_request
    def _start_sender():
        # Messages left queued by an earlier process (or a CLI command) go out without waiting for new mail.
        if config.get("MAIL_SEND_THREAD"):
            worker.sender(app).ensure_started()
