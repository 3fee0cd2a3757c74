"""Daily rollups for the staff dashboard, kept in the transaction of each event.

The dashboard's two heavy figures (posts, negative share and sentiment per board per day; active
members per day) would otherwise scan every post and timeline entry of the month on each view:
0.3 s of CPU at 100 000 posts (bench/crm.py). Each post scored adds to its (day, board) row, each
active timeline entry marks (day, member); both are upserts, so concurrent transactions never
collide on an insert. `backfill` rebuilds both from the detail rows (the migration does the same).
`day_bucket` and `daily_series` are the day arithmetic every per-day figure of the dashboard shares.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, bindparam, cast, func, text

from community import dbbatch
from community.dbtypes import utcnow
from community.extensions import db
from community.notifications.services import dialect_insert

from .models import DailyActive, DailyMood

ACTIVE_KINDS = ("thread_started", "replied", "vote_given", "poll_ballot", "flag_raised", "reward_redeemed")


def day_of(moment: datetime | None) -> str:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d")


def day_bucket(column):
    """SQL: the UTC day of a timestamp column, to GROUP BY."""
    if db.engine.dialect.name == "sqlite":
        # stored as ISO text in UTC: the first ten characters are the day (cheaper than date())
        return func.substr(column, 1, 10)
    return cast(func.timezone("UTC", column), Date)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def daily_series(rows, days: int) -> list[tuple[date, int]]:
    """Fill the days without rows with zeros, oldest first."""
    counts = {_as_date(day): count for day, count in rows}
    today = utcnow().date()
    return [(today - timedelta(days=n), counts.get(today - timedelta(days=n), 0)) for n in range(days - 1, -1, -1)]


def add_mood(day: str, board_id: int, posts: int, negative: int, score: float) -> None:
    """Add to a (day, board) row, creating it if needed."""
    dialect = db.session.get_bind().dialect.name
    stmt = _ADD_MOOD.get(dialect)
    if stmt is None:  # built once per database kind (every new post adds to its day's row)
        stmt = _ADD_MOOD[dialect] = _add_mood_statement()
    db.session.execute(stmt, {"day": day, "board_id": board_id, "posts": posts, "negative": negative,
                              "score_sum": score})


_ADD_MOOD: dict = {}


def _add_mood_statement():
    table = DailyMood.__table__
    stmt = dialect_insert(table).values({name: bindparam(name, type_=table.c[name].type)
                                         for name in ("day", "board_id", "posts", "negative", "score_sum")})
    return stmt.on_conflict_do_update(index_elements=["day", "board_id"], set_={
        "posts": table.c.posts + stmt.excluded.posts,
        "negative": table.c.negative + stmt.excluded.negative,
        "score_sum": table.c.score_sum + stmt.excluded.score_sum})


def mark_active(member_id: int, moment: datetime | None = None) -> None:
    dialect = db.session.get_bind().dialect.name
    stmt = _MARK_ACTIVE.get(dialect)
    if stmt is None:  # built once per database kind (every vote and post marks its member)
        stmt = _MARK_ACTIVE[dialect] = dialect_insert(DailyActive.__table__).on_conflict_do_nothing(
            index_elements=["day", "member_id"])
    dbbatch.insert(stmt, {"day": day_of(moment), "member_id": member_id})  # queued in a vote (community/dbbatch.py)


_MARK_ACTIVE: dict = {}


def backfill(connection) -> None:
    """Rebuild both rollups from crm_post_sentiments and crm_timeline_events (one statement each)."""
    postgres = connection.dialect.name == "postgresql"
    sentiment_day = ("to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" if postgres
                     else "substr(created_at, 1, 10)")
    event_day = ("to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" if postgres
                 else "substr(occurred_at, 1, 10)")
    kinds = ", ".join(f"'{kind}'" for kind in ACTIVE_KINDS)
    connection.execute(text("DELETE FROM crm_daily_mood"))
    connection.execute(text("DELETE FROM crm_daily_active"))
    connection.execute(text(
        f"INSERT INTO crm_daily_mood (day, board_id, posts, negative, score_sum) "
        f"SELECT {sentiment_day}, board_id, count(*), sum(CASE WHEN label = 'negative' THEN 1 ELSE 0 END), "
        f"sum(score) FROM crm_post_sentiments GROUP BY {sentiment_day}, board_id"))
    connection.execute(text(
        f"INSERT INTO crm_daily_active (day, member_id) SELECT DISTINCT {event_day}, member_id "
        f"FROM crm_timeline_events WHERE kind IN ({kinds})"))
