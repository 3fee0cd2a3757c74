"""Column types shared by every area's models, and the one clock (`utcnow`) every area stamps rows with."""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

_stamped_at: ContextVar[datetime | None] = ContextVar("stamped_at", default=None)


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC (or the time `stamping_at` set for this block)."""
    return _stamped_at.get() or datetime.now(UTC)


@contextmanager
def stamping_at(moment: datetime):
    """Within the block, `utcnow()` answers `moment`: for loading past events (the demo), never for requests.

    Rows written in the block carry `moment` as if they had been written then, and the signals they send
    carry it too, so subscribers (the CRM) date them at that time. Flush before leaving the block: column
    defaults are evaluated at flush.
    """
    if moment.tzinfo is None:
        raise ValueError("stamping_at needs a timezone-aware time")
    token = _stamped_at.set(moment)
    try:
        yield moment
    finally:
        _stamped_at.reset(token)


def enum_type(cls, length: int = 16) -> Enum:
    """A Python enum stored by name in a VARCHAR(length) (no native ENUM type, so migrations stay
    plain on SQLite and PostgreSQL); a string that names no member is refused before it is written."""
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given for a UTC column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def result_processor(self, dialect, coltype):
        """What TypeDecorator composes (the dialect's processor, then `process_result_value`), as one function.

        A signed-in thread page reads ~1 300 timestamps (bench/README.md, issue 18): a call less for each.
        """
        impl = self.impl_instance.result_processor(dialect, coltype)
        if impl is None:
            def process(value):
                if value is not None and value.tzinfo is None:
                    return value.replace(tzinfo=UTC)
                return value
        else:
            def process(value):
                if value is None:
                    return None
                value = impl(value)
                if value is not None and value.tzinfo is None:
                    return value.replace(tzinfo=UTC)
                return value
        return process


def render_migration_item(type_, obj, autogen_context):
    """Write UTCDateTime into migrations as a plain DateTime(timezone=True): migrations stay app-free."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
