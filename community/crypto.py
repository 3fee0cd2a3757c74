"""Sensitive fields encrypted at rest (the `cryptography` package's Fernet: AES-128-CBC + HMAC-SHA256).

The only module that touches `cryptography`. A column typed `EncryptedText` is stored as
``fernet:<key id>:<token>`` and read back as plain text; an empty string stays empty (so "has an
address" stays one comparison), and a value written before encryption existed reads as it is until
`flask crm rotate-key` encrypts it.

Keys: `DATA_ENCRYPTION_KEY` (a Fernet key: 32 url-safe base64 bytes) when set, else a key generated once
into the instance folder (`data-encryption.key`, mode 0600, left out of `community backup` archives:
the key must be kept apart from the backups, or a stolen backup is readable). Retired keys, still needed
to read rows a rotation has not reached yet, come from `DATA_ENCRYPTION_OLD_KEYS` (comma-separated) and
the instance file `data-encryption.retired` (one per line).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, current_app, has_app_context
from sqlalchemy import Text, column, func, select, table, update
from sqlalchemy.types import TypeDecorator

PREFIX = "fernet:"
KEY_FILE, RETIRED_FILE = "data-encryption.key", "data-encryption.retired"


class KeyMissing(RuntimeError):
    """A value was encrypted under a key this process does not have."""


def key_id(key: bytes | str) -> str:
    raw = key.encode() if isinstance(key, str) else key
    return hashlib.sha256(raw.strip()).hexdigest()[:8]


@dataclass
class Keyring:
    current: bytes
    retired: list[bytes] = field(default_factory=list)

    def __post_init__(self):
        self._fernets = {key_id(k): Fernet(k) for k in [*self.retired, self.current]}

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def encrypt(self, value: str) -> str:
        token = self._fernets[self.current_id].encrypt(value.encode("utf-8")).decode("ascii")
        return f"{PREFIX}{self.current_id}:{token}"

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption; `crm rotate-key` encrypts it
        kid, _sep, token = stored[len(PREFIX):].partition(":")
        fernet = self._fernets.get(kid)
        if fernet is None:
            raise KeyMissing(f"a value is encrypted under key {kid}, which is neither DATA_ENCRYPTION_KEY nor retired")
        try:
            return fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise KeyMissing(f"a value under key {kid} does not decrypt (altered, or the wrong key)") from exc

    def is_current(self, stored: str | None) -> bool:
        return not stored or stored.startswith(f"{PREFIX}{self.current_id}:")


def _read_keys(text: str) -> list[bytes]:
    return [line.strip().encode() for line in text.replace(",", "\n").splitlines() if line.strip()]


def _checked(key: bytes, where: str) -> bytes:
    try:
        Fernet(key)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where} is not a Fernet key (32 url-safe base64-encoded bytes; make one with "
                         "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)") from exc
    return key


def _instance_key(instance: Path) -> bytes:
    path = instance / KEY_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def load_keyring(app: Flask) -> Keyring:
    """Read the keys from the environment (or the app's config in tests) and the instance folder."""
    instance = Path(app.instance_path)
    given = app.config.get("DATA_ENCRYPTION_KEY") or os.environ.get("DATA_ENCRYPTION_KEY", "").strip()
    current = _checked(given.encode() if isinstance(given, str) else given, "DATA_ENCRYPTION_KEY") if given \
        else _instance_key(instance)
    retired = _read_keys(app.config.get("DATA_ENCRYPTION_OLD_KEYS") or os.environ.get("DATA_ENCRYPTION_OLD_KEYS", ""))
    try:
        retired += _read_keys((instance / RETIRED_FILE).read_text())
    except FileNotFoundError:
        pass
    return Keyring(current, [_checked(k, "a retired data encryption key") for k in retired if k != current])


def init_app(app: Flask) -> None:
    app.extensions["data_keyring"] = load_keyring(app)


def keyring() -> Keyring:
    return current_app.extensions["data_keyring"]


def rotate_instance_key(app: Flask) -> Keyring:
    """Make a new instance key: the old one joins the retired file (kept until every row is re-encrypted)."""
    instance = Path(app.instance_path)
    old = keyring().current
    with open(instance / RETIRED_FILE, "ab") as handle:
        os.chmod(instance / RETIRED_FILE, 0o600)
        handle.write(old + b"\n")
    new = Fernet.generate_key()
    tmp = instance / (KEY_FILE + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(new)
    os.replace(tmp, instance / KEY_FILE)
    app.extensions["data_keyring"] = load_keyring(app)
    return app.extensions["data_keyring"]


class EncryptedText(TypeDecorator):
    """Text encrypted at rest with the app's data key (see the module docstring)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value  # empty stays empty
        if not has_app_context():
            raise RuntimeError("encrypted columns are written inside an app context (the key lives on the app)")
        return keyring().encrypt(str(value))

    def process_result_value(self, value, dialect):
        if not value:
            return value
        return keyring().decrypt(value)


def encrypted_columns(metadata) -> list[tuple[str, str]]:
    """Every (table, column) typed EncryptedText, in a stable order."""
    return sorted((table.name, column.name) for table in metadata.tables.values() for column in table.columns
                  if isinstance(column.type, EncryptedText))


def reencrypt(session, metadata, *, batch: int = 500, progress=None) -> int:
    """Re-encrypt (with raw, untyped columns: no bind processing) every value not under the current key (old keys, or plain text from before), committing each
    batch: stopped halfway, a second run carries on where it was. Return how many values were rewritten."""
    ring, done = keyring(), 0
    current = f"{PREFIX}{ring.current_id}:"
    for table_name, column_name in encrypted_columns(metadata):
        pk = next(iter(metadata.tables[table_name].primary_key.columns)).name
        raw = table(table_name, column(pk), column(column_name))
        last = None
        while True:
            query = (select(raw.c[pk], raw.c[column_name])
                     .where(raw.c[column_name] != "", raw.c[column_name].is_not(None),
                            ~raw.c[column_name].startswith(current, autoescape=True))
                     .order_by(raw.c[pk]).limit(batch))
            if last is not None:
                query = query.where(raw.c[pk] > last)
            rows = session.execute(query).all()
            if not rows:
                break
            for key, stored in rows:
                session.execute(update(raw).where(raw.c[pk] == key)
                                .values({column_name: ring.encrypt(ring.decrypt(stored))}))
            last = rows[-1][0]
            session.commit()
            done += len(rows)
            if progress is not None:
                progress(len(rows))
    return done


def pending(session, metadata) -> int:
    """How many stored values are not under the current key yet."""
    current, total = f"{PREFIX}{keyring().current_id}:", 0
    for table_name, column_name in encrypted_columns(metadata):
        raw = table(table_name, column(column_name))
        total += session.scalar(select(func.count()).select_from(raw).where(
            raw.c[column_name] != "", raw.c[column_name].is_not(None),
            ~raw.c[column_name].startswith(current, autoescape=True))) or 0
    return total
