"""Service cases: opened from threads, an SLA clock paused while waiting on the customer, merged, emitted."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.forum.models import BoardKind
from community.members.models import Role
from crm_bridge.cases import CaseStatus, merge_cases, open_case, set_case_status
from crm_bridge.models import OutboxEvent


def _events(kind):
    return _db.session.scalars(select(OutboxEvent).where(OutboxEvent.type == kind)).all()


def test_waiting_for_the_customer_pauses_the_clock_and_resolving_stops_it(make):
    staffer = make.member("sam", role=Role.staff)
    customer = make.member("cora")
    thread = make.thread(board=make.board(kind=BoardKind.question), author=customer, title="Refund never arrived")
    start = utcnow() - timedelta(hours=10)
    case = open_case(customer, thread.title, threads=[thread], by=staffer, source="complaint", opened_at=start)
    assert case.status is CaseStatus.new and case.board_id == thread.board_id
    set_case_status(case, "waiting", by=staffer, now=start + timedelta(hours=1))
    set_case_status(case, "open", by=staffer, now=start + timedelta(hours=4))
    set_case_status(case, "resolved", by=staffer, now=start + timedelta(hours=6))
    _db.session.commit()
    assert case.paused_seconds == 3 * 3600 and case.resolved_at == start + timedelta(hours=6)
    assert [e.payload["data"]["case"]["status"] for e in _events("case.changed")][-1] == "resolved"
    assert open_case(customer, "again", threads=[thread]) is case  # one live case per thread


def test_merging_moves_the_threads_and_closes_the_others(make):
    customer = make.member("cora")
    board = make.board()
    one, two = make.thread(board=board, author=customer), make.thread(board=board, author=customer)
    first, second = open_case(customer, "Battery drains", threads=[one]), open_case(customer, "Battery", threads=[two])
    merge_cases(first, [second])
    _db.session.commit()
    assert {t.id for t in first.threads} == {one.id, two.id}
    assert second.merged_into_id == first.id and second.status is CaseStatus.closed and second.threads == []
    assert _events("case.merged")[0].payload["data"]["merged_ids"] == [second.id]
