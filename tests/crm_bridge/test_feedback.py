"""Feedback items and response times in the CRM."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.forum import services as forum
from community.forum.models import BoardKind
from community.members.models import Role
from crm_bridge.models import FeedbackItem


def item_of(thread) -> FeedbackItem | None:
    return _db.session.scalar(select(FeedbackItem).where(FeedbackItem.thread_id == thread.id))


def test_board_kind_and_tags_make_feedback_items_and_plain_talk_does_not(make):
    ideas, questions, talk = make.board(kind=BoardKind.idea), make.board(kind=BoardKind.question), make.board()
    member = make.member("ivy")
    assert item_of(make.thread(board=ideas, author=member)).kind.value == "idea"
    assert item_of(make.thread(board=questions, author=member)).kind.value == "question"
    assert item_of(make.thread(board=talk, author=member)) is None
    bug = forum.start_thread(member, talk, "App crashes on login", "Every time since 3.2.", tags=["bug"])
    praise = forum.start_thread(member, talk, "客服太棒了", "当天就解决了我的问题。", tags=["表扬"])
    _db.session.commit()
    assert item_of(bug).kind.value == "bug" and item_of(praise).kind.value == "praise"


def test_first_reply_and_first_official_reply_are_stamped_once(make):
    asker, helper = make.member("asker"), make.member("helper")
    staffer = make.member("sam", role=Role.staff)
    thread = make.thread(board=make.board(kind=BoardKind.question), author=asker)
    make.post(thread, author=asker, body="Adding a detail: it happens on Wi-Fi only.")
    item = item_of(thread)
    assert item.first_reply_at is None and item.status.value == "open"  # the asker's own follow-up is no reply
    make.post(thread, author=helper, body="Same here; a reboot helps for a day.")
    first = item_of(thread).first_reply_at
    make.post(thread, author=staffer, body="Fixed in firmware 2.1, out today.")
    make.post(thread, author=staffer, body="Also: the release notes are on the blog.")
    item = item_of(thread)
    _db.session.refresh(item)
    assert item.first_reply_at == first and item.first_official_reply_at is not None
    assert item.first_official_reply_at >= item.first_reply_at and item.status.value == "answered"


def test_response_queue_lists_unanswered_feedback_past_the_target_longest_first(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    questions = make.board(kind=BoardKind.question)
    old = make.thread(board=questions, title="Waiting since Monday for warranty help")
    older = make.thread(board=questions, title="Waiting since last week about a refund")
    answered = make.thread(board=questions, title="Answered quickly by staff")
    fresh = make.thread(board=questions, title="Asked a minute ago")
    make.post(answered, author=staffer, body="Here is how to do it.")
    for thread, hours in ((old, 30), (older, 200), (answered, 50)):
        _db.session.execute(update(FeedbackItem).where(FeedbackItem.thread_id == thread.id)
                            .values(created_at=utcnow() - timedelta(hours=hours)))
    _db.session.commit()
    auth.login(staffer)
    page = client.get("/crm/response-queue").get_data(as_text=True)
    assert page.index("about a refund") < page.index("for warranty help")
    assert "Answered quickly" not in page and fresh.title not in page


def test_staff_reclassify_feedback_and_bad_values_are_refused(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    thread = make.thread(board=make.board(kind=BoardKind.question), title="Why is my bill higher this month?")
    auth.login(staffer)
    item = item_of(thread)
    assert client.post(f"/crm/feedback/{item.id}", data={"kind": "complaint", "status": "open"}).status_code == 302
    _db.session.refresh(item)
    assert item.kind.value == "complaint" and item.kind_set_by_staff
    listed = client.get("/crm/feedback?kind=complaint").get_data(as_text=True)
    assert "Why is my bill higher this month?" in listed
    bad = client.post(f"/crm/feedback/{item.id}", data={"kind": "rant", "status": "open"})
    assert bad.status_code == 422 and "Choose a kind and a status" in bad.get_data(as_text=True)
    assert client.post("/crm/feedback/999999", data={"kind": "bug", "status": "open"}).status_code == 404


@pytest.mark.parametrize("role", [None, Role.member, Role.moderator])
def test_feedback_pages_are_invisible_to_non_staff(client, auth, make, role):
    thread = make.thread(board=make.board(kind=BoardKind.idea))
    if role is not None:
        auth.login(make.member("viewer", role=role))
    expected = 302 if role is None else 404
    assert client.get("/crm/feedback").status_code == expected
    assert client.get("/crm/response-queue").status_code == expected
    assert client.post(f"/crm/feedback/{item_of(thread).id}", data={"kind": "bug", "status": "closed"}).status_code == expected
    assert item_of(thread).kind.value == "idea"
