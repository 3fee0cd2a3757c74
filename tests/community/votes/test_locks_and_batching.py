"""What a vote locks and how it writes: no member row is waited for, the rows it adds go in one statement on
PostgreSQL, all or nothing; its CRM profile counts follow in the effects drain."""
from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from community import dbbatch
from community.forum.models import Post
from community.members.models import Member
from community.votes import effects
from community.votes import services as votes
from community.votes.models import Vote, VoteEffect
from crm_bridge.models import CrmProfile, DailyActive, OutboxEvent, TimelineEvent
from tests.community.votes.conftest import JSON, fresh, vote_rows
from tests.concurrency import require_postgres, run_at_once


def _count(db, model, **where):
    db.session.rollback()
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def test_a_vote_adds_its_timeline_outbox_daily_active_and_marker_rows(make, db, count_queries):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    with count_queries() as statements:
        votes.cast_vote(voter, post, 1)
    db.session.commit()
    assert _count(db, TimelineEvent, member_id=voter.id, kind="vote_given") == 1
    assert _count(db, TimelineEvent, member_id=author.id, kind="vote_received") == 1
    assert _count(db, OutboxEvent, type="vote.cast") == 1
    assert _count(db, DailyActive, member_id=voter.id) == 1
    if db.engine.dialect.name == "postgresql":
        # the four kinds of rows in one statement (community/dbbatch.py), and no lock on any members row
        combined = [s for s in statements if "INSERT INTO crm_outbox" in s]
        assert len(combined) == 1 and all(table in combined[0] for table in
                                          ("crm_timeline_events", "crm_daily_active", "vote_effects"))
        assert not any("FOR NO KEY UPDATE" in s or "FOR UPDATE" in s for s in statements), statements


def test_a_vote_counts_its_entries_on_both_profiles_once_its_effects_are_applied(make, db):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    before = {m.id: fresh(db, CrmProfile, _profile_id(db, m.id)).event_count for m in (author, voter)}
    voter, post = db.session.get(Member, voter.id), db.session.get(Post, post.id)
    votes.cast_vote(voter, post, 1)
    db.session.commit()  # tests drain at once after commit (VOTE_EFFECTS_DELAY 0)
    after = {m_id: fresh(db, CrmProfile, _profile_id(db, m_id)) for m_id in before}
    assert {m_id: profile.event_count - before[m_id] for m_id, profile in after.items()} == {author.id: 1, voter.id: 1}
    voted_at = db.session.scalar(select(Vote.created_at).where(Vote.member_id == voter.id))
    assert after[voter.id].last_active_at >= voted_at
    assert _count(db, VoteEffect) == 0


def _profile_id(db, member_id):
    return db.session.scalar(select(CrmProfile.id).where(CrmProfile.member_id == member_id))


def test_combined_inserts_are_all_written_or_none(make, db):
    member = make.member()
    db.session.commit()
    row = {"day": "2026-01-02", "member_id": member.id}
    with pytest.raises(RuntimeError):
        with dbbatch.combined():
            dbbatch.insert(insert(DailyActive.__table__), row)
            raise RuntimeError("the block failed")
    db.session.rollback()
    assert _count(db, DailyActive, day="2026-01-02") == 0
    # a failing statement among them: nothing of the others either
    with pytest.raises(Exception):  # noqa: B017, PT011 - the driver's IntegrityError, whichever the database
        with dbbatch.combined():
            dbbatch.insert(insert(DailyActive.__table__), row)
            dbbatch.insert(insert(DailyActive.__table__), [row, row])  # the same key twice
    db.session.rollback()
    assert _count(db, DailyActive, day="2026-01-02") == 0
    with dbbatch.combined():
        dbbatch.insert(insert(DailyActive.__table__), row)
        with dbbatch.combined():  # nested: sent with the outer block
            dbbatch.insert(insert(DailyActive.__table__), dict(row, day="2026-01-03"))
        assert _count_in_transaction(db, DailyActive) == 0  # nothing sent yet
    db.session.commit()
    assert _count(db, DailyActive, member_id=member.id) == 2


def _count_in_transaction(db, model):
    return db.session.scalar(select(func.count()).select_from(model).where(model.day.in_(["2026-01-02",
                                                                                          "2026-01-03"])))


