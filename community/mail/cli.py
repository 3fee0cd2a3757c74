"""`flask community mail send|worker|digest`."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from ..cli import community_cli
from . import delivery
from .worker import run_once

mail_cli = AppGroup("mail", help="Send the mail queue and digests.")


@mail_cli.command("send")
def send() -> None:
    """Turn due notifications into mails and deliver every message that is due, once."""
    queued = delivery.send_due_notifications()
    counts = delivery.deliver_due(limit=10_000)
    click.echo(f"Notification mails queued: {queued}; sent: {counts['sent']}, "
               f"deferred: {counts['deferred']}, given up: {counts['failed']}.")


@mail_cli.command("digest")
@click.option("--period", type=click.Choice(["daily", "weekly", "all"]), default="all", show_default=True)
@click.option("--now", "force", is_flag=True, help="Send even to members whose period has not passed yet.")
def digest(period: str, force: bool) -> None:
    """Queue the digests that are due (run daily from cron, or let the sender thread run it hourly)."""
    count = delivery.send_digests(None if period == "all" else period, force=force)
    counts = delivery.deliver_due(limit=10_000)
    click.echo(f"Digests queued: {count}; sent: {counts['sent']}, deferred: {counts['deferred']}.")


@mail_cli.command("worker")
def worker() -> None:
    """Run the sender loop in this process (instead of, or beside, the threads of the web processes)."""
    app = current_app._get_current_object()
    last_hourly = 0.0
    click.echo("Mail worker running; Ctrl-C stops it.")
    while True:
        hourly = time.monotonic() - last_hourly >= app.config["MAIL_DIGEST_CHECK_SECONDS"]
        if hourly:
            last_hourly = time.monotonic()
        run_once(app, hourly=hourly)
        time.sleep(app.config["MAIL_POLL_SECONDS"])


def init_app(app) -> None:
    if "mail" not in community_cli.commands:
        community_cli.add_command(mail_cli)
