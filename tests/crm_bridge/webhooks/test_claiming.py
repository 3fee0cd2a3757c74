"""Claiming deliveries: a claimed row waits for its lease, the CLI worker drains the outbox, two
workers never deliver a row twice, PostgreSQL skips rows another worker has locked."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.dbtypes import utcnow
from community.extensions import db as _db
from crm_bridge import outbox, webhooks
from crm_bridge.models import OutboxEvent, WebhookDelivery
from tests.crm_bridge.webhooks.conftest import endpoint_for
from tests.crm_bridge.webhooks.receiver import Receiver

# ---- claiming ---------------------------------------------------------------------------------------------

def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out(make, settings):
    endpoint_for("http://127.0.0.1:9/hook")
    board = make.board()
    for n in range(3):
        make.thread(board=board, title=f"Claim me {n}")
    webhooks.dispatch()
    first = {d.id for d in webhooks.claim(limit=2)}
    second = {d.id for d in webhooks.claim(limit=2)}
    assert len(first) == 2 and len(second) == 1 and not first & second  # disjoint batches
    assert webhooks.claim() == []
    _db.session.execute(WebhookDelivery.__table__.update().values(claimed_until=utcnow() - timedelta(seconds=1)))
    _db.session.commit()
    assert {d.id for d in webhooks.claim()} == first | second  # a dead worker's lease expired


def test_the_cli_worker_once_drains_the_outbox(make, settings, app):
    with Receiver() as receiver:
        endpoint_for(receiver.url)
        make.thread()
        make.thread()
        result = app.test_cli_runner().invoke(args=["crm", "worker", "--once"])
        assert result.exit_code == 0, result.output
        assert len(receiver.requests) == 2
    assert _db.session.scalar(select(func.count()).select_from(OutboxEvent)
                              .where(OutboxEvent.dispatched_at.is_(None))) == 0


def test_two_workers_at_once_never_deliver_the_same_row_twice(app, settings):
    with Receiver(delay=0.02) as receiver:
        endpoint_for(receiver.url, types=("*",))
        sent = {outbox.write("post.created", {"n": n}).event_id for n in range(30)}
        _db.session.commit()
        settings["WEBHOOK_BATCH_SIZE"] = 3
        errors = []

        def work():
            try:
                with app.app_context():
                    webhooks.run(once=True)
            except Exception as exc:  # pragma: no cover - shown by the assertion below
                errors.append(exc)

        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        assert errors == []
        ids = receiver.event_ids()
        assert sorted(ids) == sorted(sent)  # every event exactly once: no row was claimed by both


def test_postgresql_claims_skip_rows_another_worker_has_locked(make, settings):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite lets one writer in at a time")
    endpoint_for("http://127.0.0.1:9/hook", types=("*",))
    for n in range(4):
        outbox.write("post.created", {"n": n})
    _db.session.commit()
    webhooks.dispatch()
    ids = _db.session.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)).all()
    with _db.engine.connect() as other:  # another worker, mid-claim: it holds the first two rows
        other.execute(select(WebhookDelivery.id).where(WebhookDelivery.id.in_(ids[:2]))
                      .with_for_update()).all()
        claimed = {d.id for d in webhooks.claim(limit=10)}
        other.rollback()
    assert claimed == set(ids[2:])
