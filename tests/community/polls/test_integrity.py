"""The database keeps a poll's rules on its own (one ballot, one single-choice vote, no foreign
options), and concurrent voters on PostgreSQL leave counts equal to the ballots."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from community.dbtypes import utcnow
from community.members.models import Member
from community.polls import services as polls
from community.polls.models import Poll, PollBallot, PollOption, PollVote
from tests.community.polls.conftest import add_poll, counts, option_ids, row_count

# ---- the database keeps the rules on its own ------------------------------------------------

def test_database_forbids_second_ballot_and_second_single_vote(make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red, green, _ = option_ids(poll)
    voter = make.member()
    polls.cast_ballot(voter, poll, [red])
    db.session.commit()
    for statement in (
        insert(PollBallot).values(poll_id=poll.id, member_id=voter.id, created_at=utcnow(), updated_at=utcnow()),
        insert(PollVote).values(poll_id=poll.id, member_id=voter.id, option_id=green, multiple=False),
        insert(PollVote).values(poll_id=poll.id, member_id=voter.id, option_id=green, multiple=True),
    ):
        with pytest.raises(IntegrityError):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()


def test_database_forbids_votes_without_ballot_or_on_foreign_options(make, db):
    thread, elsewhere = make.thread(), make.thread()
    poll, other = add_poll(thread, thread.author), add_poll(elsewhere, elsewhere.author)
    voter = make.member()
    polls.cast_ballot(voter, poll, [option_ids(poll)[0]])
    db.session.commit()
    stranger = make.member()
    for statement in (
        insert(PollVote).values(poll_id=poll.id, member_id=stranger.id, option_id=option_ids(poll)[1], multiple=False),
        insert(PollVote).values(poll_id=poll.id, member_id=voter.id, option_id=option_ids(other)[1], multiple=False),
    ):
        with pytest.raises(IntegrityError):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()


# ---- concurrency (PostgreSQL) ----------------------------------------------------------------

@pytest.mark.postgres
def test_concurrent_voters_counts_equal_ballots(app, make, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers and refuses stale ones (set TEST_DATABASE_URL)")
    thread = make.thread()
    poll = add_poll(thread, thread.author, options=("A", "B", "C", "D"), multiple=True, max_choices=2)
    ids = option_ids(poll)
    voters = [make.member() for _ in range(30)]
    voter_ids = [v.id for v in voters]
    poll_id = poll.id
    barrier = threading.Barrier(len(voter_ids))
    errors: list[BaseException] = []

    def vote(n: int, member_id: int):
        with app.app_context():
            try:
                barrier.wait(timeout=30)  # then all at once (as many at a time as the pool has connections)
                member = db.session.get(Member, member_id)
                target = db.session.get(Poll, poll_id)
                # first ballot, then change it: new ballots and replacements race each other
                for choice in ([ids[n % 4], ids[(n + 1) % 4]], [ids[(n + 2) % 4]], [ids[n % 4], ids[(n + 3) % 4]]):
                    polls.cast_ballot(member, target, choice)
                    db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    workers = [threading.Thread(target=vote, args=(n, member_id)) for n, member_id in enumerate(voter_ids)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert not errors, errors[:3]
    db.session.expire_all()
    ballots = row_count(db, PollBallot, PollBallot.poll_id == poll_id)
    votes = dict(db.session.execute(select(PollVote.option_id, func.count()).where(PollVote.poll_id == poll_id)
                                    .group_by(PollVote.option_id)).all())
    stored = dict(db.session.execute(select(PollOption.id, PollOption.vote_count)
                                     .where(PollOption.poll_id == poll_id)).all())
    assert ballots == 30 and db.session.get(Poll, poll_id).voter_count == 30
    assert stored == {option_id: votes.get(option_id, 0) for option_id in ids}
    assert sum(stored.values()) == 60  # every final ballot holds two options
    expected = {option_id: 0 for option_id in ids}
    for n in range(30):
        expected[ids[n % 4]] += 1
        expected[ids[(n + 3) % 4]] += 1
    assert stored == expected


@pytest.mark.postgres
def test_same_member_racing_themselves_keeps_one_single_vote(app, make, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL)")
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    ids, poll_id = option_ids(poll), poll.id
    voter_id = make.member().id
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def vote(n: int):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                member, target = db.session.get(Member, voter_id), db.session.get(Poll, poll_id)
                polls.cast_ballot(member, target, [ids[n % 3]])
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    workers = [threading.Thread(target=vote, args=(n,)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert not errors, errors[:3]
    db.session.expire_all()
    assert row_count(db, PollBallot) == 1 and row_count(db, PollVote) == 1
    assert sum(counts(db, poll).values()) == 1 and db.session.get(Poll, poll_id).voter_count == 1
