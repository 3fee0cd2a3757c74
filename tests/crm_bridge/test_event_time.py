"""A CRM event takes the time of the community event it records, always, not the time it was written.

Some tests replay a community signal for an event that happened in the past (as an import would): a
subscriber that dated its rows at the time of writing would put them on today and fail. Others load
past events through the real services inside `stamping_at` (as the demo does) and read what a staff
member sees: the profile timeline, the dashboard's charts, response times and members at risk.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, timedelta

from sqlalchemy import select

from community import signals
from community.dbtypes import stamping_at, utcnow
from community.forum import services as forum
from community.forum.models import BoardKind
from community.members.models import Role
from community.votes.models import Vote
from community.votes.services import cast_vote
from crm_bridge.models import CrmProfile, DailyActive, FeedbackItem, OutboxEvent, TimelineEvent


def chart_value(page: str, title: str, day: str) -> int:
    section = page[page.index(title):]
    return int(re.search(rf"<td>{day}</td><td>(\d+)</td>", section).group(1))


def response_row(page: str, kind_label: str) -> list[str]:
    section = page[page.index("Response times"):]
    row = re.search(rf"<tr><td>{kind_label}</td>(.*?)</tr>", section, re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", row)


def entries(db, member, kind):
    return db.session.scalars(select(TimelineEvent).where(TimelineEvent.member_id == member.id,
                                                          TimelineEvent.kind == kind)).all()


def test_a_post_written_in_the_past_lands_on_the_timeline_at_its_own_time(db, make, client, auth):
    ivy, bob = make.member("ivy"), make.member("bob")
    thread = make.thread(author=ivy)
    written = utcnow() - timedelta(days=20, hours=3)
    with stamping_at(written):
        reply = forum.reply(bob, thread, "Try the 5 GHz band, it fixed it for me.")
        db.session.flush()
    db.session.commit()

    assert reply.created_at == written
    [entry] = entries(db, bob, "replied")
    assert entry.occurred_at == written
    staffer = make.member("sam", role=Role.staff)
    auth.login(staffer)
    page = client.get("/crm/members/bob").get_data(as_text=True)
    assert f'datetime="{written.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}"' in page  # the entry, as staff read it on the profile


def test_a_replayed_post_is_dated_at_its_created_at_not_at_the_time_of_writing(db, make):
    ivy, bob = make.member("ivy"), make.member("bob")
    thread = make.thread(author=ivy)
    reply = make.post(thread, author=bob)
    happened = utcnow() - timedelta(days=40)
    reply.created_at = happened
    db.session.flush()
    signals.post_created.send(reply, mentioned=[], reply_to=None)  # an import replaying an old post
    db.session.commit()

    replayed = [e for e in entries(db, bob, "replied") if e.occurred_at < utcnow() - timedelta(days=1)]
    assert [e.occurred_at for e in replayed] == [happened]
    assert db.session.get(DailyActive, (happened.strftime("%Y-%m-%d"), bob.id)) is not None
    payload = db.session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "post.created")
                                 .order_by(OutboxEvent.id.desc())).first()
    assert payload["timestamp"] == happened.isoformat()


def test_a_vote_from_the_past_is_dated_at_the_signals_at_and_never_moves_last_active_back(db, make):
    ivy, bob = make.member("ivy"), make.member("bob")
    thread = make.thread(author=ivy)
    post = make.post(thread, author=bob)
    before = db.session.scalar(select(CrmProfile.last_active_at).where(CrmProfile.member_id == ivy.id))
    voted = utcnow() - timedelta(days=12)
    signals.vote_cast.send(post, voter=ivy, value=1, previous=0, at=voted)
    db.session.commit()

    [given] = entries(db, ivy, "vote_given")
    [received] = entries(db, bob, "vote_received")
    assert given.occurred_at == voted and received.occurred_at == voted
    assert db.session.get(DailyActive, (voted.strftime("%Y-%m-%d"), ivy.id)) is not None
    db.session.expire_all()
    assert db.session.scalar(select(CrmProfile.last_active_at).where(CrmProfile.member_id == ivy.id)) == before


def test_the_vote_service_signals_the_time_it_stamped_on_the_vote(db, make):
    ivy, bob = make.member("ivy"), make.member("bob")
    post = make.post(make.thread(author=ivy), author=bob)
    voted = utcnow() - timedelta(days=3, hours=5)
    with stamping_at(voted):
        cast_vote(ivy, post, 1)
        db.session.flush()
    db.session.commit()
    vote = db.session.scalar(select(Vote).where(Vote.post_id == post.id))
    assert vote.created_at == voted == vote.updated_at
    assert [e.occurred_at for e in entries(db, ivy, "vote_given")] == [voted]


def test_first_response_time_is_computed_from_the_real_times(db, make, client, auth):
    questions = make.board(kind=BoardKind.question)
    asker, helper = make.member("asker"), make.member("helper")
    staffer = make.member("sam", role=Role.staff)
    asked = utcnow() - timedelta(days=5)
    with stamping_at(asked):
        thread = forum.start_thread(asker, questions, "Night vision is washed out", "Any setting for this?")
        db.session.flush()
    with stamping_at(asked + timedelta(hours=2)):
        forum.reply(helper, thread, "Turn off the IR light when a lamp is on.")
        db.session.flush()
    with stamping_at(asked + timedelta(hours=7, minutes=30)):
        forum.reply(staffer, thread, "Firmware 2.9 adds an IR strength setting.")
        db.session.flush()
    db.session.commit()

    item = db.session.scalar(select(FeedbackItem).where(FeedbackItem.thread_id == thread.id))
    assert item.created_at == asked
    assert item.first_reply_at == asked + timedelta(hours=2)
    assert item.first_official_reply_at == asked + timedelta(hours=7, minutes=30)
    auth.login(staffer)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    assert response_row(page, "Question") == ["1", "7.5", "1"]  # items, median hours, answered by staff
    posted = Counter((asked + timedelta(hours=h)).date().isoformat() for h in (0, 2, 7.5))
    assert {day: chart_value(page, "Posts per day", day) for day in posted} == posted


def test_a_member_quiet_since_their_past_activity_is_at_risk_on_the_dashboard(db, make, client, auth):
    busy = utcnow() - timedelta(days=45)
    with stamping_at(busy - timedelta(days=1)):
        ivy, bob = make.member("ivy"), make.member("bob")
    staffer = make.member("sam", role=Role.staff)
    with stamping_at(busy):
        thread = forum.start_thread(ivy, make.board(), "My mesh layout", "Three nodes, two floors.")
        db.session.flush()
    for n in range(14):
        with stamping_at(busy + timedelta(hours=n + 1)):
            forum.reply(bob if n % 2 else ivy, thread, f"Reply number {n} about the layout.")
            db.session.flush()
    db.session.commit()

    profile = db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == ivy.id))
    assert profile.last_active_at == busy + timedelta(hours=13)  # ivy's last reply
    assert profile.event_count >= 10
    auth.login(staffer)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    at_risk = page[page.index("Members at risk"):]
    assert "ivy" in at_risk and "Quiet for 30 days after" in at_risk
    # 45 days ago is outside the charts' 30 days: nothing of it shows as posted today
    assert chart_value(page, "Posts per day", utcnow().date().isoformat()) == 0
