"""The sender: one background thread per process that empties the mail queue, outside any request.

It wakes when a transaction that queued mail commits (`on_mail_queued` -> `wake`, through `aftercommit`) and every
`MAIL_POLL_SECONDS` (retries whose backoff has passed, notifications whose delay has passed), and
once an hour it queues due digests and purges old messages. `MAIL_SEND_THREAD` turns it off (tests
do; `flask community mail worker` runs the same loop as its own process instead).
"""
from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask, current_app, has_request_context

from ..aftercommit import after_commit
from ..extensions import db
from . import delivery

log = logging.getLogger(__name__)


class Sender:
    def __init__(self, app: Flask):
        self.app = app
        self.event = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.last_hourly = 0.0
        self.passes = 0

    def wake(self) -> None:
        self.ensure_started()
        self.event.set()

    def ensure_started(self) -> None:
        if self.thread is not None and self.thread.is_alive() and self.pid == os.getpid():
            return
        with self.lock:
            if self.pid != os.getpid():  # forked (gunicorn): the parent's thread stayed in the parent
                self.pid, self.thread, self.event = os.getpid(), None, threading.Event()
            if self.thread is None or not self.thread.is_alive():
                self.stopping.clear()
                self.thread = threading.Thread(target=self.run, name="mail-sender", daemon=True)
                self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.event.set()
        if self.thread is not None:
            self.thread.join(timeout)
        self.thread = None

    def run(self) -> None:
        while not self.stopping.is_set():
            self.event.clear()
            run_once(self.app, hourly=self._hourly_due())  # at once on start: leftovers of earlier processes
            self.passes += 1
            self.event.wait(self.app.config["MAIL_POLL_SECONDS"])

    def _hourly_due(self) -> bool:
        now = time.monotonic()
        if now - self.last_hourly >= self.app.config["MAIL_DIGEST_CHECK_SECONDS"]:
            self.last_hourly = now
            return True
        return False


def run_once(app: Flask, hourly: bool = False) -> dict:
    """One pass: due notifications into mails, (hourly) digests and purging, then delivery."""
    result = {}
    with app.app_context():
        try:
            result["notifications"] = delivery.send_due_notifications()
            if hourly:
                result["digests"] = delivery.send_digests()
                result["purged"] = delivery.purge_old()
            result.update(delivery.deliver_due())
        except Exception:  # the database may be away for a moment: the next pass tries again
            log.exception("mail pass failed")
            db.session.rollback()
        finally:
            db.session.remove()
    return result


_senders: dict[int, Sender] = {}
_senders_lock = threading.Lock()


def sender(app: Flask) -> Sender:
    with _senders_lock:
        return _senders.setdefault(id(app), Sender(app))


def wake(app: Flask) -> None:
    """After a request's commit that queued mail: let the sender thread deliver it now.

    Only from requests: a CLI command (create-admin, seed-demo) exits at once and would kill a thread
    in the middle of a send; its messages wait for a web process's sender or `flask community mail send`.
    The sender's own passes deliver what they queue in the same pass.
    """
    if app.config.get("MAIL_SEND_THREAD") and has_request_context():
        sender(app).wake()


def on_mail_queued(message, **_kw) -> None:
    """`mail_queued`: wake this process's sender once the transaction that queued the mail commits."""
    after_commit(wake, current_app._get_current_object())
