"""The database's guarantees for votes (one row per member and post, scores moved in SQL), and members
voting at once on PostgreSQL: exact scores, no overshoot of the allowance, no deadlock."""
from __future__ import annotations

import re
import threading
import weakref

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from community.dbtypes import utcnow
from community.forum.models import Post, Thread
from community.members.models import Member
from community.signals import vote_cast
from community.votes import services as votes
from community.votes.models import Vote
from tests.community.votes.conftest import fresh, vote_rows
from tests.concurrency import require_postgres, run_at_once

# ---- the database guarantees --------------------------------------------------------------------

def test_the_database_refuses_a_second_vote_row_for_the_same_member_and_post(make, db):
    reply = make.post(make.thread())
    voter = make.member()
    db.session.add(Vote(post_id=reply.id, member_id=voter.id, value=1))
    db.session.commit()
    db.session.add(Vote(post_id=reply.id, member_id=voter.id, value=-1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(Vote(post_id=reply.id, member_id=make.member().id, value=2))
    with pytest.raises(IntegrityError):  # a vote is +1 or -1, nothing else
        db.session.commit()


def test_scores_move_in_sql_by_the_delta_not_from_a_stale_copy(make, db, count_queries):
    reply = make.post(make.thread())
    voters = [make.member() for _ in range(3)]
    stale = db.session.get(Post, reply.id)  # loaded with score 0 and kept in this session
    # another session (another request) votes meanwhile
    with db.engine.begin() as other:
        other.execute(Vote.__table__.insert().values(post_id=reply.id, member_id=voters[0].id, value=1,
                                                     created_at=utcnow(), updated_at=utcnow()))
        other.execute(update(Post).where(Post.id == reply.id).values(score=Post.score + 1))
    assert stale.score == 0
    with count_queries() as statements:
        score, mine = votes.cast_vote(voters[1], stale, 1)
    db.session.commit()
    assert (score, mine) == (2, 1) and fresh(db, Post, reply.id).score == 2
    assert any(re.search(r"UPDATE posts SET score=\(posts\.score \+ ", s) for s in statements), statements


# ---- concurrency (PostgreSQL) --------------------------------------------------------------------

@pytest.mark.postgres
def test_fifty_members_voting_at_once_leave_exactly_the_right_score(app, make, db):
    require_postgres(db)
    thread = make.thread()
    opening_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.number == 1))
    thread_id = thread.id
    voter_ids = [make.member().id for _ in range(50)]
    values = {member_id: (1 if n % 5 else -1) for n, member_id in enumerate(voter_ids)}  # 40 up, 10 down

    def vote(member_id):
        member, post = db.session.get(Member, member_id), db.session.get(Post, opening_id)
        votes.cast_vote(member, post, values[member_id])
        db.session.commit()

    run_at_once(app, db, [(vote, (member_id,)) for member_id in voter_ids])
    assert vote_rows(db, opening_id) == values
    assert fresh(db, Post, opening_id).score == 30
    assert fresh(db, Thread, thread_id).score == 30


@pytest.mark.postgres
def test_fifty_members_changing_and_taking_back_votes_at_once_lose_nothing(app, make, db):
    require_postgres(db)
    reply = make.post(make.thread())
    post_id = reply.id
    voter_ids = [make.member().id for _ in range(50)]
    # everyone holds a vote to start with, so the race is on changes and retractions of existing rows
    for n, member_id in enumerate(voter_ids):
        votes.cast_vote(db.session.get(Member, member_id), db.session.get(Post, post_id), 1 if n % 2 else -1)
    db.session.commit()
    sequences = {member_id: [(-1, 1, 0), (1, 0, -1), (0, 1), (-1,), (1, -1, 1, 0, -1)][n % 5]
                 for n, member_id in enumerate(voter_ids)}

    def flip(member_id):
        for value in sequences[member_id]:
            member, post = db.session.get(Member, member_id), db.session.get(Post, post_id)
            votes.cast_vote(member, post, value)
            db.session.commit()

    run_at_once(app, db, [(flip, (member_id,)) for member_id in voter_ids])
    expected = {member_id: seq[-1] for member_id, seq in sequences.items() if seq[-1]}
    assert vote_rows(db, post_id) == expected
    assert fresh(db, Post, post_id).score == sum(expected.values())


