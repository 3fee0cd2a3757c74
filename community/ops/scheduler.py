"""`flask community scheduler`: one process that runs the daily jobs, so an operator needs no cron lines.

Areas register their jobs with `registry.register_scheduled_job(app, name, run, every=...)` from their
`init_app`: the community's own are listed in `community.ops.jobs`; crm_bridge registers its jobs itself
(the forum never imports the CRM). `run()` is called in an app context; the scheduler commits after it (the
scheduler owns the transaction, as a CLI command does) and rolls back when it raises.

Each job's last run lives in the `scheduled_jobs` table: a job is taken with one conditional UPDATE
(due, and no live lease), so a restarted scheduler does not rerun a job that ran within its interval
and two schedulers (two hosts, or a second one by mistake) never run one job twice. A failing job is
logged and retried after `SCHEDULER_RETRY_SECONDS`; the other jobs run on.

Settings: SCHEDULER_INTERVALS ({"job name": seconds}, overrides a job's interval; 0 turns it off),
SCHEDULER_TICK_SECONDS (60: how often due jobs are looked for), SCHEDULER_RETRY_SECONDS (900),
SCHEDULER_LEASE_SECONDS (6 hours: a job whose scheduler died is free again after it).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import registry
from ..dbtypes import utcnow
from ..extensions import db
from .models import ScheduledJob

log = logging.getLogger(__name__)

DEFAULTS = {
    "SCHEDULER_INTERVALS": {},
    "SCHEDULER_TICK_SECONDS": 60,
    "SCHEDULER_RETRY_SECONDS": 900,
    "SCHEDULER_LEASE_SECONDS": 6 * 3600,
}


# Jobs are registered through the one registry (community/registry.py), like every other extension point.
Job = registry.ScheduledJob


def jobs_of(app: Flask) -> dict[str, Job]:
    """The jobs registered on `app`, by name, in the order of registration."""
    return registry.scheduled_jobs(app)


def interval_of(app: Flask, job: Job) -> timedelta | None:
    """The job's interval after SCHEDULER_INTERVALS; None when the operator turned it off."""
    seconds = (app.config.get("SCHEDULER_INTERVALS") or {}).get(job.name)
    if seconds is None:
        return job.every
    return timedelta(seconds=float(seconds)) if float(seconds) > 0 else None


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _ensure_row(name: str) -> None:
    if db.session.get(ScheduledJob, name) is not None:
        return
    db.session.add(ScheduledJob(name=name, lease_owner="", last_status="", last_result=""))
    try:
        db.session.commit()
    except IntegrityError:  # another scheduler made it first
        db.session.rollback()


def claim(name: str, owner: str, now: datetime, lease: timedelta) -> bool:
    """Take the job when it is due and nobody holds it; True when this caller got it."""
    _ensure_row(name)
    taken = db.session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.name == name,
               or_(ScheduledJob.next_run_at.is_(None), ScheduledJob.next_run_at <= now),
               or_(ScheduledJob.lease_until.is_(None), ScheduledJob.lease_until <= now))
        .values(lease_until=now + lease, lease_owner=owner, last_started_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return taken == 1


def _finish(name: str, owner: str, *, status: str, result: str, next_run_at: datetime) -> None:
    db.session.execute(
        update(ScheduledJob).where(ScheduledJob.name == name, ScheduledJob.lease_owner == owner)
        .values(lease_until=None, lease_owner="", last_finished_at=utcnow(), last_status=status,
                last_result=result[:2000], next_run_at=next_run_at)
        .execution_options(synchronize_session=False))
    db.session.commit()


def run_due(app: Flask, *, now: datetime | None = None, owner: str | None = None,
            stop: threading.Event | None = None) -> dict[str, str]:
    """Run every job that is due and free, one after the other; return {name: "ok" | "failed"} of those run.

    Call inside an app context. A job that raises is rolled back, logged and retried later; the next
    job runs regardless. Once `stop` is set no further job is started.
    """
    owner = owner or owner_name()
    lease = timedelta(seconds=app.config["SCHEDULER_LEASE_SECONDS"])
    retry = timedelta(seconds=app.config["SCHEDULER_RETRY_SECONDS"])
    outcome: dict[str, str] = {}
    for job in jobs_of(app).values():
        every = interval_of(app, job)
        if every is None or (stop is not None and stop.is_set()):
            continue
        started = now or utcnow()
        try:
            if not claim(job.name, owner, started, lease):
                continue
        except Exception:  # the database is away: try again at the next tick
            db.session.rollback()
            log.exception("scheduler: could not claim job %s", job.name)
            continue
        clock = time.monotonic()
        try:
            result = job.run()
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            log.exception("scheduler: job %s failed after %.0f ms", job.name, (time.monotonic() - clock) * 1000)
            outcome[job.name] = "failed"
            _finish(job.name, owner, status="failed", result=f"{type(exc).__name__}: {exc}",
                    next_run_at=started + min(retry, every))
            continue
        log.info("scheduler: job %s done in %.0f ms: %s", job.name, (time.monotonic() - clock) * 1000, result)
        outcome[job.name] = "ok"
        _finish(job.name, owner, status="ok", result="" if result is None else str(result),
                next_run_at=started + every)
    db.session.remove()
    return outcome


def status(app: Flask) -> list[dict]:
    """Each registered job with its interval and last run, for `scheduler --list`."""
    rows = {row.name: row for row in db.session.scalars(select(ScheduledJob))}
    listed = []
    for job in jobs_of(app).values():
        row = rows.get(job.name)
        listed.append({"name": job.name, "every": interval_of(app, job), "help": job.help,
                       "last_started_at": row and row.last_started_at, "last_status": row and row.last_status,
                       "next_run_at": row and row.next_run_at, "last_result": row and row.last_result})
    return listed


def run_forever(app: Flask, stop: threading.Event) -> None:
    """Look for due jobs every SCHEDULER_TICK_SECONDS until `stop` is set."""
    owner = owner_name()
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)  # each job's line shows even when the root logger says WARNING
    log.warning("scheduler %s: running %d jobs: %s", owner, len(jobs_of(app)), ", ".join(jobs_of(app)))
    while not stop.is_set():
        with app.app_context():
            try:
                run_due(app, owner=owner, stop=stop)
            except Exception:  # never let one bad tick end the process
                log.exception("scheduler: a round failed")
        stop.wait(app.config["SCHEDULER_TICK_SECONDS"])
    log.warning("scheduler %s: stopped", owner)
