"""dbbatch's combined statement: built once per shape and compiled once (issue 18), the same rows written."""
from __future__ import annotations

from sqlalchemy import event, func, insert, select
from sqlalchemy.engine.interfaces import CacheStats

from community import dbbatch
from community.dbtypes import utcnow
from crm_bridge.models import DailyActive, TimelineEvent


def test_a_combined_block_of_a_shape_seen_before_reuses_its_compiled_statement(make, db):
    member = make.member()
    db.session.commit()
    hits = []

    def listen(_conn, _cursor, statement, _parameters, context, _executemany):
        if "crm_daily_active" in statement:
            hits.append(context.cache_hit)

    def block(day: str, excerpt: str):
        with dbbatch.combined():
            dbbatch.insert(insert(DailyActive.__table__), {"day": day, "member_id": member.id})
            dbbatch.insert(insert(TimelineEvent.__table__), [
                {"member_id": member.id, "kind": "badge", "excerpt": excerpt, "data": {"n": n}, "occurred_at": utcnow()} for n in (1, 2)])

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        block("2026-02-01", "first")
        block("2026-02-02", "second")  # the same shape, other values
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    db.session.commit()
    # a multi-row VALUES has no cache key: SQLAlchemy would compile it afresh on every send
    assert hits[-1] is CacheStats.CACHE_HIT, hits
    assert db.session.scalar(select(func.count()).select_from(DailyActive).where(
        DailyActive.member_id == member.id, DailyActive.day.in_(["2026-02-01", "2026-02-02"]))) == 2
    written = db.session.execute(select(TimelineEvent.excerpt, TimelineEvent.data).where(
        TimelineEvent.member_id == member.id, TimelineEvent.excerpt.in_(["first", "second"]))).all()
    assert sorted((excerpt, data["n"]) for excerpt, data in written) == [
        ("first", 1), ("first", 2), ("second", 1), ("second", 2)]


def test_a_row_that_leaves_a_column_to_its_default_gets_it(make, db):
    member = make.member()
    db.session.commit()
    with dbbatch.combined():
        dbbatch.insert(insert(DailyActive.__table__), {"day": "2026-02-03", "member_id": member.id})
        dbbatch.insert(insert(TimelineEvent.__table__), {"member_id": member.id, "kind": "badge"})  # defaults
    db.session.commit()
    event_row = db.session.execute(select(TimelineEvent.excerpt, TimelineEvent.data, TimelineEvent.occurred_at)
                                   .where(TimelineEvent.member_id == member.id, TimelineEvent.kind == "badge")
                                   .order_by(TimelineEvent.id.desc()).limit(1)).one()
    assert event_row.excerpt == "" and event_row.data == {} and event_row.occurred_at is not None
