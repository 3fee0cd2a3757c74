"""A vote's lagging effects (reputation, reward points, badges, trust likes) follow it after commit from a
durable marker: exact once drained, kept through a failed drain, applied once however often the drain runs,
and by one of several processes draining at once (PostgreSQL)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import event, func, select, update

from community import settings
from community.forum.models import Post
from community.members.models import Member
from community.registry import scheduled_jobs
from community.reputation import services as ledger
from community.reputation.badges import standing_upvotes
from community.reputation.models import Badge, BadgeGrant, ReputationEntry, ReputationReason
from community.rewards.models import PointsEntry
from community.rewards.services import points_ledger_total
from community.signals import trust_level_changed, vote_settled
from community.trust.models import MemberStats
from community.votes import effects
from community.votes import services as votes
from community.votes.models import Vote, VoteEffect
from tests.community.votes.conftest import captured
from tests.concurrency import require_postgres, run_at_once

R = ReputationReason


def vote(db, voter, post, value):
    votes.cast_vote(voter, post, value)
    db.session.commit()


def markers(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(VoteEffect))


def vote_entries(db, member):
    db.session.rollback()
    return [(e.delta, e.reason, e.actor_id) for e in db.session.scalars(
        select(ReputationEntry).where(ReputationEntry.member_id == member.id,
                                      ReputationEntry.reason.in_(ledger.VOTE_REASONS)).order_by(ReputationEntry.id))]


def member_row(db, member):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Member, member.id)


def likes(db, member) -> tuple[int, int]:
    db.session.rollback()
    db.session.expire_all()
    row = db.session.get(MemberStats, member.id)
    return (row.likes_given, row.likes_received) if row is not None else (0, 0)


def counted_statements(db, run) -> list[str]:
    statements = []
    listener = lambda _c, _cur, statement, *_a: statements.append(" ".join(statement.split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return statements


@pytest.fixture
def held(monkeypatch):
    """Votes commit their markers but nothing drains them after commit (as if the process died then)."""
    monkeypatch.setattr(effects, "_drain_after_commit", lambda app: None)


def test_after_commit_the_effects_are_applied_and_no_marker_is_left(db, make):
    author, voter = make.member(), make.member()
    reply = make.post(make.thread(), author=author)
    vote(db, voter, reply, 1)
    assert markers(db) == 0
    assert vote_entries(db, author) == [(10, R.upvote_received, voter.id)]
    assert member_row(db, author).reputation == ledger.ledger_total(author.id)
    assert likes(db, voter) == (1, 0) and likes(db, author) == (0, 1)
    assert member_row(db, author).points == ledger.ledger_total(author.id)  # 1 point per reputation point


def test_a_vote_whose_drain_never_ran_keeps_its_marker_and_the_scheduled_job_applies_it(db, make, held, app):
    author, voter = make.member(), make.member()
    reply = make.post(make.thread(), author=author)
    vote(db, voter, reply, 1)
    assert db.session.get(Post, reply.id).score == 1  # the score is exact at once
    assert markers(db) == 1 and vote_entries(db, author) == [] and likes(db, author) == (0, 0)
    message = scheduled_jobs(app)["votes.apply-effects"].run()
    assert message == "1 pending vote effects applied"
    assert markers(db) == 0
    assert vote_entries(db, author) == [(10, R.upvote_received, voter.id)]
    assert likes(db, author) == (0, 1) and member_row(db, author).reputation == ledger.ledger_total(author.id)


def test_a_drain_that_fails_half_way_applies_nothing_and_the_next_one_applies_everything(db, make, held):
    author, voters = make.member(), [make.member() for _ in range(3)]
    reply = make.post(make.thread(), author=author)
    for voter in voters:
        vote(db, voter, reply, 1)
    calls = []

    def crash_on_third(post, **_kw):
        calls.append(post.id)
        if len(calls) == 3:
            raise RuntimeError("the process died here")

    vote_settled.connect(crash_on_third)
    try:
        with pytest.raises(RuntimeError):
            effects.drain()
    finally:
        vote_settled.disconnect(crash_on_third)
    assert markers(db) == 3  # the two effects applied before the crash were rolled back with the batch
    assert vote_entries(db, author) == [] and likes(db, author) == (0, 0)
    assert effects.drain() == 3
    assert [delta for delta, _reason, _actor in vote_entries(db, author)] == [10, 10, 10]
    assert likes(db, author) == (0, 3)


def test_draining_again_applies_nothing_twice(db, make, held):
    author, voter = make.member(), make.member()
    reply = make.post(make.thread(), author=author)
    vote(db, voter, reply, 1)
    assert effects.drain() == 1
    assert effects.drain() == 0 and effects.drain() == 0
    assert vote_entries(db, author) == [(10, R.upvote_received, voter.id)]
    assert likes(db, author) == (0, 1)
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)
                             .where(PointsEntry.member_id == author.id)) == 1


def test_votes_changed_and_taken_back_before_the_drain_net_out_as_if_applied_one_by_one(db, make, held):
    author, voter, other = make.member(), make.member(), make.member()
    reply = make.post(make.thread(), author=author)
    vote(db, voter, reply, 1)
    vote(db, voter, reply, 0)    # taken back
    vote(db, other, reply, 1)
    vote(db, other, reply, -1)   # changed to a downvote
    vote(db, voter, reply, 1)    # up again
    assert markers(db) == 5
    assert effects.drain() == 5
    assert vote_entries(db, author) == [
        (10, R.upvote_received, voter.id), (-10, R.vote_retracted, voter.id), (10, R.upvote_received, other.id),
        (-10, R.vote_retracted, other.id), (-2, R.downvote_received, other.id), (10, R.upvote_received, voter.id)]
    row = member_row(db, author)
    assert row.reputation == ledger.ledger_total(author.id) == 8
    assert row.points == 20  # one upvote pays once per voter and post: cycling mints nothing
    assert likes(db, author) == (0, 1) and likes(db, voter) == (1, 0) and likes(db, other) == (0, 0)


@pytest.mark.postgres
def test_a_batch_grants_an_upvote_badge_once_at_the_vote_that_earned_it(db, make, held):
    # one drain applies eleven votes; the author reaches ten standing upvotes at the tenth (on the tenth post)
    author, voters = make.member(), [make.member() for _ in range(11)]
    thread = make.thread()
    replies = [make.post(thread, author=author) for _ in range(11)]
    for voter, reply in zip(voters, replies, strict=True):
        vote(db, voter, reply, 1)
    assert effects.drain() == 11
    db.session.rollback()
    grants = db.session.execute(select(BadgeGrant.post_id).join(Badge, Badge.id == BadgeGrant.badge_id).where(
        BadgeGrant.member_id == author.id, Badge.slug == "upvoted-10")).all()
    assert [post_id for post_id, in grants] == [replies[9].id]
    row = member_row(db, author)
    assert row.reputation == ledger.ledger_total(author.id) and likes(db, author) == (0, 11)
    assert [likes(db, voter) for voter in voters] == [(1, 0)] * 11


def test_processes_draining_at_once_apply_each_vote_once(app, make, db, held):
    require_postgres(db)
    authors = [make.member() for _ in range(3)]
    thread = make.thread()
    post_ids = [make.post(thread, author=author).id for author in authors for _ in range(2)]
    voter_ids = [make.member().id for _ in range(15)]
    for member_id in voter_ids:
        for post_id in post_ids:
            vote(db, db.session.get(Member, member_id), db.session.get(Post, post_id), 1)
    assert markers(db) == 90
    applied = []

    def drain():
        applied.append(effects.drain(limit=7))

    run_at_once(app, db, [(drain, ()) for _ in range(4)])
    effects.drain()  # what a drainer that found the lock taken left, if the holder had stopped meanwhile
    assert markers(db) == 0
    for author in authors:
        assert sorted(vote_entries(db, author), key=lambda e: e[2]) == [
            (10, R.upvote_received, voter_id) for voter_id in sorted(voter_ids) for _ in range(2)]
        assert member_row(db, author).reputation == ledger.ledger_total(author.id)  # votes' 300 and badges
        assert likes(db, author) == (0, 30)
    assert {likes(db, db.session.get(Member, member_id)) for member_id in voter_ids} == {(6, 0)}


@pytest.mark.postgres
def test_members_voting_at_once_leave_exact_reputation_and_likes_after_the_drains(app, make, db):
    """The real after-commit drains of 30 voters' requests race each other and the votes themselves."""
    require_postgres(db)
    author = make.member()
    thread = make.thread()
    post_ids = [make.post(thread, author=author).id for _ in range(3)]
    voter_ids = [make.member().id for _ in range(30)]

    def vote_all(member_id):
        for post_id in post_ids:
            votes.cast_vote(db.session.get(Member, member_id), db.session.get(Post, post_id), 1)
            db.session.commit()
        votes.cast_vote(db.session.get(Member, member_id), db.session.get(Post, post_ids[0]), 0)
        db.session.commit()

    run_at_once(app, db, [(vote_all, (member_id,)) for member_id in voter_ids])
    effects.drain()  # as the scheduled job would, for a drain that found the lock taken just as it ended
    assert markers(db) == 0
    assert member_row(db, author).reputation == ledger.ledger_total(author.id)
    assert sum(delta for delta, _reason, _actor in vote_entries(db, author)) == 30 * 2 * 10
    assert likes(db, author) == (0, 60)
    assert db.session.scalar(select(func.sum(Post.score)).where(Post.id.in_(post_ids))) == 60