@pytest.mark.postgres
def test_a_vote_does_not_wait_for_a_drain_holding_its_members_rows(app, make, db, monkeypatch):
    """The effects drain holds the member rows of a whole batch of votes (voters and authors) while it applies
    them; a vote by one of those voters, on one of those authors' posts, goes through meanwhile."""
    require_postgres(db)
    # this vote's own drain (at once after its commit, in tests) would wait for the held rows: leave it out
    monkeypatch.setattr(effects, "_drain_after_commit", lambda app: None)
    author, voter = make.member("author"), make.member("voter")
    post_id, voter_id, author_id = make.post(make.thread(), author=author).id, voter.id, author.id
    db.session.commit()
    done = threading.Event()
    errors = []

    def vote():
        with app.app_context():
            try:
                db.session.execute(text("SET LOCAL lock_timeout = '5s'"))
                votes.cast_vote(db.session.get(Member, voter_id), db.session.get(Post, post_id), 1)
                db.session.commit()
                done.set()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    with db.engine.connect() as drain:
        drain.execute(select(Member.id).where(Member.id.in_([voter_id, author_id])).order_by(Member.id)
                      .with_for_update(key_share=True)).all()
        worker = threading.Thread(target=vote)
        worker.start()
        finished = done.wait(10)
        drain.rollback()
    worker.join(20)
    assert not errors, errors
    assert finished, "the vote waited for the members' rows"
    assert fresh(db, Post, post_id).score == 1
    assert effects.drain() == 1  # what it left for the drain


@pytest.mark.postgres
def test_fifty_members_voting_at_once_on_a_reply_leave_exactly_the_right_score(app, make, db):
    """A new vote on a reply is inserted and counted in one statement (PostgreSQL): at once, 40 up and 10 down
    leave the score at 30, one row each; a second vote of the same members changes, not adds."""
    require_postgres(db)
    reply_id = make.post(make.thread()).id
    voter_ids = [make.member().id for _ in range(50)]
    values = {member_id: (1 if n % 5 else -1) for n, member_id in enumerate(voter_ids)}

    def vote(member_id, value):
        votes.cast_vote(db.session.get(Member, member_id), db.session.get(Post, reply_id), value)
        db.session.commit()

    run_at_once(app, db, [(vote, (member_id, values[member_id])) for member_id in voter_ids])
    assert fresh(db, Post, reply_id).score == 30
    assert _count(db, Vote, post_id=reply_id) == 50
    run_at_once(app, db, [(vote, (member_id, -values[member_id])) for member_id in voter_ids])
    assert fresh(db, Post, reply_id).score == -30
    assert _count(db, Vote, post_id=reply_id) == 50


