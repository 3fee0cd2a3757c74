"""Reaction tests' shared helpers: fresh rows, the reactions stored, the counts a page shows, races."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from community.reactions.models import Reaction, ReactionCount

JSON = {"Accept": "application/json"}


def fresh(db, model, ident):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, ident)


def reaction_rows(db, post_id) -> dict:
    """{member id: kind} of the reactions stored on a post."""
    db.session.rollback()
    return dict(db.session.execute(select(Reaction.member_id, Reaction.kind).where(Reaction.post_id == post_id)).all())


def stored_counts(db, post_id) -> dict:
    """{kind: n} of the counts kept for a post (zeros left out)."""
    db.session.rollback()
    rows = db.session.execute(select(ReactionCount.kind, ReactionCount.n).where(ReactionCount.post_id == post_id))
    return {kind: n for kind, n in rows if n}


def post_box(page: str, number: int) -> str:
    """The markup of post `number` on a thread page."""
    start = page.index(f'id="post-{number}"')
    end = page.find("<article", start + 1)
    return page[start:end if end != -1 else len(page)]


def count_shown(box: str, kind: str) -> str:
    """The count shown beside reaction `kind` in a post's markup ("" when none)."""
    match = re.search(r'data-kind="' + kind + r'"[^>]*>.*?<span class="reaction-count">([^<]*)</span>', box, re.S)
    assert match, f"no {kind} reaction shown"
    return match.group(1)


def require_postgres(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time, so there is no race to test "
                    "(set TEST_DATABASE_URL=postgresql+psycopg://...)")


def run_at_once(app, db, jobs, timeout=120):
    """Run each job(*args) in its own thread with its own app context and session, all released at once."""
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
    assert not any(worker.is_alive() for worker in workers), "a member hung"
    assert not errors, errors[:3]