def test_a_batch_moves_reputation_and_points_once_per_member_and_the_columns_equal_their_ledgers(db, make, held):
    # reputation and points are summed per member in a batch and written once before its commit
    authors, voters = [make.member() for _ in range(2)], [make.member() for _ in range(4)]
    thread = make.thread()
    replies = [make.post(thread, author=author) for author in authors]
    for voter in voters:
        for reply in replies:
            vote(db, voter, reply, 1)
    vote(db, voters[0], replies[0], -1)  # changed: -10 and -2 for the first author
    assert effects.drain() == 9
    for author, reputation in zip(authors, (28, 40), strict=True):
        row = member_row(db, author)
        assert row.reputation == ledger.ledger_total(author.id) == reputation
        assert row.points == points_ledger_total(author.id) == 40  # upvotes paid once; downvotes take none back


def test_a_custom_reputation_badge_in_a_batch_is_granted_at_the_vote_that_reached_its_threshold(db, make, held):
    # the badge's measure reads members.reputation in SQL: the batch's pending moves are written first
    badge = Badge(slug="thirty", name="Thirty", icon="*", rule="reputation", threshold=30)
    db.session.add(badge)
    db.session.commit()
    author, voters = make.member(), [make.member() for _ in range(4)]
    thread = make.thread()
    replies = [make.post(thread, author=author) for _ in range(4)]
    for voter, reply in zip(voters, replies, strict=True):
        vote(db, voter, reply, 1)
    assert effects.drain() == 4
    db.session.rollback()
    grants = db.session.scalars(select(BadgeGrant.granted_at).where(BadgeGrant.member_id == author.id,
                                                                    BadgeGrant.badge_id == badge.id)).all()
    third = db.session.scalar(select(Vote.created_at).where(Vote.post_id == replies[2].id))
    assert grants == [third]  # dated at the vote that reached 30 (a drain applies each vote at its time)
    assert member_row(db, author).reputation == ledger.ledger_total(author.id)