def _combined_compilations(db, send):
    """The compiled forms of the combined INSERTs `send()` runs (a new object each time SQLAlchemy compiles)."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "batch_0" in statement:
            seen.append(context.compiled)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        send()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _timeline_rows(member, *kinds, **extra):
    return [dict({"member_id": member.id, "kind": kind, "occurred_at": datetime(2026, 1, 2, 3, 4, n, tzinfo=UTC),
                  "excerpt": "", "data": {"n": n, "kind": kind}}, **extra) for n, kind in enumerate(kinds)]


@pytest.mark.postgres
def test_combined_inserts_of_one_shape_are_compiled_once(make, db):
    """A vote's rows go as one statement whose values are parameters: SQLAlchemy compiles it once per shape, not
    once per vote (a multi-row VALUES has no cache key; community/dbbatch.py)."""
    require_postgres(db)
    member = make.member()
    db.session.commit()

    def two_sends():
        for day in ("2026-01-02", "2026-01-03"):
            with dbbatch.combined():
                dbbatch.insert(_TIMELINE, _timeline_rows(member, f"given_{day}", f"received_{day}"))
                dbbatch.insert(_active(db), {"day": day, "member_id": member.id})

    compiled = _combined_compilations(db, two_sends)
    db.session.commit()
    assert len(compiled) == 2 and compiled[0] is compiled[1]
    assert _count(db, DailyActive, member_id=member.id) == 2


def test_combined_multi_row_inserts_keep_their_rows_values_and_order(make, db):
    member = make.member()
    db.session.commit()
    with dbbatch.combined():
        dbbatch.insert(_TIMELINE, _timeline_rows(member, "first", "second", "third"))
        dbbatch.insert(_active(db), {"day": "2026-01-04", "member_id": member.id})
        dbbatch.insert(_active(db), {"day": "2026-01-04", "member_id": member.id})  # ON CONFLICT DO NOTHING
    db.session.commit()
    rows = db.session.execute(select(TimelineEvent.kind, TimelineEvent.data, TimelineEvent.occurred_at)
                              .where(TimelineEvent.member_id == member.id, TimelineEvent.kind.in_(["first", "second", "third"]))
                              .order_by(TimelineEvent.id)).all()
    assert [(kind, data) for kind, data, _at in rows] == [("first", {"n": 0, "kind": "first"}),
                                                          ("second", {"n": 1, "kind": "second"}),
                                                          ("third", {"n": 2, "kind": "third"})]
    assert [at.astimezone(UTC) for _k, _d, at in rows] == [datetime(2026, 1, 2, 3, 4, n, tzinfo=UTC) for n in range(3)]
    assert _count(db, DailyActive, day="2026-01-04") == 1


def test_combined_inserts_leaving_out_a_defaulted_column_get_its_default_per_row(make, db):
    member = make.member()
    db.session.commit()
    rows = [{"member_id": member.id, "kind": kind, "occurred_at": datetime(2026, 1, 5, tzinfo=UTC)} for kind in ("a", "b")]
    with dbbatch.combined():
        dbbatch.insert(_TIMELINE, rows)  # no excerpt, no data: "" and a new {} each
        dbbatch.insert(_active(db), {"day": "2026-01-05", "member_id": member.id})
    db.session.commit()
    found = db.session.execute(select(TimelineEvent.kind, TimelineEvent.excerpt, TimelineEvent.data)
                               .where(TimelineEvent.member_id == member.id, TimelineEvent.kind.in_(["a", "b"]))
                               .order_by(TimelineEvent.id)).all()
    assert [tuple(row) for row in found] == [("a", "", {}), ("b", "", {})]


_TIMELINE = insert(TimelineEvent.__table__)
_ACTIVE_BY_DIALECT = {name: dialect.insert(DailyActive.__table__).on_conflict_do_nothing(index_elements=["day", "member_id"])
                      for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


def _active(db):
    return _ACTIVE_BY_DIALECT[db.engine.dialect.name]


@pytest.mark.postgres
def test_a_vote_through_the_view_takes_its_voter_lock_in_the_statement_that_loads_the_post(client, auth, make, db,
                                                                                          count_queries):
    """One round trip less per vote (votes.services.voter_hold); the lock itself is still taken (next test)."""
    require_postgres(db)
    reply = make.post(make.thread())
    auth.login(make.member("holder"))
    with count_queries() as statements:
        assert client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON).status_code == 200
    locking = [s for s in statements if "pg_advisory_xact_lock" in s]
    assert len(locking) == 1 and "FROM posts" in locking[0], statements


@pytest.mark.postgres
def test_a_vote_through_the_view_waits_for_its_voters_vote_lock(app, client, auth, make, db):
    """What serialises one member's votes (and counts the daily allowance exactly) holds for the view's vote."""
    require_postgres(db)
    reply, voter = make.post(make.thread()), make.member("waiter")
    post_id, voter_id = reply.id, voter.id
    auth.login(voter)
    db.session.commit()
    answers = []
    with db.engine.connect() as other:
        other.execute(text("SELECT pg_advisory_xact_lock(:cls, :key)"),
                      {"cls": votes._VOTER_LOCK_CLASS, "key": voter_id})
        worker = threading.Thread(target=lambda: answers.append(
            client.post(f"/p/{post_id}/vote", data={"value": "1"}, headers=JSON).status_code))
        worker.start()
        worker.join(1.0)
        assert worker.is_alive() and vote_rows(db, post_id) == {}  # waiting for the lock
        other.rollback()
    worker.join(10)
    assert answers == [200] and vote_rows(db, post_id) == {voter_id: 1}
