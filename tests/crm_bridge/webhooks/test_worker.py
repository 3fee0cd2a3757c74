"""At least once, for real: `flask crm worker` as a subprocess, killed with SIGKILL mid-batch, restarted.

The receiver is a real HTTP server on 127.0.0.1 that answers slowly, so the kill lands while the
worker waits for an answer with more of its batch claimed. Every event must still arrive, and the
receiver drops the duplicates by event id.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from community import crypto
from community.extensions import db as _db
from crm_bridge import outbox, webhooks
from crm_bridge.models import WebhookDelivery, WebhookEndpoint
from tests.crm_bridge.webhooks.receiver import Receiver

ROOT = Path(__file__).resolve().parents[3]
EVENTS = 12


def _worker(app, tmp_path, *args) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               COMMUNITY_INSTANCE_PATH=str(tmp_path / "worker-instance"), SECRET_KEY="worker-test",
               # every process shares the data key (the endpoints' signing secrets are encrypted at rest)
               DATA_ENCRYPTION_KEY=crypto.keyring().current.decode(),
               COMMUNITY_WEBHOOKS_ALLOW_PRIVATE="true", COMMUNITY_WEBHOOK_BATCH_SIZE="5",
               COMMUNITY_WEBHOOK_TIMEOUT_SECONDS="5", COMMUNITY_WEBHOOK_LEASE_SECONDS="3",
               COMMUNITY_WEBHOOK_POLL_SECONDS="0.2", COMMUNITY_WEBHOOK_RETRY_BASE_SECONDS="0")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "crm", "worker", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_worker_killed_mid_batch_loses_no_event(app, tmp_path):
    with Receiver(delay=0.4) as receiver:
        endpoint = WebhookEndpoint(url=receiver.url, event_types=["*"], secret=webhooks.new_secret(), active=True)
        _db.session.add(endpoint)
        sent = [outbox.write("post.created", {"n": n}).event_id for n in range(EVENTS)]
        _db.session.commit()
        secret = endpoint.secret

        first = _worker(app, tmp_path)
        try:
            # the third request has been read: the worker now waits for its slow answer, batch half done
            assert _wait_for(lambda: len(receiver.requests) >= 3, 60), first.stdout.read1().decode()
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        killed_at = len(receiver.requests)
        assert killed_at < EVENTS  # killed in the middle, not after the end

        second = _worker(app, tmp_path)
        try:
            assert _wait_for(lambda: set(receiver.event_ids()) >= set(sent), 90), receiver.event_ids()
            assert _wait_for(lambda: _delivered() == EVENTS, 30)  # and the worker recorded each as delivered
        finally:
            second.terminate()
            second.wait(10)

        ids = receiver.event_ids()
        assert set(ids) == set(sent)  # no event lost
        assert len(ids) > len(set(ids))  # the one in flight at the kill came twice: at least once, not exactly once
        unique = {}
        for request in receiver.requests:  # what a receiver does: verify, then drop duplicates by event id
            assert webhooks.verify(secret, request["headers"], request["body"])
            unique.setdefault(request["headers"]["X-Community-Event-Id"], request)
        assert len(unique) == EVENTS

    assert _delivered() == EVENTS


def _delivered() -> int:
    _db.session.rollback()  # a fresh snapshot: the worker process commits
    return _db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                              .where(WebhookDelivery.status == "delivered"))


def test_worker_once_exits_when_nothing_is_due(app, tmp_path):
    done = _worker(app, tmp_path, "--once")
    output, _ = done.communicate(timeout=60)
    assert done.returncode == 0, output.decode()
    assert b"Outbox drained" in output