def test_a_batch_counts_standing_upvotes_through_retractions_and_grants_the_badge_at_the_tenth(db, make, held):
    # one drain: nine upvotes, the first taken back and given again (still nine standing), then the tenth
    author, voters = make.member(), [make.member() for _ in range(10)]
    thread = make.thread()
    first, second = make.post(thread, author=author), make.post(thread, author=author)
    for voter in voters[:9]:
        vote(db, voter, first, 1)
    vote(db, voters[0], first, 0)
    vote(db, voters[0], first, 1)
    vote(db, voters[1], first, -1)
    vote(db, voters[1], first, 1)
    vote(db, voters[9], second, 1)
    assert effects.drain() == 14
    db.session.rollback()
    grants = db.session.execute(select(BadgeGrant.post_id).join(Badge, Badge.id == BadgeGrant.badge_id).where(
        BadgeGrant.member_id == author.id, Badge.slug == "upvoted-10")).all()
    assert [post_id for post_id, in grants] == [second.id]
    assert member_row(db, author).reputation == ledger.ledger_total(author.id) == 100
    assert effects.drain() == 0
    assert standing_upvotes(author.id) == 10


def test_likes_move_for_voter_and_author_whichever_has_the_lower_id(db, make):
    early, late = make.member(), make.member()  # early.id < late.id
    thread = make.thread()
    by_late, by_early = make.post(thread, author=late), make.post(thread, author=early)
    vote(db, early, by_late, 1)
    vote(db, late, by_early, 1)
    vote(db, late, by_early, -1)  # no longer a like
    vote(db, early, by_late, 0)
    vote(db, early, by_late, 0)  # taken back twice: never below zero
    vote(db, late, by_early, 1)
    assert likes(db, early) == (0, 1) and likes(db, late) == (1, 0)


