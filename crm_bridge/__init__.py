"""The staff-facing CRM. It listens to the forum's signals; the forum never imports it.

Profiles (one per member), the timeline of everything a member did or met in the community
(written by `timeline.py` in the transaction of the event itself), staff notes, tags, owners,
lifecycle stages with their reasons, the audit log of staff access, and the member's own view of it
all ("My data"). Staff pages live under /crm; only staff and admins see them (`can_view_crm`).
Events bound for the outside world go to the outbox (`outbox.py`, same transaction) and are delivered
to staff-configured webhook endpoints by `flask crm worker` (`webhooks.py`, docs/webhooks.md).
"""
import os
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from community import crypto
from community.admin.sections import Section, add_section
from community.errors import ServiceError
from community.extensions import db
from community.members.models import Member
from community.registry import register_template_slot

from . import (
    api,
    case_views,
    cases,
    choices,
    conversations,
    erasure,
    feedback,
    freshness,
    interactions,
    jobs,
    lead_views,
    leads,
    models,  # noqa: F401  (the tables, for Alembic and create_all)
    moods,
    outbox,
    permissions,
    records_api,  # noqa: F401  (its routes join api.bp before it is registered)
    roles,
    segment_views,
    segments,
    sync,
    sync_views,
    timeline,
    views,
    webhook_views,
    webhooks,
)
from .contacts import import_contacts
from .services import refresh_all_stages


def init_app(app: Flask) -> None:
    """Register the CRM pages and commands and subscribe the bridge to the community's signals."""
    app.config.setdefault("CRM_RESPONSE_TARGET_HOURS", 24)  # the queue lists feedback unanswered for longer
    for name, value in (*webhooks.DEFAULTS.items(), *segments.DEFAULTS.items(), *sync.DEFAULTS.items()):
        app.config.setdefault(name, value)
    app.register_blueprint(views.bp)
    app.register_blueprint(webhook_views.bp)
    app.register_blueprint(case_views.bp)
    app.register_blueprint(lead_views.bp)
    app.register_blueprint(segment_views.bp)
    app.register_blueprint(sync_views.bp)
    api.init_app(app)
    interactions.init_app(app)
    for connect in (timeline.connect, outbox.connect, feedback.connect, moods.connect, erasure.connect,
                    roles.connect, conversations.connect, choices.connect, interactions.connect, freshness.connect,
                    cases.connect, leads.connect, sync.connect):
        _connect_once(connect)
    app.add_template_global(moods.for_post, "post_sentiment")
    app.add_template_global(moods.why, "sentiment_why")
    app.add_template_global(moods.corrections_of, "sentiment_corrections")
    app.context_processor(lambda: {"sentiment_labels": moods.label_names()})
    app.add_template_global(sync.member_orders, "crm_orders")  # the member's orders from the external CRM
    app.add_template_global(permissions, "crm_can")  # crm_can.can_view_crm(member) in the partials below
    register_template_slot(app, "post_after_body", "crm_bridge/_post_sentiment.html", order=30)
    app.add_template_global(cases.notice_for, "crm_case_notice")
    app.add_template_global(records_of, "crm_records_of")
    register_template_slot(app, "thread_before_posts", "crm_bridge/_case_notice.html", order=50)
    register_template_slot(app, "thread_head", "crm_bridge/_thread_tools.html", order=60)
    register_template_slot(app, "profile_extra", "crm_bridge/_profile_links.html", order=90)
    register_template_slot(app, "your_data", "crm_bridge/_my_data_link.html")
    register_template_slot(app, "nav_staff", "crm_bridge/_site_nav.html", order=10)
    _admin_sections()
    app.cli.add_command(crm_cli)
    jobs.register(app)


def records_of(member_id: int) -> dict:
    """The member's cases and leads, for their CRM profile page (two queries)."""
    return {"cases": db.session.scalars(cases.cases_query(status="all", include_merged=False)
                                        .where(cases.Case.member_id == member_id).limit(20)).all(),
            "leads": db.session.scalars(leads.leads_query(member_id=member_id).limit(20)).all(),
            "case_statuses": cases.STATUS_LABELS, "lead_stages": leads.STAGE_LABELS}


def _admin_sections() -> None:
    """Link the CRM's staff pages from /admin (community/admin/sections.py): staff and admins see them."""
    add_section(Section("crm-webhooks", _l("Webhooks"), "crm_webhooks.index", permissions.can_manage_webhooks,
                        _l("Send community events to other systems."), order=90))
    add_section(Section("crm-audit", _l("Staff audit log"), "crm.audit_log", permissions.can_view_crm,
                        _l("Every view and change of CRM records by staff, and every change of role."), order=95))
    add_section(Section("crm-sync", _l("CRM sync"), "crm_sync.index", permissions.can_view_crm,
                        _l("What is waiting, failed or in conflict with the external CRM (Tryton)."), order=96))


_connected: set = set()


def _connect_once(connect) -> None:
    """Subscribe an area's receivers once per process (every app built in it shares the signals)."""
    if connect not in _connected:
        connect()
        _connected.add(connect)


crm_cli = AppGroup("crm", help="The CRM bridge: stages, contacts, the outbox worker.")


