"""Delivering webhooks: signed so the receiver can verify, only the types an endpoint asked for, only
events after it existed; retries with a capped, jittered backoff for server errors, rate limits,
timeouts and refused connections, none for other client errors, and a last attempt."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from community.dbtypes import utcnow
from community.extensions import db as _db
from crm_bridge import webhooks
from crm_bridge.models import WebhookAttempt, WebhookDelivery
from tests.crm_bridge.webhooks.conftest import drain, endpoint_for, make_due
from tests.crm_bridge.webhooks.receiver import Receiver

# ---- delivery, signature -----------------------------------------------------------------------------

def test_delivery_is_signed_and_the_receiver_can_verify_it(make, settings):
    with Receiver() as receiver:
        endpoint = endpoint_for(receiver.url)
        thread = make.thread(title="Signed and sealed")
        drain()
        assert len(receiver.requests) == 1
        got = receiver.requests[0]
        headers, body = got["headers"], got["body"]
        assert webhooks.verify(endpoint.secret, headers, body)
        assert not webhooks.verify("whsec_wrong", headers, body)
        assert not webhooks.verify(endpoint.secret, headers, body + b" ")  # a changed body fails
        assert not webhooks.verify(endpoint.secret, headers, body, now=time.time() + 3600)  # a replay fails
        payload = json.loads(body)
        assert headers["X-Community-Event-Id"] == payload["id"]
        assert headers["X-Community-Event"] == "thread.created" == payload["type"]
        assert payload["data"]["thread"]["id"] == thread.id
    delivery = _db.session.scalar(select(WebhookDelivery))
    assert delivery.status == "delivered" and delivery.attempts == 1
    (attempt,) = _db.session.scalars(select(WebhookAttempt)).all()
    assert attempt.status_code == 200 and attempt.outcome == "delivered" and '"ok": true' in attempt.response_excerpt


def test_endpoints_get_only_the_types_they_asked_for(make, settings):
    with Receiver() as receiver:
        endpoint_for(receiver.url, types=("post.created",))
        thread = make.thread()
        make.post(thread)
        drain()
        assert [r["headers"]["X-Community-Event"] for r in receiver.requests] == ["post.created"]


def test_events_before_an_endpoint_existed_are_not_sent_to_it(make, settings):
    make.thread()
    drain()  # dispatched to nobody
    with Receiver() as receiver:
        endpoint_for(receiver.url)
        drain()
        assert receiver.requests == []


# ---- retries ------------------------------------------------------------------------------------------

def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    for attempt, (low, high) in {1: (15, 30), 2: (30, 60), 3: (60, 120), 8: (1800, 3600), 20: (1800, 3600)}.items():
        delays = [webhooks.backoff(attempt) for _ in range(50)]
        assert all(low <= d <= high for d in delays), (attempt, min(delays), max(delays))
        assert len(set(delays)) > 1  # jitter: workers retrying together do not stampede together
    assert webhooks.backoff(1, retry_after="600") == 600  # a 429's Retry-After is honoured
    assert webhooks.backoff(1, retry_after="999999") == 3600  # within the cap


@pytest.mark.parametrize("answer", [503, 429, 500])
def test_server_errors_and_rate_limits_are_retried_later_then_delivered(make, settings, answer):
    with Receiver(answers=[answer, answer, 200]) as receiver:
        endpoint_for(receiver.url)
        make.thread()
        drain()
        delivery = _db.session.scalar(select(WebhookDelivery))
        assert delivery.status == "pending" and delivery.attempts == 1
        wait = (delivery.next_attempt_at - utcnow()).total_seconds()
        assert 14 <= wait <= 30  # the first retry waits 15-30 s with base 30 s
        drain()
        assert len(receiver.requests) == 1  # not due yet: nothing sent
        make_due()
        drain()
        delivery = _db.session.scalar(select(WebhookDelivery))
        assert delivery.attempts == 2
        assert 29 <= (delivery.next_attempt_at - utcnow()).total_seconds() <= 60  # the second waits longer
        make_due()
        drain()
        assert len(receiver.requests) == 3
        assert len(set(receiver.event_ids())) == 1  # the same event id every time
    delivery = _db.session.scalar(select(WebhookDelivery))
    assert delivery.status == "delivered" and delivery.attempts == 3
    outcomes = _db.session.scalars(select(WebhookAttempt.outcome).order_by(WebhookAttempt.id)).all()
    assert outcomes == ["retry", "retry", "delivered"]


def test_a_timeout_is_retried(make, settings):
    settings["WEBHOOK_TIMEOUT_SECONDS"] = 0.3
    with Receiver(delay=1.0) as receiver:
        endpoint_for(receiver.url)
        make.thread()
        drain()
    attempt = _db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and attempt.error == "timeout" and attempt.outcome == "retry"
    assert _db.session.scalar(select(WebhookDelivery)).status == "pending"


def test_a_connection_refused_is_retried(make, settings):
    with Receiver() as receiver:
        url = receiver.url
    endpoint_for(url)  # nobody listens there any more
    make.thread()
    drain()
    attempt = _db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and "ConnectionError" in attempt.error and attempt.outcome == "retry"


@pytest.mark.parametrize("answer", [400, 404, 410, 301])
def test_other_client_errors_are_not_retried(make, settings, answer):
    with Receiver(answers=[answer]) as receiver:
        endpoint_for(receiver.url)
        make.thread()
        drain()
        make_due()
        drain()
        assert len(receiver.requests) == 1
    delivery = _db.session.scalar(select(WebhookDelivery))
    assert delivery.status == "failed" and delivery.attempts == 1
    assert _db.session.scalar(select(WebhookAttempt.status_code)) == answer


def test_retries_stop_after_the_last_attempt(make, settings):
    settings["WEBHOOK_MAX_ATTEMPTS"] = 3
    with Receiver(answers=[500]) as receiver:
        endpoint_for(receiver.url)
        make.thread()
        for _ in range(5):
            drain()
            make_due()
        assert len(receiver.requests) == 3
    assert _db.session.scalar(select(WebhookDelivery)).status == "failed"
