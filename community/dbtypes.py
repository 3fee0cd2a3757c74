"""Column types shared by every area's models."""
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


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


def render_migration_item(type_, obj, autogen_context):
    """Write UTCDateTime into migrations as a plain DateTime(timezone=True): migrations stay app-free."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
