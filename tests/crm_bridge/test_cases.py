"""Service cases: opened from threads, an SLA clock paused while waiting on the customer, merged, emitted."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.forum import services as forum
from community.forum.models import BoardKind
from community.members.models import Role
from crm_bridge.cases import (
    Case,
    CaseNote,
    CaseStatus,
    case_for_thread,
    merge_cases,
    open_case,
    open_overdue_questions,
    set_case_status,
)
from crm_bridge.leads import create_lead
from crm_bridge.models import FeedbackItem, OutboxEvent


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


# ---- pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role,status", [(None, 302), (Role.member, 404), (Role.moderator, 404),
                                         (Role.staff, 200), (Role.admin, 200)])
def test_only_staff_and_admins_reach_the_case_pages(client, auth, make, role, status):
    customer = make.member("cora")
    thread = make.thread(board=make.board(), author=customer, title="My order arrived broken")
    case = open_case(customer, thread.title, threads=[thread])
    _db.session.commit()
    if role is not None:
        auth.login(make.member("viewer", role=role))
    for path in ("/crm/cases", f"/crm/cases/{case.id}", "/crm/cases/report", "/crm/cases?status=all&owner=none"):
        assert client.get(path).status_code == status, path
    posted = {
        f"/crm/cases/{case.id}/notes": {"body": "customer called twice"},
        f"/crm/cases/{case.id}": {"status": "waiting", "priority": "high", "title": "x"},
        f"/crm/cases/{case.id}/merge": {"others": "999"},
        "/crm/cases": {"thread_id": str(thread.id)},
    }
    for path, data in posted.items():
        code = client.post(path, data=data).status_code
        assert code in ((303, 422) if status == 200 else (status,)), path
    notes = _db.session.scalar(select(func.count()).select_from(CaseNote))
    assert notes == (1 if status == 200 else 0)
    _db.session.refresh(case)
    assert (case.status is CaseStatus.waiting) == (status == 200)


def test_a_complaint_becomes_a_case_and_the_member_sees_the_brand_on_it(client, auth, make):
    customer, other = make.member("cora"), make.member("otto")
    staffer = make.member("sam", role=Role.staff)
    thread = forum.start_thread(customer, make.board(), "Refund refused twice", "I want my money back.",
                                tags=["complaint"])
    _db.session.commit()
    case = case_for_thread(thread.id)
    assert case is not None and case.source == "complaint" and case.member_id == customer.id
    auth.login(customer)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "is looking into this." in page and "/crm/cases/" not in page
    auth.logout()
    auth.login(other)
    assert "is looking into this" not in client.get(f"/t/{thread.id}").get_data(as_text=True)
    auth.logout()
    answer = make.post(thread, author=staffer, body="Refund issued today, sorry for the wait.")
    _db.session.refresh(case)
    assert case.first_response_at is not None and case.status is CaseStatus.open
    auth.login(staffer)
    assert f"#{case.id} Refund refused twice" in client.get("/crm/members/cora").get_data(as_text=True)
    resolved = client.post(f"/crm/cases/{case.id}", data={"status": "resolved", "priority": "normal",
                                                          "title": case.title, "answer_post_id": str(answer.id)})
    assert resolved.status_code == 303
    auth.logout()
    auth.login(customer)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "resolved this." in page and f"/p/{answer.id}" in page


def test_an_overdue_question_becomes_a_case_by_the_scheduler_and_staff_open_cases_from_the_queue(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    questions = make.board(kind=BoardKind.question)
    overdue = make.thread(board=questions, title="Nobody answered my pairing question")
    recent = make.thread(board=questions, title="Just asked about pairing")
    _db.session.execute(update(FeedbackItem).where(FeedbackItem.thread_id == overdue.id)
                        .values(created_at=utcnow() - timedelta(days=3)))
    _db.session.commit()
    assert open_overdue_questions() == 1
    _db.session.commit()
    assert case_for_thread(overdue.id).source == "question" and case_for_thread(recent.id) is None
    auth.login(staffer)
    assert "Open a case" in client.get("/crm/feedback").get_data(as_text=True)
    opened = client.post("/crm/cases", data={"thread_id": str(recent.id)})
    assert opened.status_code == 303
    case = case_for_thread(recent.id)
    assert case.owner_id == staffer.id and opened.headers["Location"].endswith(f"/crm/cases/{case.id}")
    assert client.post("/crm/cases", data={"thread_id": "99999"}).status_code == 404


def test_staff_list_filters_merge_and_the_sla_report(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    customer = make.member("cora")
    board = make.board()
    threads = [make.thread(board=board, author=customer, title=f"Router keeps rebooting {n}") for n in range(3)]
    start = utcnow() - timedelta(days=2)
    cases = [open_case(customer, t.title, threads=[t], opened_at=start, priority=p)
             for t, p in zip(threads, ("urgent", "low", "normal"), strict=True)]
    set_case_status(cases[0], "open", now=start)
    cases[0].first_response_at = start + timedelta(hours=2)
    set_case_status(cases[0], "resolved", now=start + timedelta(hours=10))
    _db.session.commit()
    auth.login(staffer)
    urgent = client.get("/crm/cases?status=all&priority=urgent").get_data(as_text=True)
    assert "Router keeps rebooting 0" in urgent and "Router keeps rebooting 1" not in urgent
    active = client.get("/crm/cases").get_data(as_text=True)
    assert "Router keeps rebooting 0" not in active and active.index("rebooting 2") < active.index("rebooting 1")
    bad = client.post(f"/crm/cases/{cases[1].id}/merge", data={"others": "twelve"})
    assert bad.status_code == 422 and "Name the cases to merge by number" in bad.get_data(as_text=True)
    merged = client.post(f"/crm/cases/{cases[1].id}/merge", data={"others": f"#{cases[2].id}"})
    assert merged.status_code == 303
    page = client.get(f"/crm/cases/{cases[1].id}").get_data(as_text=True)
    assert "Router keeps rebooting 2" in page and "Router keeps rebooting 1" in page
    report = client.get("/crm/cases/report").get_data(as_text=True)
    assert "<svg" in report and "10.0 / 10.0" in report and "2.0 / 2.0" in report


def test_case_note_errors_are_clear(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    case = open_case(make.member("cora"), "Broken hinge")
    _db.session.commit()
    auth.login(staffer)
    empty = client.post(f"/crm/cases/{case.id}/notes", data={"body": "  "})
    assert empty.status_code == 422 and "Write a note first." in empty.get_data(as_text=True)
    assert client.get("/crm/cases/424242").status_code == 404
    assert _db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_the_case_and_lead_lists_cost_the_same_queries_for_3_rows_or_30(client, auth, make, count_queries):
    staffer = make.member("sam", role=Role.staff)
    board = make.board()

    def add(n):
        for i in range(n):
            customer = make.member()
            thread = make.thread(board=board, author=customer, title=f"Problem number {i} of {customer.username}")
            open_case(customer, thread.title, threads=[thread], owner=staffer)
            create_lead(customer, thread=thread)
        _db.session.commit()

    add(3)
    auth.login(staffer)
    with count_queries() as few:
        assert client.get("/crm/cases").status_code == 200 and client.get("/crm/leads").status_code == 200
    add(27)
    with count_queries() as many:
        assert client.get("/crm/cases").status_code == 200 and client.get("/crm/leads").status_code == 200
    assert len(many) <= len(few), many
