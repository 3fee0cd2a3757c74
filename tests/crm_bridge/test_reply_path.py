"""What the CRM does on a reply's path reads no more than it needs (issue 18), and writes the same rows."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from community.extensions import db as _db
from community.forum import services as forum
from community.forum.models import Thread
from community.members.models import Member
from crm_bridge import timeline
from crm_bridge.models import CrmProfile, DailyActive, DailyMood, FeedbackItem, OutboxEvent, TimelineEvent


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
