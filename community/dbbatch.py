"""INSERTs nothing reads back within their transaction, sent to the database together: one round trip.

A vote writes four such rows, each by a different part (the CRM timeline entries, the daily-active mark,
the outbox row, the effects marker), and each statement costs a round trip and its own pass through
SQLAlchemy. Inside `combined()`, `insert(statement, rows)` queues them instead; when the block ends
without an error they are sent: on PostgreSQL as one statement, every queued INSERT but the last one a
data-modifying CTE of it (`WITH batch_0 AS (INSERT ...), ... INSERT ...`: all or nothing, like the
statements one by one, in the same transaction); elsewhere one statement each. Outside a block, `insert`
executes at once. Only plain INSERTs without RETURNING may be queued (an ON CONFLICT DO NOTHING is fine):
nothing in the block may read what they write, since it is not written yet. On PostgreSQL the rows of one queued
statement get their ids in their order; those of separate queued statements need not follow the queue's order.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import bindparam, select, union_all
from sqlalchemy import insert as sa_insert

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


def add(obj) -> None:
    """Add `obj`, a new row nothing reads back within the transaction (its ids set, not its relationships): inside
    a `combined()` block its column values ride on the block's one statement and it stays out of the session;
    outside one it is added to the session."""
    if not batching():
        db.session.add(obj)
        return
    table = obj.__table__
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = sa_insert(table)
    loaded = obj.__dict__
    insert(statement, {column.key: loaded[column.key] for column in table.columns if column.key in loaded})


_INSERTS: dict = {}  # table -> its INSERT (`add`)


def batching() -> bool:
    """Whether `insert` queues now (a `combined()` block is open): callers that would otherwise add an ORM object
    whose row nothing reads back may hand it to `insert` instead, to ride on the block's one statement."""
    return db.session().info.get(QUEUE) is not None


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
    # Every value a named bound parameter, the statement built once per shape (which statements, which columns,
    # how many rows) and its SQL compiled once: SQLAlchemy cannot cache a multi-row VALUES (it has no cache key, so
    # such a statement would be compiled on every execution).
    parts = _parts(queue)
    shape = tuple((statement, keys, len(rows)) for statement, keys, rows in parts)
    combined_statement = _COMBINED.get(shape)
    if combined_statement is None:
        if len(_COMBINED) >= 256:  # shapes are few (a vote's, a reply's ...); never grow without bound
            _COMBINED.clear()
        combined_statement = _COMBINED[shape] = _combined_statement(shape)
    db.session.execute(combined_statement, {f"b{n}_{r}_{key}": value for n, (_statement, _keys, rows) in enumerate(parts)
                                            for r, row in enumerate(rows) for key, value in row.items()})


def _parts(queue) -> list[tuple]:
    """The queue as (statement, its columns, rows): a queued statement's rows with their defaults filled in, split
    where a row names other columns than the one before it."""
    parts: list[tuple] = []
    for statement, queued in queue:
        for row in queued:
            row = _with_defaults(statement, row)
            keys = tuple(row)
            if parts and parts[-1][0] is statement and parts[-1][1] == keys:
                parts[-1][2].append(row)
            else:
                parts.append((statement, keys, [row]))
    return parts


_COMBINED: dict = {}  # shape -> the statement of data-modifying CTEs (`_send`)


def _with_defaults(statement, row: dict) -> dict:
    """`row` with the Python-side defaults of the columns it leaves out (an INSERT in a CTE gets none from
    SQLAlchemy: its VALUES would say NULL)."""
    missing = [column for column in statement.table.columns if column.key not in row and column.default is not None
               and (column.default.is_scalar or column.default.is_callable)]
    if not missing:
        return row
    row = dict(row)
    for column in missing:
        row[column.key] = column.default.arg(None) if column.default.is_callable else column.default.arg
    return row


def _combined_statement(shape):
    """One data-modifying CTE per part, the last part the main statement; a part of several rows is an
    `INSERT ... SELECT ... UNION ALL SELECT ...`, which gives its rows their ids in their order."""
    def values(n, r, statement, keys):
        return [bindparam(f"b{n}_{r}_{key}", type_=statement.table.c[key].type) for key in keys]

    parts = [statement.values(dict(zip(keys, values(n, 0, statement, keys), strict=True))) if count == 1
             else statement.from_select(list(keys), union_all(*[select(*values(n, r, statement, keys))
                                                                 for r in range(count)]))
             for n, (statement, keys, count) in enumerate(shape)]
    return parts[-1].add_cte(*[part.cte(f"batch_{n}") for n, part in enumerate(parts[:-1])])