def test_with_a_delay_the_drain_thread_applies_the_votes_of_its_window_together_after_they_committed(
        db, make, app, monkeypatch):
    author, voters = make.member(), [make.member() for _ in range(3)]
    reply = make.post(make.thread(), author=author)
    batches = []
    plain = effects._claim_and_apply

    def counted(limit, held=None):
        applied = plain(limit, held)
        if applied:
            batches.append(applied)
        return applied

    monkeypatch.setattr(effects, "_claim_and_apply", counted)
    monkeypatch.setitem(app.config, "VOTE_EFFECTS_DELAY", 0.5)
    try:
        for voter in voters:
            vote(db, voter, reply, 1)
        assert db.session.get(Post, reply.id).score == 3  # exact at once; the effects follow
        assert markers(db) == 3 and vote_entries(db, author) == []
        for _ in range(200):
            if not markers(db) and batches:
                break
            time.sleep(0.05)
    finally:
        app.config["VOTE_EFFECTS_DELAY"] = 0  # the thread, if still waiting, drains in a window of its own
        app.extensions.pop("vote_effects_drainer", None)
    assert markers(db) == 0 and batches == [3]
    assert [delta for delta, _reason, _actor in vote_entries(db, author)] == [10, 10, 10]
    assert member_row(db, author).reputation == ledger.ledger_total(author.id) == 30
    assert likes(db, author) == (0, 3)


def test_a_batch_counts_likes_as_if_moved_one_by_one_never_below_zero(db, make, held):
    author, voters = make.member(), [make.member() for _ in range(3)]
    reply = make.post(make.thread(), author=author)
    vote(db, voters[0], reply, 1)
    effects.drain()
    # a count that drifted to 0 (a reset): taking the like back stops at 0, and the likes after it count
    db.session.execute(update(MemberStats).where(MemberStats.member_id == author.id).values(likes_received=0))
    db.session.commit()
    vote(db, voters[0], reply, 0)
    vote(db, voters[0], reply, 1)
    vote(db, voters[1], reply, 1)
    vote(db, voters[2], reply, -1)
    vote(db, voters[2], reply, 1)
    statements = counted_statements(db, lambda: effects.drain())
    # the voters' likes in one upsert, the author's (whose moves dip below 0 from 0) in one of its own
    assert sum(s.startswith("INSERT INTO member_stats") for s in statements) == 2
    assert likes(db, author) == (0, 3)
    assert [likes(db, voter) for voter in voters] == [(1, 0)] * 3


