"""Race tests on PostgreSQL: skip elsewhere, and run jobs in threads released at the same moment."""
from __future__ import annotations

import threading

import pytest


def require_postgres(db):
    """Skip unless the suite runs on PostgreSQL (SQLite runs one writer at a time: there is no race)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time, so there is no race to test "
                    "(set TEST_DATABASE_URL=postgresql+psycopg://...)")


def run_at_once(app, db, jobs, timeout=120):
    """Run each (job, args) in its own thread with its own app context and session, all released at once."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job, args):
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                job(*args)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    workers = [threading.Thread(target=run, args=job) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout)
    assert not any(worker.is_alive() for worker in workers), "a job hung"
    assert not errors, errors[:3]
