"""Moves of a member's ledger-backed counter columns (reputation, points): at once, or once per member per batch.

`move(member_id, reputation=..., points=...)` runs `col = col + delta` in SQL at once, as the ledgers always did.
Inside `batched()` (the vote effects drain, community/votes/effects.py, which holds the members' rows locked),
the moves are summed per member instead and written by one UPDATE per member, in id order, when the batch
ends (`flush()`), in the same transaction as the ledger rows: the columns still equal their ledgers at commit.
Until then a loaded member's attribute is moved in memory (as the ORM's own UPDATE would have set it), and
anything that reads these columns in SQL inside the batch calls `flush()` first (the custom badges' reputation
measure, community/reputation/badges.py).
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from .. import dbbatch
from ..extensions import db
from .models import Member

PENDING = "community.member_counters_pending"  # session.info: {member id: {column: delta}} while batched
COLUMNS = ("reputation", "points")


def move(member_id: int, **deltas: int) -> None:
    """Move the member's `reputation` and/or `points` by these deltas (now, or at the end of the batch)."""
    deltas = {name: delta for name, delta in deltas.items() if delta}
    if not deltas:
        return
    assert set(deltas) <= set(COLUMNS), deltas
    session = db.session()
    pending = session.info.get(PENDING)
    if pending is None:
        session.execute(update(Member).where(Member.id == member_id)
                        .values({name: getattr(Member, name) + delta for name, delta in deltas.items()}))
        return
    moves = pending.setdefault(member_id, {})
    for name, delta in deltas.items():
        moves[name] = moves.get(name, 0) + delta
    member = session.identity_map.get(identity_key(Member, member_id))
    if member is not None:
        loaded = member.__dict__
        for name, delta in deltas.items():
            if loaded.get(name) is not None:
                set_committed_value(member, name, loaded[name] + delta)


def flush() -> None:
    """Write the batch's pending moves: one UPDATE per member, in id order (the drain's lock order)."""
    session = db.session()
    pending = session.info.get(PENDING)
    if not pending:
        return
    moves = sorted(pending.items())
    pending.clear()
    for member_id, deltas in moves:
        deltas = {name: delta for name, delta in deltas.items() if delta}
        if deltas:
            table = Member.__table__  # core: the loaded members were moved in memory already
            session.execute(update(table).where(table.c.id == member_id)
                            .values({name: table.c[name] + delta for name, delta in deltas.items()}))


def batched():
    """Sum the counter moves made inside per member and write them when the block ends without an error."""
    return dbbatch.pending(PENDING, dict, flush)