def test_a_batch_re_evaluates_a_member_once_dated_at_their_last_like_in_it(db, make, held, monkeypatch, app):
    monkeypatch.setitem(app.config, "TRUST_LEVEL_REQUIREMENTS", {1: {"likes_received": 2}})
    author, voters = make.member(), [make.member() for _ in range(3)]
    reply = make.post(make.thread(), author=author)
    for voter in voters:
        vote(db, voter, reply, 1)
    with captured(trust_level_changed) as seen:
        assert effects.drain() == 3
    last = db.session.scalar(select(Vote.updated_at).where(Vote.post_id == reply.id, Vote.member_id == voters[2].id))
    assert seen == [(author.id, {"previous": 0, "level": 1, "by": None, "at": last})]
    assert member_row(db, author).trust_level == 1
    assert [member_row(db, voter).trust_level for voter in voters] == [0, 0, 0]


def test_a_batch_writes_its_ledger_entries_and_likes_in_one_insert_each_dated_at_their_votes(db, make, held):
    author, voters = make.member(), [make.member() for _ in range(4)]
    reply = make.post(make.thread(), author=author)
    for voter in voters:
        vote(db, voter, reply, 1)
    vote(db, voters[0], reply, 0)  # taken back and given again: its source has paid
    vote(db, voters[0], reply, 1)
    statements = counted_statements(db, lambda: effects.drain())
    # one INSERT per ledger; SQLite cannot return the ids of a multi-row INSERT in order, so SQLAlchemy
    # writes the entries there one row a statement (the points still in one)
    entry_inserts = sum(s.startswith("INSERT INTO reputation_entries") for s in statements)
    assert entry_inserts == (1 if db.engine.dialect.name == "postgresql" else 6)
    assert sum(s.startswith("INSERT INTO points_entries") for s in statements) == 1
    assert sum(s.startswith("INSERT INTO member_stats") for s in statements) == 1
    db.session.rollback()
    entries = db.session.scalars(select(ReputationEntry).where(ReputationEntry.member_id == author.id)
                                 .order_by(ReputationEntry.id)).all()
    cast = [db.session.scalar(select(Vote.created_at).where(Vote.post_id == reply.id, Vote.member_id == voter.id))
            for voter in voters]
    assert [(e.delta, e.actor_id) for e in entries] == [(10, v.id) for v in voters] + [(-10, voters[0].id),
                                                                                        (10, voters[0].id)]
    # each at its vote's time (the first voter's vote row now is the one given again)
    assert [e.created_at for e in entries[1:4] + entries[5:]] == cast[1:] + cast[:1]
    assert entries[0].created_at < entries[1].created_at and entries[3].created_at < entries[4].created_at
    paid = db.session.execute(select(PointsEntry.source, PointsEntry.reputation_entry_id, PointsEntry.created_at)
                              .where(PointsEntry.member_id == author.id).order_by(PointsEntry.id)).all()
    assert paid == [(f"vote:{reply.id}:{e.actor_id}", e.id, e.created_at) for e in entries[:4]]
    row = member_row(db, author)
    assert row.reputation == ledger.ledger_total(author.id) == 40
    assert row.points == points_ledger_total(author.id) == 40
    assert likes(db, author) == (0, 4) and [likes(db, voter) for voter in voters] == [(1, 0)] * 4


def test_the_daily_limit_in_a_batch_counts_the_entries_the_batch_wrote_before(db, make, held):
    settings.save({"reputation.daily_limit": 25})
    db.session.commit()
    author, voters = make.member(), [make.member() for _ in range(5)]
    reply = make.post(make.thread(), author=author)
    for voter in voters[:4]:
        vote(db, voter, reply, 1)
    vote(db, voters[4], reply, -1)
    assert effects.drain() == 5
    assert [delta for delta, _reason, _actor in vote_entries(db, author)] == [10, 10, 5, -2]
    row = member_row(db, author)
    assert row.reputation == ledger.ledger_total(author.id) == 23
    assert row.points == points_ledger_total(author.id) == 25
