"""Where messages go: an SMTP server (`SMTP_URL`) or, without one, files in the instance folder.

This module owns smtplib; swapping the way mail leaves is this one file.
`SMTP_URL` forms: `smtp://user:pass@host:587?starttls=1`, `smtps://user:pass@host:465` (TLS from the
start), `smtp://127.0.0.1:25` (no login). Query options: `starttls=1`, `timeout=<seconds>` (10).
"""
from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class TransportError(Exception):
    """The message could not be handed over now; try again later."""


class SmtpTransport:
    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        self.host = parts.hostname or "127.0.0.1"
        self.ssl = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.ssl else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = options.get("starttls", "0").lower() in {"1", "true", "yes", "on"}
        self.timeout = float(options.get("timeout", 10))

    def describe(self) -> str:
        return f"SMTP {self.host}:{self.port}" + (" (TLS)" if self.ssl else " (STARTTLS)" if self.starttls else "")

    def send(self, message: EmailMessage) -> None:
        try:
            if self.ssl:
                server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                if self.starttls:
                    server.starttls(context=ssl.create_default_context())
                if self.username:
                    server.login(self.username, self.password or "")
                server.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}"[:480]) from exc


class FileTransport:
    """Write each message as `<instance>/mail/<message id>.eml` (the admin page shows them)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def describe(self) -> str:
        return f"files in {self.folder}"

    def path_for(self, message_id: str) -> Path:
        name = "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in message_id.strip("<>"))
        return self.folder / f"{name}.eml"

    def send(self, message: EmailMessage) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.path_for(message["Message-ID"])
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(message.as_bytes())
            os.replace(temporary, path)  # a reader never sees half a file
        except OSError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}"[:480]) from exc


def transport_for(config) -> SmtpTransport | FileTransport:
    """Return the transport the configuration asks for."""
    if config.get("SMTP_URL"):
        return SmtpTransport(config["SMTP_URL"])
    return FileTransport(config["MAIL_FOLDER"])


def address_domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"
