"""What the CRM does on a reply's path reads no more than it needs (issue 18), and writes the same rows."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event, select, update

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.forum import services as forum
from community.forum.models import Thread
from community.mail.models import PendingNotificationMail
from community.members.models import Member
from community.notifications.models import Notification
from crm_bridge import cases, scores, timeline
from crm_bridge.models import (
    CrmProfile,
    DailyActive,
    DailyMood,
    FeedbackItem,
    FeedbackKind,
    OutboxEvent,
    PostSentiment,
    TimelineEvent,
)


def test_a_reply_to_another_members_thread_never_loads_the_thread_authors_row(make):
    host, replier = make.member("hostess"), make.member("ruth")
    thread = make.thread(board=make.board(), author=host, title="Bug: the export button does nothing")
    thread_id, host_id, replier_id = thread.id, host.id, replier.id
    before = _db.session.scalar(select(CrmProfile.event_count).where(CrmProfile.member_id == replier_id))
    _db.session.commit()
    _db.session.expunge_all()  # as a request starts: the replier and the thread, nothing else
    replier, thread = _db.session.get(Member, replier_id), _db.session.get(Thread, thread_id)
    seen = []

    def listen(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(_db.engine, "before_cursor_execute", listen)
    try:
        post = forum.reply(replier, thread, "Same here, the export button does nothing on my laptop either.")
        _db.session.flush()
    finally:
        event.remove(_db.engine, "before_cursor_execute", listen)
    # the followers' rows come with the notifications (the author follows their thread); no other members row
    wide = [s for s in seen if "members.password_hash" in s and "thread_follows" not in s]
    assert wide == []  # the feedback item's check and the outbox payload need the author's id and name only
    _db.session.commit()
    payload = _db.session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "post.created")
                                  .order_by(OutboxEvent.id.desc())).first()
    assert payload["data"]["thread"]["author"] == {"id": host_id, "username": "hostess"}
    assert payload["data"]["post"]["author"] == {"id": replier_id, "username": "ruth"}
    assert _db.session.scalar(select(TimelineEvent.kind).where(TimelineEvent.post_id == post.id)) == "replied"
    profile = _db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == replier_id))
    assert profile.event_count > before and profile.last_active_at is not None
    assert profile.engagement > 0  # the scores at commit counted the reply
    assert _db.session.scalar(select(DailyActive.member_id).where(DailyActive.member_id == replier_id)) == replier_id
    assert _db.session.scalar(select(DailyMood.posts).where(DailyMood.board_id == thread.board_id)) >= 1


def test_a_reply_by_the_thread_author_leaves_the_feedback_item_unanswered(make):
    host, other = make.member("hostess"), make.member("otto")
    thread = make.thread(board=make.board(), author=host, title="Bug: the export button does nothing")
    item = _db.session.scalar(select(FeedbackItem).where(FeedbackItem.thread_id == thread.id))
    forum.reply(host, thread, "Still broken this morning, any news?")
    _db.session.commit()
    if item is not None:
        _db.session.refresh(item)
        assert item.first_reply_at is None  # the author's own reply is not an answer
        forum.reply(other, thread, "I can reproduce it on my laptop too.")
        _db.session.commit()
        _db.session.refresh(item)
        assert item.first_reply_at is not None


def test_a_profile_loaded_before_an_entry_reads_the_entry_counted(make):
    member = make.member("lena")
    _db.session.commit()
    profile = _db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == member.id))
    before, active_before = profile.event_count, profile.last_active_at
    timeline.record(member, "poll_ballot", at=active_before + timedelta(hours=1))
    assert profile.event_count == before + 1  # the session's copy, not stale
    assert profile.last_active_at == active_before + timedelta(hours=1)
    timeline.record(member, "badge", at=active_before - timedelta(days=3), active=False)
    assert profile.event_count == before + 2 and profile.last_active_at == active_before + timedelta(hours=1)


def test_a_reply_writes_the_rows_nothing_reads_back_in_one_statement_and_every_one_of_them(make, count_queries):
    host, replier = make.member("hostess"), make.member("ruth")
    thread = make.thread(board=make.board(), author=host, title="How do I export my data?")  # the host follows it
    _db.session.commit()
    with count_queries() as statements:
        post = forum.reply(replier, thread, "Settings, then Privacy, then Export: it mails you a zip file.")
        _db.session.flush()
    _db.session.commit()
    assert _db.session.scalar(select(TimelineEvent.kind).where(TimelineEvent.post_id == post.id)) == "replied"
    assert [p["data"]["post"]["id"] for p in _db.session.scalars(
        select(OutboxEvent.payload).where(OutboxEvent.type == "post.created"))][-1] == post.id
    assert _db.session.scalar(select(PostSentiment.post_id).where(PostSentiment.post_id == post.id)) == post.id
    assert _db.session.scalar(select(DailyActive.member_id).where(DailyActive.member_id == replier.id)) == replier.id
    assert _db.session.scalar(select(PendingNotificationMail.member_id).join(
        Notification, Notification.id == PendingNotificationMail.notification_id)
        .where(Notification.post_id == post.id)) == host.id
    if _db.engine.dialect.name == "postgresql":
        # the CRM's entry, day mark, outbox row and sentiment, and the host's pending mail: one statement
        # (community/dbbatch.py), sent when the subscribers are done
        combined = [s for s in statements if "INSERT INTO crm_timeline_events" in s]
        assert len(combined) == 1, statements
        assert all(table in combined[0] for table in
                   ("crm_outbox", "crm_post_sentiments", "crm_daily_active", "mail_pending_notifications"))


def test_a_reply_asks_for_its_threads_feedback_item_and_case_in_one_statement(make, count_queries):
    host, staff = make.member("hostess"), make.member("sam", role="staff")
    thread = make.thread(board=make.board(), author=host, title="Complaint: my order never arrived")
    case = cases.open_case(host, "Order never arrived", threads=[thread], by=staff)
    if _db.session.scalar(select(FeedbackItem).where(FeedbackItem.thread_id == thread.id)) is None:
        _db.session.add(FeedbackItem(thread=thread, member=host, kind=FeedbackKind.complaint,
                                     created_at=thread.created_at))
    _db.session.commit()
    case_id = case.id
    with count_queries() as statements:
        forum.reply(staff, thread, "Sorry about that: we are sending a replacement today.")
        _db.session.flush()
    # the item's and the live case's look-ups by thread (loading the case's own threads afterwards is another)
    asked = [s for s in statements if re.search(r"crm_feedback_items\.thread_id = (\?|%\()", s)
             or "merged_into_id IS NULL" in s]
    assert len(asked) == 1 and "crm_feedback_items" in asked[0] and "crm_case" in asked[0], asked
    _db.session.commit()
    item = _db.session.scalar(select(FeedbackItem).where(FeedbackItem.thread_id == thread.id))
    assert item.first_reply_at is not None and item.first_official_reply_at is not None
    assert _db.session.get(cases.Case, case_id).first_response_at is not None


def test_a_replys_scores_are_read_in_one_statement_and_a_member_without_entries_still_gets_them(make, count_queries):
    host, replier = make.member("hostess"), make.member("ruth")
    thread = make.thread(board=make.board(), author=host)
    _db.session.commit()
    with count_queries() as statements:
        forum.reply(replier, thread, "Thanks, that answered my question about the export.")
        _db.session.commit()
    assert len([s for s in statements if "FROM crm_timeline_events" in s and "GROUP BY" in s]) == 1
    assert not [s for s in statements if "FROM crm_timeline_events" in s and "GROUP BY" not in s
                and s.lstrip().startswith("SELECT (SELECT count")], statements
    quiet = make.member("quiet")
    _db.session.execute(update(TimelineEvent).where(TimelineEvent.member_id == quiet.id)
                        .values(occurred_at=utcnow() - timedelta(days=200)))
    profile = _db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == quiet.id))
    found = scores.compute(profile)  # no entry in 90 days: the other counts are asked alone
    assert found.engagement.value == 0 and found.risk.value == 0 and found.advocacy.value == 0
