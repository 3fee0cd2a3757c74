"""Site settings an admin changes without code: one store, declared keys, typed values.

Each area declares the settings it owns, once, at import time of its own module:

    from community import settings
    REGISTRATION_MODE = settings.declare("registration.mode", "open", str,
                                         choices=("open", "approval", "invite", "closed"))

and reads them where it needs them (`settings.get("registration.mode")`, or `REGISTRATION_MODE.value`). The
admin pages write them with `settings.save({...}, by=admin)`, which checks every value against its
declaration first and saves all or nothing. A key nobody declared is refused, so a misspelt name fails
loudly instead of reading a default forever.

Storage: the table `site_settings`, one row per key that differs from its default, the value as JSON.
Reads cost one query per request at most (all rows are loaded together and kept on `flask.g` for the
request; outside a request, such as a worker or a command, every read asks the database); a save clears that. `site_settings_changed` is sent after a save, in the transaction, with the changed keys, so
the guests' page cache and anything else that shows a setting can drop what it kept.

A signed-in request reads no settings row at all while they are unchanged: every save also writes a new random
token into `site_settings_generation` (one row), the statement that loads the request's member and session reads
that token too (`generation_column`, community/members/sessions.py), and the rows read once under a token are kept
in the process (per app) until a request reads another token. So a save in any process is seen by the next request
of every other process, as when each request read the rows. Whatever writes `site_settings` must go through `save`
(or write a new token in the same transaction: a migration that changes a row); without a token row (a database no
save has touched since it was created empty) nothing is kept.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .dbtypes import UTCDateTime, utcnow
from .errors import ValidationFailed
from .extensions import db
from .signals import site_settings_changed


class SiteSetting(db.Model):
    """The stored value of one declared setting (no row: the declared default)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class SettingsGeneration(db.Model):
    """One row (id 1): a random token that every `save` replaces, so that a process knows whether the settings it
    keeps are still the stored ones without reading them (see the module docstring)."""

    __tablename__ = "site_settings_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


# Every stored setting: built once (every request reads the settings once).
_STORED_SELECT = select(SiteSetting.key, SiteSetting.value)
_GENERATION_ID = 1
_KEPT = "community.site_settings"  # app.extensions: (token, rows) of the last read under a token


def generation_column():
    """The settings' current token as a scalar subquery, for the statement every signed-in request runs first."""
    return (select(SettingsGeneration.token).where(SettingsGeneration.id == _GENERATION_ID)
            .scalar_subquery().label("site_settings_generation"))


def note_generation(token: str | None) -> None:
    """Remember the token this request read (with its member), for `_stored` to compare with the kept rows."""
    request.site_settings_generation = token


@dataclass(frozen=True)
class Declared:
    """One setting: its key, default and type, the choices it may take, and an extra check."""

    key: str
    default: Any
    kind: type
    choices: tuple = ()
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)  # returns a message or None

    @property
    def value(self) -> Any:
        return get(self.key)


DECLARED: dict[str, Declared] = {}


def declare(key: str, default: Any, kind: type, *, choices=(), check=None) -> Declared:
    """Declare a setting, once per key: its owner declares it and others import it from there."""
    setting = Declared(key, default, kind, tuple(choices), check)
    known = DECLARED.get(key)
    if known is not None and (known != setting or known.check is not check):
        raise ValueError(f"setting {key!r} is declared twice; import it from the module that declares it")
    DECLARED[key] = setting
    return setting


_block: ContextVar[dict | None] = ContextVar("site_settings_block", default=None)


@contextmanager
def read_once():
    """Within the block, the settings are read at most once (a short job outside requests: a drain batch)."""
    token = _block.set({})
    try:
        yield
    finally:
        _block.reset(token)


def _stored() -> dict[str, Any]:
    block = _block.get()
    if block is not None:
        if "stored" not in block:
            block["stored"] = dict(db.session.execute(_STORED_SELECT).all())
        return block["stored"]
    if not has_request_context():  # a worker or command holding one app context for hours reads afresh
        return dict(db.session.execute(_STORED_SELECT).all())
    cached = g.get("site_settings")
    if cached is None:
        cached = g.site_settings = _kept_or_read()
    return cached


def _kept_or_read() -> dict[str, Any]:
    """The rows kept in this process when this request read their token, else the rows read now (then kept under
    the token: read after it, they are at least as new as it, so a later request that finds the same token finds
    these rows)."""
    token = getattr(request, "site_settings_generation", None)
    kept = current_app.extensions.get(_KEPT)
    if token is not None and kept is not None and kept[0] == token:
        return kept[1]
    stored = dict(db.session.execute(_STORED_SELECT).all())
    if token is not None:
        current_app.extensions[_KEPT] = (token, stored)
    return stored


def get(key: str) -> Any:
    """Return the setting's value: the stored one, else its declared default."""
    setting = DECLARED[key]  # KeyError for an undeclared key: a misspelling is a bug
    stored = _stored()
    return stored[key] if key in stored else setting.default


def values(prefix: str = "") -> dict[str, Any]:
    """Return every declared setting whose key starts with `prefix`, with its current value."""
    return {key: get(key) for key in sorted(DECLARED) if key.startswith(prefix)}


def _problem(setting: Declared, value: Any) -> str | None:
    if setting.kind is bool:
        ok = isinstance(value, bool)
    elif setting.kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif setting.kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, setting.kind)
    if not ok:
        return _l("This value has the wrong type.")
    if setting.choices and value not in setting.choices:
        return _l("Choose one of the offered values.")
    return setting.check(value) if setting.check else None


def _new_generation() -> None:
    """Write a new token: every process's kept rows are stale from this transaction's commit on (the row's lock
    orders concurrent saves)."""
    token = secrets.token_hex(16)
    moved = db.session.execute(update(SettingsGeneration).where(SettingsGeneration.id == _GENERATION_ID)
                               .values(token=token)).rowcount
    if not moved:
        db.session.add(SettingsGeneration(id=_GENERATION_ID, token=token))


def check(changes: dict[str, Any]) -> None:
    """Raise ValidationFailed naming each key whose value `save` would refuse (nothing is written)."""
    problems = {}
    for key, value in changes.items():
        setting = DECLARED.get(key)
        message = _l("There is no such setting.") if setting is None else _problem(setting, value)
        if message:
            problems[key] = message
    if problems:
        raise ValidationFailed(_l("Please correct the marked settings."), problems)


def save(changes: dict[str, Any], by=None) -> list[str]:
    """Store `changes` (key -> value) after checking all of them; return the keys whose value changed.

    Raises ValidationFailed (nothing saved) naming each bad key. A value equal to the default removes
    the row, so a later change of the default reaches sites that never touched the setting. Does not commit.
    """
    check(changes)
    changed = [key for key, value in changes.items() if get(key) != value]
    for key in changed:
        row = db.session.get(SiteSetting, key)
        if changes[key] == DECLARED[key].default:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = SiteSetting(key=key)
            db.session.add(row)
        row.value = changes[key]
        row.updated_by_id = getattr(by, "id", None)
    if changed:
        _new_generation()
    db.session.flush()
    g.pop("site_settings", None)
    if has_request_context():
        request.site_settings_generation = None  # this request reads the rows it wrote, and keeps nothing
    if changed:
        site_settings_changed.send(None, keys=changed, by=by)
    return changed
