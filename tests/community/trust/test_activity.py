"""Activity recorded as it happens moves the level: reading threads, one visit a day, likes given and
received (taken back with the vote), the third reply."""
from __future__ import annotations

from sqlalchemy import func, select

from community.signals import trust_level_changed
from community.trust import services as trust
from community.trust.models import MemberStats, MemberVisit
from tests.community.trust.conftest import LEVEL2, at_level, captured, fresh, give_activity

# ---- recorded on the events ------------------------------------------------------------------

def test_reading_threads_promotes_to_level_one_at_the_boundary(client, auth, make, db):
    reader = make.member("reader")
    threads = []
    for _n in range(5):
        thread = make.thread()
        for _m in range(5):
            make.post(thread)
        threads.append(thread)  # 6 posts each: 5 threads, 30 posts
    auth.login(reader)
    for thread in threads[:4]:
        client.get(f"/t/{thread.id}")
    client.get(f"/t/{threads[0].id}")  # reading a thread again counts nothing new
    assert fresh(db, reader).trust_level == 0
    stats = db.session.get(MemberStats, reader.id)
    assert (stats.topics_entered, stats.posts_read) == (4, 24)
    with captured(trust_level_changed) as seen:
        client.get(f"/t/{threads[4].id}")
    assert fresh(db, reader).trust_level == 1
    assert seen == [(reader.id, {"previous": 0, "level": 1, "by": None, "at": "now"})]
    assert "Trust level 1" in client.get("/u/reader").get_data(as_text=True)
    page = client.get("/notifications").get_data(as_text=True)
    assert "You are now at trust level 1 (Basic member)." in page


def test_a_visit_is_counted_once_per_day(client, auth, make, db):
    member = make.member("daily")
    auth.login(member)
    client.get("/")
    client.get("/latest")
    db.session.rollback()
    assert db.session.get(MemberStats, member.id).days_visited == 1
    assert db.session.scalar(select(func.count()).select_from(MemberVisit)
                             .where(MemberVisit.member_id == member.id)) == 1


def test_upvotes_count_as_likes_given_and_received_and_retracting_takes_them_back(client, auth, make, db):
    author, voter = make.member("author"), make.member("voter")
    thread = make.thread(author=author)
    auth.login(voter)
    assert client.post(f"/p/{thread.id}/vote", data={"value": "1"}).status_code in (200, 302)
    db.session.rollback()
    assert db.session.get(MemberStats, voter.id).likes_given == 1
    assert db.session.get(MemberStats, author.id).likes_received == 1
    client.post(f"/p/{thread.id}/vote", data={"value": "0"})
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(MemberStats, voter.id).likes_given == 0
    assert db.session.get(MemberStats, author.id).likes_received == 0


def test_writing_the_third_reply_promotes_to_level_two(client, auth, make, db):
    member = give_activity(db, make.member("chatty"), **dict(LEVEL2, replies=2))
    assert trust.refresh_trust_level(member) == 1
    thread = make.thread()
    at_level(db, member, 1)
    auth.login(member)
    assert client.post(f"/t/{thread.id}/reply", data={"body": "My third reply."}).status_code == 302
    assert fresh(db, member).trust_level == 2
