"""Mail tests send through a real SMTP server (aiosmtpd) on 127.0.0.1, started here, and read what arrived."""
from __future__ import annotations

import email
import re
import socket
import threading
import time
from email import policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from community import search
from community.mail import worker
from community.mail.models import MailMessage


class Inbox:
    """What the SMTP server received: parsed messages with their envelope."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 15.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


class SmtpServer:
    def __init__(self):
        self.inbox = Inbox()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1; the app sends to it for the duration of the test."""
    server = SmtpServer()
    server.start()
    before = {key: app.config.get(key) for key in ("SMTP_URL", "BASE_URL", "MAIL_FROM")}
    app.config.update(SMTP_URL=server.url, BASE_URL="https://community.example.org", MAIL_FROM="Acme <hello@example.org>")
    yield server
    server.stop()
    app.config.update(before)


@pytest.fixture
def deliver(app, db):
    """Run one sender pass (due notifications, then delivery), as the worker thread does."""

    def run(hourly: bool = False) -> dict:
        db.session.commit()
        return worker.run_once(app, hourly=hourly)

    return run


@pytest.fixture
def sender_thread(app):
    """Turn on the real per-process sender thread for one test; stopped before the tables are emptied."""
    app.config["MAIL_SEND_THREAD"] = True
    yield worker.sender(app)
    worker.sender(app).stop()
    app.config["MAIL_SEND_THREAD"] = False


def parts(message) -> tuple[str, str]:
    """Return (text, html) of a multipart/alternative message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def links(text: str, base: str = "https://community.example.org") -> list[str]:
    return re.findall(re.escape(base) + r"[^\s\"<>]*", text)


def path_of(url: str) -> str:
    parts_ = urlsplit(url)
    return parts_.path + (f"?{parts_.query}" if parts_.query else "")


def queued(db, **where) -> list[MailMessage]:
    query = select(MailMessage).order_by(MailMessage.id)
    for key, value in where.items():
        query = query.where(getattr(MailMessage, key) == value)
    return list(db.session.scalars(query))


@pytest.fixture(autouse=True)
def _search_writer_drained(db):
    """Let the search writer thread finish reading this test's posts before the tables are emptied
    (on PostgreSQL its open read and the TRUNCATE would otherwise deadlock)."""
    yield

    search.wait()
