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

from sqlalchemy import bindparam, select, union_all

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
    combined = _combined(queue)
    if combined is None:
        # Multi-row VALUES with the rows' values as bound parameters: SQLAlchemy compiles such a statement
        # afresh every time (a multi-row VALUES has no cache key).
        parts = [statement.values(rows) for statement, rows in queue]
        db.session.execute(parts[-1].add_cte(*[part.cte(f"batch_{n}") for n, part in enumerate(parts[:-1])]))
        return
    statement, names = combined
    db.session.execute(statement, {name: queue[n][1][r][column] for (n, r, column), name in names.items()})


# (id of each queued INSERT, its rows' columns, their number), ... -> (the combined statement, its parameters'
# names by (queued statement, row, column)); the INSERTs are held with it so that no id is reused meanwhile
_SHAPES: dict[tuple, tuple] = {}


def _combined(queue):
    """The queue as one statement whose values are bound parameters named by position, built once per shape, so
    that SQLAlchemy compiles it once (its cache key does not change from one vote to the next); or None when a
    queued INSERT would leave a column with a Python-side default out (a multi-row VALUES calls it per row: the
    statement above does that) or its rows do not all name the same columns."""
    shape = []
    for statement, rows in queue:
        columns = tuple(rows[0])
        if any(tuple(row) != columns for row in rows[1:]):
            return None
        shape.append((id(statement), columns, len(rows)))
    shape = tuple(shape)
    found = _SHAPES.get(shape)
    if found is not None:
        return found[0], found[1]
    names: dict[tuple, str] = {}
    parts = []
    for n, (statement, rows) in enumerate(queue):
        table, columns = statement.table, tuple(rows[0])
        if any(column.default is not None and column.key not in columns for column in table.columns):
            return None

        def row_of(r, n=n, table=table, columns=columns):
            for column in columns:
                names[(n, r, column)] = f"b{n}_{r}_{column}"
            return [bindparam(names[(n, r, column)], type_=table.c[column].type) for column in columns]

        if len(rows) == 1:
            part = statement.values(dict(zip(columns, row_of(0), strict=True)))
        else:  # INSERT ... SELECT ... UNION ALL SELECT ...: the rows in their order, as a multi-row VALUES
            part = statement.from_select(list(columns),
                                         union_all(*[select(*row_of(r)) for r in range(len(rows))]))
        parts.append(part)
    combined = parts[-1].add_cte(*[part.cte(f"batch_{n}") for n, part in enumerate(parts[:-1])])
    if len(_SHAPES) >= 64:  # a handful of shapes in use; never grow without bound
        _SHAPES.clear()
    _SHAPES[shape] = (combined, names, [statement for statement, _rows in queue])
    return combined, names
