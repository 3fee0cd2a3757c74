"""`flask community scheduler`, `community backup FILE`, `community restore FILE`."""
from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from ..cli import community_cli
from ..extensions import db
from . import backup as backups
from . import scheduler


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run the jobs that are due now, then exit (tests, cron).")
@click.option("--list", "listing", is_flag=True, help="List the jobs, their interval and last run, then exit.")
@with_appcontext
def scheduler_command(once: bool, listing: bool) -> None:
    """Run the daily jobs (trust levels, CRM stages, digests, pruning) on their schedule until stopped."""
    app = current_app._get_current_object()
    if listing:
        for row in scheduler.status(app):
            every = f"every {_span(row['every'])}" if row["every"] else "off"
            last = (f"last {row['last_started_at']:%Y-%m-%d %H:%M} UTC {row['last_status'] or 'running'}"
                    if row["last_started_at"] else "never run")
            click.echo(f"{row['name']:<24} {every:<12} {last}  {row['help']}")
        return
    if once:
        outcome = scheduler.run_due(app)
        for name, result in outcome.items():
            click.echo(f"{name}: {result}")
        click.echo(f"Ran {len(outcome)} due jobs" + (f"; {sum(r == 'failed' for r in outcome.values())} failed."
                                                     if "failed" in outcome.values() else "."))
        if "failed" in outcome.values():
            raise SystemExit(1)
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo("Scheduler running; SIGTERM or Ctrl-C stops it.")
    scheduler.run_forever(app, stop)


def _span(every) -> str:
    seconds = int(every.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file: str) -> None:
    """Write the database, uploads and instance files (secret key) into one archive FILE (.tar.gz)."""
    try:
        manifest = backups.backup(current_app._get_current_object(), file)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    counts = ", ".join(f"{count} {name}" for name, count in manifest["counts"].items())
    click.echo(f"Backed up the {manifest['database']} database (revision {manifest['alembic_revision'] or 'unknown'}: "
               f"{counts}), {manifest['files']['uploads']} uploads and "
               f"{len(manifest['files']['instance'])} instance files into {file}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--no-reindex", is_flag=True, help="Leave the search index for `community search reindex`.")
@with_appcontext
def restore_command(file: str, no_reindex: bool) -> None:
    """Restore a backup FILE into an empty database, put the files back and rebuild the search index."""
    app = current_app._get_current_object()
    try:
        report = backups.restore(app, file, reindex=not no_reindex)
    except backups.BackupError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    manifest = report.manifest
    click.echo(f"Restored the backup of {manifest['created_at']} ({report.files} files put back"
               + (f", {report.indexed} posts indexed" if not no_reindex else "") + ").")
    for name in report.kept_aside:
        click.echo(f"  instance/{name} was replaced by the backup's; the previous one is {name}.before-restore")
    for path in report.not_replaced:
        click.echo(f"  {path} exists and differs from the backup's copy; left as it was")
    if report.counts != manifest["counts"]:
        raise click.ClickException(f"The restored counts {report.counts} differ from the backup's {manifest['counts']}.")
    if manifest.get("alembic_revision") and manifest["alembic_revision"] != report.head:
        click.echo(f"The backup's schema is revision {manifest['alembic_revision']}; this code's is {report.head}: "
                   "run `flask --app wsgi db upgrade` now.")


def init_app(app) -> None:
    for command in (scheduler_command, backup_command, restore_command):
        if command.name not in community_cli.commands:
            community_cli.add_command(command)
