"""Webhook tests' shared `settings` fixture (private addresses allowed, fast retries) and helpers,
imported by the test modules: outbox events, endpoints, draining the worker, making deliveries due."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from community.dbtypes import utcnow
from community.extensions import db as _db
from crm_bridge import webhooks
from crm_bridge.models import OutboxEvent, WebhookDelivery, WebhookEndpoint


@pytest.fixture
def settings(app):
    """Let endpoints on 127.0.0.1 receive (the test receiver); fast retries. Restored afterwards."""
    changed = {"WEBHOOKS_ALLOW_PRIVATE": True, "WEBHOOK_RETRY_BASE_SECONDS": 30, "WEBHOOK_RETRY_CAP_SECONDS": 3600,
               "WEBHOOK_TIMEOUT_SECONDS": 5, "WEBHOOK_MAX_ATTEMPTS": 8, "WEBHOOK_DISABLE_AFTER_FAILURES": 20,
               "WEBHOOK_RETENTION_DAYS": 30}
    before = {k: app.config.get(k) for k in changed}
    app.config.update(changed)
    yield app.config
    app.config.update(before)


def events(type_=None):
    query = select(OutboxEvent).order_by(OutboxEvent.id)
    if type_:
        query = query.where(OutboxEvent.type == type_)
    return _db.session.scalars(query).all()


def endpoint_for(url, types=("thread.created",), staff=None) -> WebhookEndpoint:
    endpoint = webhooks.create_endpoint(staff, url, list(types)) if staff else WebhookEndpoint(
        url=url, event_types=list(types), secret=webhooks.new_secret(), active=True)
    _db.session.add(endpoint)
    _db.session.commit()
    return endpoint


def drain(max_rounds: int = 50) -> None:
    """What `flask crm worker --once` does, in the test's process."""
    for _ in range(max_rounds):
        if not webhooks.work_once():
            break
    _db.session.expire_all()


def make_due() -> None:
    """Skip the backoff wait: every pending delivery is due now."""
    _db.session.execute(WebhookDelivery.__table__.update().where(WebhookDelivery.status == "pending")
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    _db.session.commit()
