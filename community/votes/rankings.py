"""Thread rankings computed in SQL: "hot" (votes and replies decayed by age) and "top" per period.

Hot is computed at query time, not stored: the age decay changes every hour for every thread, so a
stored rank would need a periodic rewrite of the whole table to stay truthful, while ranking at query
time is always current and costs one arithmetic expression per thread of the listed board or tag.
The age in hours is compiled per dialect (julianday on SQLite, EXTRACT(EPOCH ...) on PostgreSQL);
`power()` is built into PostgreSQL and into SQLite builds with math functions, and registered on the
connection from Python's math.pow for SQLite builds without them (see `install_sqlite_functions`).
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Float, case, event, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..dbtypes import UTCDateTime, utcnow
from ..forum.models import Thread

# ?period= for the "top" sort: how far back a thread may have been started to be listed.
TOP_PERIODS: dict[str, timedelta | None] = {
    "day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30), "all": None,
}


class hours_since(FunctionElement):
    """SQL: the hours (fractional) from timestamp column `then` to the bound time `now`."""

    type = Float()
    name = "hours_since"
    inherit_cache = True


@compiles(hours_since, "sqlite")
def _hours_since_sqlite(element, compiler, **kw):
    then, now = list(element.clauses)
    return f"((julianday({compiler.process(now, **kw)}) - julianday({compiler.process(then, **kw)})) * 24.0)"


@compiles(hours_since)
def _hours_since_default(element, compiler, **kw):  # PostgreSQL, and the SQL standard
    then, now = list(element.clauses)
    return (f"(CAST(EXTRACT(EPOCH FROM ({compiler.process(now, **kw)} - {compiler.process(then, **kw)}))"
            f" AS DOUBLE PRECISION) / 3600.0)")


def hot_rank(now: datetime | None = None):
    """Return the SQL expression (score + replies * k + 1) / (age in hours + 2) ^ gravity."""
    config = current_app.config
    gravity = float(config["HOT_GRAVITY"])
    weight = float(config["HOT_REPLY_WEIGHT"])
    age = hours_since(Thread.created_at, literal(now or utcnow(), UTCDateTime()))
    age = case((age < 0, 0.0), else_=age)  # a clock that stepped back must not make powers of negatives
    return (Thread.score + Thread.reply_count * weight + 1.0) / func.power(age + 2.0, gravity)


def hot_order():
    """ORDER BY clause for the "hot" thread sort."""
    return hot_rank().desc()


def period_start(period: str | None, now: datetime | None = None) -> datetime | None:
    """Return when a "top" period began (None for all time or an unknown period)."""
    span = TOP_PERIODS.get(period or "all")
    return (now or utcnow()) - span if span else None


def install_sqlite_functions(engine) -> None:
    """Give SQLite connections power() when the SQLite library was built without math functions."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        try:
            dbapi_connection.execute("SELECT power(2, 2)").fetchone()
        except Exception:  # sqlite3.OperationalError: no such function: power
            dbapi_connection.create_function("power", 2, _power, deterministic=True)


def _power(base, exponent):
    if base is None or exponent is None:
        return None
    try:
        return math.pow(base, exponent)
    except (ValueError, OverflowError):
        return None
