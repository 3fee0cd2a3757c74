"""INSERTs nothing reads back within their transaction, sent to the database together: one round trip.

A vote writes four such rows, each by a different part (the CRM timeline entries, the daily-active mark,
the outbox row, the effects marker), and each statement costs a round trip and its own pass through
SQLAlchemy. Inside `combined()`, `insert(statement, rows)` queues them instead; when the block ends
without an error they are sent: on PostgreSQL as one statement, every queued INSERT but the last one a
data-modifying CTE of it (`WITH batch_0 AS (INSERT ...), ... INSERT ...`: all or nothing, like the
statements one by one, in the same transaction); elsewhere one statement each. Outside a block, `insert`
executes at once. Only plain INSERTs without RETURNING may be queued (an ON CONFLICT DO NOTHING is fine):
nothing in the block may read what they write, since it is not written yet.
"""
from __future__ import annotations

from contextlib import contextmanager

from .extensions import db

QUEUE = "community.dbbatch"  # session.info: [(insert statement, [row, ...]), ...] while combined


def insert(statement, rows) -> None:
    """Execute `statement` (an INSERT) for `rows` (a dict or a list of dicts) now, or queue it in `combined()`."""
    rows = [rows] if isinstance(rows, dict) else list(rows)
    if not rows:
        return
    queue = db.session().info.get(QUEUE)
    if queue is None:
        db.session.execute(statement, rows if len(rows) > 1 else rows[0])
    else:
        queue.append((statement, rows))


@contextmanager
def pending(key: str, empty, flush):
    """Keep `session.info[key]` (a fresh `empty()`) while the block runs and call `flush()` when it ends without
    an error; a nested block leaves both to the outer one. The shape of every write batched for a unit of work
    (the vote effects drain's counters, ledger entries, points and likes; `combined` here)."""
    session = db.session()
    if session.info.get(key) is not None:  # nested: the outer block writes them
        yield
        return
    session.info[key] = empty()
    try:
        yield
        flush()
    finally:
        session.info.pop(key, None)


def combined():
    """Queue the `insert`s made inside and send them together when the block ends without an error."""
    return pending(QUEUE, list, _send_queued)


def _send_queued() -> None:
    _send(db.session().info.pop(QUEUE))


def _send(queue) -> None:
    if not queue:
        return
    if len(queue) == 1 or db.session.get_bind().dialect.name != "postgresql":
        for statement, rows in queue:
            db.session.execute(statement, rows if len(rows) > 1 else rows[0])
        return
    # Multi-row VALUES with the rows' values as bound parameters: the compiled SQL is cached per shape
    # (which tables, how many rows each), the values travel as parameters.
    parts = [statement.values(rows) for statement, rows in queue]
    last = parts[-1].add_cte(*[part.cte(f"batch_{n}") for n, part in enumerate(parts[:-1])])
    db.session.execute(last)