@pytest.mark.postgres
def test_one_member_voting_in_many_tabs_at_once_keeps_one_vote(app, make, db):
    require_postgres(db)
    reply = make.post(make.thread())
    post_id, voter_id = reply.id, make.member().id

    def vote(value):
        member, post = db.session.get(Member, voter_id), db.session.get(Post, post_id)
        votes.cast_vote(member, post, value)
        db.session.commit()

    run_at_once(app, db, [(vote, (value,)) for value in (1, -1, 1, 0, -1, 1, 1, -1) * 2])
    rows = vote_rows(db, post_id)
    assert len(rows) <= 1
    assert fresh(db, Post, post_id).score == sum(rows.values())


@pytest.mark.postgres
def test_parallel_tabs_cannot_overshoot_the_daily_allowance(app, make, db):
    require_postgres(db)
    app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"] = [3]
    try:
        thread = make.thread()
        post_ids = [make.post(thread).id for _ in range(12)]
        voter_id = make.member().id
        refused = []

        def vote(post_id):
            member, post = db.session.get(Member, voter_id), db.session.get(Post, post_id)
            try:
                votes.cast_vote(member, post, 1)
                db.session.commit()
            except votes.VoteLimitReached:
                db.session.rollback()
                refused.append(post_id)

        run_at_once(app, db, [(vote, (post_id,)) for post_id in post_ids])
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Vote)) == 3 and len(refused) == 9
        assert db.session.scalar(select(func.sum(Post.score)).where(Post.id.in_(post_ids))) == 3
    finally:
        app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"] = [10, 30, 50, 70, 100]


@pytest.mark.postgres
def test_votes_do_not_deadlock_when_subscribers_run_in_another_order(app, make, db):
    """Two gunicorn workers may call vote_cast's subscribers (reputation, trust levels, badges...) in
    different orders (blinker keeps them in a set), so their row locks come crosswise; votes on one
    author's posts from both must still all go through."""
    require_postgres(db)

    thread = make.thread()
    author = make.member("popular")
    post_ids = [make.post(thread, author=author).id for _ in range(6)]
    voter_ids = [make.member().id for _ in range(12)]
    process = threading.local()
    receivers = [ref() if isinstance(ref, weakref.ref) else ref for ref in list(vote_cast.receivers.values())]
    receivers = [receiver for receiver in receivers if receiver is not None]
    assert len(receivers) >= 2, "this test needs the real subscribers"

    def subscribers_in_this_process_order(post, **kwargs):
        for receiver in (receivers if process.forward else reversed(receivers)):
            receiver(post, **kwargs)

    def vote(n, member_id):
        process.forward = bool(n % 2)  # half the voters served by "worker 1", half by "worker 2"
        for post_id in post_ids[n % 6:] + post_ids[:n % 6]:
            member, post = db.session.get(Member, member_id), db.session.get(Post, post_id)
            votes.cast_vote(member, post, 1)
            db.session.commit()

    for receiver in receivers:
        vote_cast.disconnect(receiver)
    vote_cast.connect(subscribers_in_this_process_order)
    try:
        run_at_once(app, db, [(vote, (n, member_id)) for n, member_id in enumerate(voter_ids)])
    finally:
        vote_cast.disconnect(subscribers_in_this_process_order)
        for receiver in receivers:
            # weak=False as the areas connect them: a weak reconnect lets closures be garbage-collected,
            # silently unsubscribing them for every later test (the webhook outbox lost vote.cast)
            vote_cast.connect(receiver, weak=False)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 72
    assert set(db.session.scalars(select(Post.score).where(Post.id.in_(post_ids)))) == {12}
