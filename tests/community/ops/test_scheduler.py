"""`flask community scheduler`: jobs run when due and not before, one scheduler at a time, a failure stops nothing."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community.dbtypes import utcnow
from community.extensions import db
from community.forum.models import Board, BoardKind, Visibility
from community.mail.models import MailMessage
from community.ops import scheduler
from community.ops.models import ScheduledJob
from community.registry import register_scheduled_job, registry_of

DAY = timedelta(days=1)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def jobs(app, monkeypatch):
    """An empty job list for the test (the app's real jobs come back afterwards); returns a call log."""
    monkeypatch.setattr(registry_of(app), "scheduled_jobs", {})
    return []


def _counting(calls, name):
    def run():
        calls.append(name)
        return f"{name} done"
    return run


def test_a_due_job_runs_and_not_again_within_its_interval(app, jobs):
    register_scheduled_job(app, "count", _counting(jobs, "count"), every=DAY)
    start = utcnow()
    assert scheduler.run_due(app, now=start) == {"count": "ok"}
    assert scheduler.run_due(app, now=start + timedelta(hours=23)) == {}
    assert jobs == ["count"]
    assert scheduler.run_due(app, now=start + DAY + timedelta(seconds=1)) == {"count": "ok"}
    assert jobs == ["count", "count"]
    row = db.session.get(ScheduledJob, "count")
    assert row.last_status == "ok" and row.last_result == "count done" and row.lease_until is None


def test_a_restarted_scheduler_does_not_rerun_a_job_that_ran_within_its_interval(app, jobs):
    register_scheduled_job(app, "count", _counting(jobs, "count"), every=DAY)
    assert scheduler.run_due(app, owner="host-a:100") == {"count": "ok"}
    assert scheduler.run_due(app, owner="host-a:200") == {}  # the new process reads the last run from the table
    assert jobs == ["count"]


def test_a_job_held_by_another_scheduler_is_not_run_twice(app, jobs):
    register_scheduled_job(app, "count", _counting(jobs, "count"), every=DAY)
    now = utcnow()
    assert scheduler.claim("count", "host-a:1", now, timedelta(hours=6))  # host a is running it right now
    assert scheduler.run_due(app, owner="host-b:2", now=now) == {}
    assert jobs == []
    # host a died mid-job: once its lease has passed, another scheduler takes the job
    assert scheduler.run_due(app, owner="host-b:2", now=now + timedelta(hours=6, seconds=1)) == {"count": "ok"}


def test_two_schedulers_claiming_at_once_get_the_job_once(app, jobs):
    now, results, barrier = utcnow(), [], threading.Barrier(2)

    def contender(owner):
        with app.app_context():
            barrier.wait()
            results.append(scheduler.claim("race", owner, now, timedelta(hours=1)))
            db.session.remove()

    threads = [threading.Thread(target=contender, args=(f"host-{n}:1",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [False, True]


def test_a_failing_job_is_logged_rolled_back_retried_and_does_not_stop_the_others(app, jobs, caplog):
    def broken():
        db.session.add(Board(slug="half-made", name="Half made", kind=BoardKind.discussion,
                             visibility=Visibility.public))
        db.session.flush()
        raise RuntimeError("the CRM is away")

    def writes():
        db.session.add(Board(slug="made-by-job", name="Made by a job", kind=BoardKind.discussion,
                             visibility=Visibility.public))  # not committed here: the scheduler commits

    register_scheduled_job(app, "broken", broken, every=DAY)
    register_scheduled_job(app, "writes", writes, every=DAY)
    start = utcnow()
    with caplog.at_level(logging.ERROR, logger="community.ops.scheduler"):
        assert scheduler.run_due(app, now=start) == {"broken": "failed", "writes": "ok"}
    assert any("job broken failed" in r.getMessage() and r.exc_info for r in caplog.records)
    slugs = set(db.session.scalars(select(Board.slug)))
    assert slugs == {"made-by-job"}
    row = db.session.get(ScheduledJob, "broken")
    assert row.last_status == "failed" and "the CRM is away" in row.last_result
    # retried after SCHEDULER_RETRY_SECONDS (15 minutes), not after a day
    assert scheduler.run_due(app, now=start + timedelta(minutes=14)) == {}
    assert scheduler.run_due(app, now=start + timedelta(minutes=16)) == {"broken": "failed"}


def test_an_operator_can_change_or_turn_off_an_interval(app, jobs, monkeypatch):
    register_scheduled_job(app, "count", _counting(jobs, "count"), every=DAY)
    register_scheduled_job(app, "off", _counting(jobs, "off"), every=DAY)
    monkeypatch.setitem(app.config, "SCHEDULER_INTERVALS", {"count": 3600, "off": 0})
    start = utcnow()
    assert scheduler.run_due(app, now=start) == {"count": "ok"}
    assert scheduler.run_due(app, now=start + timedelta(hours=1, seconds=1)) == {"count": "ok"}
    assert jobs == ["count", "count"]


def test_a_second_job_under_one_name_is_refused(app, jobs):
    register_scheduled_job(app, "count", _counting(jobs, "a"), every=DAY)
    with pytest.raises(ValueError, match="registered already"):
        register_scheduled_job(app, "count", _counting(jobs, "b"), every=DAY)


def test_the_daily_jobs_are_registered_by_community_and_crm(app):
    assert {"trust.recompute", "mail.digests", "mail.purge", "crm.refresh-stages",
            "crm.webhooks-prune"} <= set(scheduler.jobs_of(app))


def test_scheduler_once_runs_every_real_job_then_nothing_until_due(app, make):
    member = make.member()
    old = utcnow() - timedelta(days=40)
    db.session.add(MailMessage(member_id=member.id, kind="verification", to_address=member.email, subject="Old",
                               text_body="x", html_body="x", message_id="<old@example.org>", created_at=old,
                               sent_at=old))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["community", "scheduler", "--once"])
    assert result.exit_code == 0, result.output
    for name in ("trust.recompute", "mail.digests", "mail.purge", "crm.refresh-stages", "crm.webhooks-prune"):
        assert f"{name}: ok" in result.output
    assert db.session.scalar(select(MailMessage).where(MailMessage.subject == "Old")) is None  # purged
    again = runner.invoke(args=["community", "scheduler", "--once"])
    assert again.exit_code == 0 and "Ran 0 due jobs." in again.output
    listing = runner.invoke(args=["community", "scheduler", "--list"])
    assert "crm.refresh-stages" in listing.output and " ok " in listing.output


def test_scheduler_once_exits_non_zero_when_a_job_failed(app, jobs):
    def broken():
        raise RuntimeError("boom")

    register_scheduled_job(app, "broken", broken, every=DAY)
    result = app.test_cli_runner().invoke(args=["community", "scheduler", "--once"])
    assert result.exit_code == 1 and "broken: failed" in result.output


def test_the_long_running_scheduler_runs_due_jobs_and_stops_when_told(app, jobs, caplog):
    started = threading.Event()

    def job():
        jobs.append("ran")
        started.set()
        return "fine"

    register_scheduled_job(app, "count", job, every=DAY)
    stop = threading.Event()
    runner = threading.Thread(target=scheduler.run_forever, args=(app, stop))
    with caplog.at_level(logging.INFO, logger="community.ops.scheduler"):
        runner.start()
        assert started.wait(30)
        stop.set()
        runner.join(30)
    assert not runner.is_alive() and jobs == ["ran"]
    assert any("job count done" in r.getMessage() and "fine" in r.getMessage() for r in caplog.records)


def _flask(app, *args) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "REDIS_URL", "SMTP_URL")}
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], COMMUNITY_INSTANCE_PATH=app.instance_path,
               SECRET_KEY="test-secret", COMMUNITY_MAIL_SEND_THREAD="false")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "community", "scheduler", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_scheduler_processes_run_each_job_once(app):
    first, second = _flask(app, "--once"), _flask(app, "--once")
    outputs = [process.communicate(timeout=180)[0] for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    for name in ("trust.recompute", "mail.digests", "mail.purge", "crm.refresh-stages", "crm.webhooks-prune"):
        assert sum(output.count(f"{name}: ok") for output in outputs) == 1, (name, outputs)


def test_the_scheduler_process_stops_cleanly_on_sigterm(app):
    process = _flask(app)
    try:
        deadline = time.monotonic() + 120
        # at least five jobs done, crm.refresh-stages among them (the jobs due at start run in turn; under
        # load the first five done need not include it)
        while db.session.scalar(select(func.count()).select_from(ScheduledJob).where(
                ScheduledJob.last_status == "ok")) < 5 or db.session.scalar(select(ScheduledJob.last_status).where(
                ScheduledJob.name == "crm.refresh-stages")) != "ok":
            assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
            time.sleep(0.5)
            db.session.rollback()
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "stopped" in output and "job crm.refresh-stages done" in output