@crm_cli.command("refresh-stages")
def refresh_stages() -> None:
    """Recompute every profile's derived lifecycle stage (members go dormant without an event)."""
    total = db.session.scalar(select(func.count(Member.id)).where(Member.deleted_at.is_(None)))
    with click.progressbar(length=total, label="Refreshing stages") as bar:
        count = refresh_all_stages(progress=bar.update)
    db.session.commit()
    click.echo(f"Refreshed {count} profiles.")


@crm_cli.command("import-contacts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
def import_contacts_command(file: str) -> None:
    """Import contacts from a CSV file (a header line naming an email column; id, name, company, phone).

    Good rows are created or updated and linked to members by verified email; bad rows are reported
    with their line and why, and not imported. Exit status 1 when the file cannot be read at all.
    """
    try:
        with click.open_file(file, "rb") as fh:
            raw = fh.read()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV.") from exc
    total = max(0, text.count("\n") - 1 + (0 if text.endswith("\n") else 1))
    try:
        with click.progressbar(length=total, label="Importing contacts", file=sys.stderr) as bar:
            report = import_contacts(text, progress=bar.update)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"Imported {report.created + report.updated} contacts: {report.created} new, {report.updated} updated.")
    click.echo(f"All contacts now: {report.linked} linked, {report.ambiguous} ambiguous (for staff to resolve at "
               f"/crm/contacts), {report.unlinked} without a verified member.")
    if report.skipped:
        click.echo(f"Skipped {len(report.skipped)} rows:")
        for line, why in report.skipped:
            click.echo(f"  line {line}: {why}")
    else:
        click.echo("Skipped no rows.")


@crm_cli.command("rescore")
@click.option("--batch", default=500, show_default=True, help="Posts scored per commit.")
def rescore_command(batch: int) -> None:
    """Score every post again with the current sentiment model (resumable: stop it and run it again).

    A post keeps its old score until its new one is written; staff corrections stay as they are.
    """
    total = moods.pending_rescore()
    with click.progressbar(length=total, label="Rescoring posts", file=sys.stderr) as bar:
        done = moods.rescore(progress=bar.update, batch=batch)
    click.echo(f"Rescored {done} posts.")


@crm_cli.command("export-sentiment-labels")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
def export_sentiment_labels(file) -> None:
    """Write staff corrections as labelled data (language, label, text per line) for the next training run:
    python -m crm_bridge.sentiment_model.train --extra FILE."""
    count = 0
    for fields in moods.labelled_examples():
        file.write("\t".join(fields) + "\n")
        count += 1
    click.echo(f"Wrote {count} corrected posts.", err=True)


@crm_cli.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (tests, cron).")
def worker_command(once: bool) -> None:
    """Deliver the outbox to the webhook endpoints (runs until stopped; several may run at once)."""
    if not once:
        sync.start_in_thread(current_app._get_current_object())  # only when TRYTON_URL is set
    rounds = webhooks.run(once=once)
    if once:
        click.echo(f"Outbox drained ({rounds} rounds with work).")


@crm_cli.command("rotate-key")
@click.option("--no-new-key", is_flag=True,
              help="Only re-encrypt what is not under the current key: resume an interrupted rotation, encrypt rows "
                   "written before encryption, or finish after you changed DATA_ENCRYPTION_KEY yourself.")
def rotate_key_command(no_new_key: bool) -> None:
    """Re-encrypt the sensitive fields under a new data key (resumable: run it again after an interruption).

    With the key in the instance folder, a new key is made there and the old one kept in
    `data-encryption.retired` until every row is re-encrypted. With DATA_ENCRYPTION_KEY set, set the new key
    there and the old one in DATA_ENCRYPTION_OLD_KEYS, then run this with --no-new-key (docs/crm.md).
    """
    if not no_new_key:
        if current_app.config.get("DATA_ENCRYPTION_KEY") or os.environ.get("DATA_ENCRYPTION_KEY"):
            raise click.ClickException("DATA_ENCRYPTION_KEY is set: put the new key there and the old one in "
                                       "DATA_ENCRYPTION_OLD_KEYS, restart, then run `crm rotate-key --no-new-key`.")
        crypto.rotate_instance_key(current_app)
        click.echo(f"New data key {crypto.keyring().current_id} written to the instance folder.")
    total = crypto.pending(db.session, db.metadata)
    with click.progressbar(length=total, label="Re-encrypting", file=sys.stderr) as bar:
        done = crypto.reencrypt(db.session, db.metadata, progress=bar.update)
    click.echo(f"Re-encrypted {done} values under key {crypto.keyring().current_id}; "
               f"{crypto.pending(db.session, db.metadata)} left.")


@crm_cli.command("sync")
def sync_command() -> None:
    """One pass with the external CRM (TRYTON_URL): send what is queued, compare what is linked, read orders."""
    outcome = sync.sync_once()
    if outcome.get("configured") is False:
        raise click.ClickException("No external CRM is configured: set TRYTON_URL.")
    if "paused" in outcome:
        click.echo(f"The CRM cannot be reached; the sync is paused and staff were notified: {outcome['paused']}",
                   err=True)
        sys.exit(1)
    click.echo(f"Synced: {outcome['queued']} events queued, {outcome['delivered']} sent, "
               f"{outcome['reconciled']} records compared or linked.")
