"""Reputation: a ledger of who earned what, why and when, with reversals for changed votes and undone
answers; Member.reputation always equals the ledger; history page, staff adjustment, leaderboard."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from community import settings
from community.dbtypes import utcnow
from community.errors import NotPermitted
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Post
from community.members.models import Member
from community.qa import services as qa
from community.reputation import services as ledger
from community.reputation.models import ReputationEntry, ReputationReason
from community.signals import reputation_changed
from community.votes import services as votes
from tests.conftest import csrf_token_from

R = ReputationReason


# ---- helpers -------------------------------------------------------------------------------

def vote(db, voter, post, value):
    votes.cast_vote(voter, post, value)
    db.session.commit()


def entries(db, member, *reasons):
    """Return [(delta, reason, actor_id, post_id)] of a member's ledger, oldest first, without badges."""
    query = select(ReputationEntry).where(ReputationEntry.member_id == member.id).order_by(ReputationEntry.id)
    if reasons:
        query = query.where(ReputationEntry.reason.in_(reasons))
    else:
        query = query.where(ReputationEntry.reason != R.badge)
    return [(e.delta, e.reason, e.actor_id, e.post_id) for e in db.session.scalars(query)]


def reputation(db, member) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Member.reputation).where(Member.id == member.id))


def assert_cache_matches_ledger(db, *members):
    for member in members:
        assert reputation(db, member) == ledger.ledger_total(member.id), member.username


def badge_part(db, member) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(ReputationEntry.delta), 0))
                                 .where(ReputationEntry.member_id == member.id, ReputationEntry.reason == R.badge)))


@pytest.fixture
def question(make):
    asker = make.member("asker")
    thread = make.thread(board=make.board(kind="question"), author=asker, title="How do I reset my router?")
    return thread


# ---- votes ---------------------------------------------------------------------------------

def test_upvote_credits_the_author_with_a_ledger_entry_naming_voter_post_and_time(db, make):
    author, voter = make.member("author"), make.member("voter")
    thread = make.thread(author=author)
    before = utcnow()
    vote(db, voter, opening(thread), 1)
    entry = db.session.scalars(select(ReputationEntry).where(ReputationEntry.member_id == author.id,
                                                             ReputationEntry.reason == R.upvote_received)).one()
    assert entry.delta == 10 and entry.actor_id == voter.id and entry.thread_id == thread.id
    assert entry.created_at >= before - timedelta(seconds=1)
    assert reputation(db, voter) == ledger.ledger_total(voter.id)  # the voter earns nothing
    assert entries(db, voter) == []
    assert_cache_matches_ledger(db, author)


def opening(thread):
    return db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.number)).first()


def test_changing_and_retracting_a_vote_writes_reversals_never_edits(db, make):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    vote(db, voter, post, 1)
    vote(db, voter, post, -1)
    vote(db, voter, post, 0)
    vote(db, voter, post, 1)
    assert entries(db, author) == [
        (10, R.upvote_received, voter.id, post.id),
        (-10, R.vote_retracted, voter.id, post.id),
        (-2, R.downvote_received, voter.id, post.id),
        (2, R.vote_retracted, voter.id, post.id),
        (10, R.upvote_received, voter.id, post.id),
    ]
    assert reputation(db, author) - badge_part(db, author) == 10
    assert_cache_matches_ledger(db, author)


def test_reversal_takes_back_what_was_given_even_after_the_amounts_changed(app, db, make):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    vote(db, voter, post, 1)
    settings.save({"reputation.points.upvote": 5})
    vote(db, voter, post, 0)
    assert [delta for delta, *_ in entries(db, author)] == [10, -10]
    assert reputation(db, author) - badge_part(db, author) == 0


def test_refused_vote_on_own_post_changes_no_reputation(db, make):
    author = make.member("author")
    post = make.post(make.thread(), author=author)
    with pytest.raises(NotPermitted):
        votes.cast_vote(author, post, 1)
    db.session.rollback()
    assert entries(db, author) == []


def test_votes_through_http_move_the_profile_reputation(client, auth, db, make):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    auth.login(voter)
    assert client.post(f"/p/{post.id}/vote", data={"value": "1"}, headers={"Accept": "application/json"}).json == \
        {"score": 1, "my_vote": 1}
    assert reputation(db, author) - badge_part(db, author) == 10
    client.post(f"/p/{post.id}/vote", data={"value": "0"}, headers={"Accept": "application/json"})
    assert reputation(db, author) - badge_part(db, author) == 0
    assert_cache_matches_ledger(db, author)


def test_reputation_changed_is_sent_for_each_entry(db, make):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    seen = []

    def listener(member, entry=None, **_):
        seen.append((member.id, entry.delta, entry.reason))

    reputation_changed.connect(listener)
    try:
        vote(db, voter, post, 1)
        vote(db, voter, post, 0)
    finally:
        reputation_changed.disconnect(listener)
    assert (author.id, 10, R.upvote_received) in seen and (author.id, -10, R.vote_retracted) in seen


# ---- accepted answers ----------------------------------------------------------------------

def test_accepting_replacing_and_undoing_answers_is_credited_and_reversed(db, make, question):
    alice, bob = make.member("alice"), make.member("bob")
    a = make.post(question, author=alice)
    b = make.post(question, author=bob)
    asker = question.author
    qa.accept_answer(asker, a)
    db.session.commit()
    assert entries(db, alice) == [(15, R.answer_accepted, asker.id, a.id)]
    qa.accept_answer(asker, b)  # replaced: alice's credit is reversed, bob is credited
    db.session.commit()
    assert entries(db, alice) == [(15, R.answer_accepted, asker.id, a.id), (-15, R.answer_unaccepted, asker.id, a.id)]
    assert entries(db, bob) == [(15, R.answer_accepted, asker.id, b.id)]
    qa.unaccept_answer(asker, question)
    db.session.commit()
    assert entries(db, bob)[-1] == (-15, R.answer_unaccepted, asker.id, b.id)
    qa.accept_answer(asker, b)  # accepted again: credited again, once
    qa.accept_answer(asker, b)
    db.session.commit()
    assert [d for d, *_ in entries(db, bob, R.answer_accepted, R.answer_unaccepted)] == [15, -15, 15]
    assert_cache_matches_ledger(db, alice, bob, asker)


def test_answering_your_own_question_earns_nothing(db, make, question):
    own = make.post(question, author=question.author)
    qa.accept_answer(question.author, own)
    db.session.commit()
    assert entries(db, question.author) == []


def test_deleting_the_accepted_answer_reverses_its_credit(client, auth, db, make, question):
    alice = make.member("alice")
    answer = make.post(question, author=alice)
    qa.accept_answer(question.author, answer)
    db.session.commit()

    forum.delete_post(alice, answer)
    db.session.commit()
    assert [d for d, *_ in entries(db, alice)] == [15, -15]
    assert_cache_matches_ledger(db, alice)


def test_accept_through_http_credits_the_answerer(client, auth, db, make, question):
    alice = make.member("alice")
    answer = make.post(question, author=alice)
    auth.login(question.author)
    response = client.post(f"/t/{question.id}/accept", data={"post_id": str(answer.id)})
    assert response.status_code in (302, 200)
    assert entries(db, alice) == [(15, R.answer_accepted, question.author.id, answer.id)]


# ---- the history page and staff adjustments -------------------------------------------------

def test_history_is_shown_to_the_member_and_staff_only(client, auth, db, make):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(title="Routers and you"), author=author)
    vote(db, voter, post, 1)
    assert client.get("/u/author/reputation").status_code == 404  # guest
    auth.login(voter)
    assert client.get("/u/author/reputation").status_code == 404  # someone else
    auth.logout()
    auth.login(author)
    page = client.get("/u/author/reputation").get_data(as_text=True)
    assert "Upvote received" in page and "+10" in page and "Routers and you" in page
    auth.logout()
    auth.login(make.member("staffer", role="staff"))
    assert client.get("/u/author/reputation").status_code == 200
    assert client.get("/u/nobody-here/reputation").status_code == 404


@pytest.mark.parametrize("delta,note,field", [("0", "why", "delta"), ("abc", "why", "delta"), ("99999", "why", "delta"),
                                              ("25", "   ", "note"), ("25", "x" * 300, "note")])
def test_bad_adjustments_are_refused_and_save_nothing(client, auth, db, make, delta, note, field):
    member = make.member("member")
    auth.login(make.member("staffer", role="staff"))
    response = client.post("/u/member/reputation", data={"delta": delta, "note": note})
    assert response.status_code == 422
    assert f'id="{field}-error" class="error" role="alert"' in response.get_data(as_text=True)
    assert entries(db, member, R.staff_adjustment) == [] and reputation(db, member) == ledger.ledger_total(member.id)


def test_staff_adjustment_is_a_ledger_entry_with_reason_shown_to_the_member(client, auth, db, make):
    member, staffer = make.member("member"), make.member("staffer", role="staff")
    auth.login(staffer)
    response = client.post("/u/member/reputation", data={"delta": "-7", "note": "Spam  voting ring"})
    assert response.status_code == 302
    assert entries(db, member, R.staff_adjustment) == [(-7, R.staff_adjustment, staffer.id, None)]
    assert_cache_matches_ledger(db, member)
    auth.logout()
    auth.login(member)
    page = client.get("/u/member/reputation").get_data(as_text=True)
    assert "Spam voting ring" in page and "-7" in page


@pytest.mark.parametrize("role", ["member", "moderator"])
def test_non_staff_cannot_adjust(client, auth, db, make, role):
    target = make.member("target")
    auth.login(make.member("someone", role=role))
    assert client.post("/u/target/reputation", data={"delta": "100", "note": "me"}).status_code == 404
    auth.logout()
    auth.login(target)
    assert client.post("/u/target/reputation", data={"delta": "100", "note": "me"}).status_code == 403
    assert entries(db, target, R.staff_adjustment) == []


def test_staff_cannot_adjust_themselves(client, auth, db, make):
    staffer = make.member("staffer", role="staff")
    auth.login(staffer)
    assert client.post("/u/staffer/reputation", data={"delta": "100", "note": "me"}).status_code == 403
    assert entries(db, staffer, R.staff_adjustment) == []


def test_adjustment_without_csrf_token_is_refused(app, client, auth, db, make):
    member = make.member("member")
    auth.login(make.member("staffer", role="staff"))
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/u/member/reputation", data={"delta": "5", "note": "nice"})
    assert response.status_code == 400 and "form expired" in response.get_data(as_text=True)
    token = csrf_token_from(client.get("/u/member/reputation").get_data(as_text=True))
    assert client.post("/u/member/reputation", data={"delta": "5", "note": "nice", "csrf_token": token}).status_code == 302
    assert [d for d, *_ in entries(db, member, R.staff_adjustment)] == [5]


def test_history_page_query_count_is_bounded(client, auth, db, make, count_queries):
    author = make.member("author")
    thread = make.thread()
    posts = [make.post(thread, author=author) for _ in range(3)]
    voters = [make.member() for _ in range(8)]
    for voter in voters:
        for post in posts:
            vote(db, voter, post, 1)
    auth.login(author)
    with count_queries() as statements:
        response = client.get("/u/author/reputation")
    assert response.status_code == 200 and response.get_data(as_text=True).count("Upvote received") == 24
    assert len(statements) <= 10, "\n".join(statements)  # +1: unread conversations in the header; +1: the header's Boards menu (site.nav_boards)


@pytest.mark.parametrize("page,status", [("0", 400), ("x", 400), ("99", 404)])
def test_history_bad_page_is_a_clear_error(client, auth, make, page, status):
    auth.login(make.member("author"))
    assert client.get(f"/u/author/reputation?page={page}").status_code == status


# ---- leaderboard ---------------------------------------------------------------------------

def backdate(db, member, days):
    db.session.execute(update(ReputationEntry).where(ReputationEntry.member_id == member.id)
                       .values(created_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def test_leaderboard_ranks_by_reputation_earned_in_the_period(client, db, make):
    old, recent = make.member("oldtimer"), make.member("newcomer")
    make.member("quiet")  # earns nothing: on no leaderboard
    thread = make.thread()
    old_post, new_post = make.post(thread, author=old), make.post(thread, author=recent)
    voters = [make.member() for _ in range(3)]
    for voter in voters:
        vote(db, voter, old_post, 1)
    vote(db, voters[0], new_post, 1)
    backdate(db, old, 20)  # earned 20 days ago: this month, not this week
    week = client.get("/leaderboard?period=week").get_data(as_text=True)
    assert "newcomer" in week and "oldtimer" not in week and "quiet" not in week
    month = client.get("/leaderboard?period=month").get_data(as_text=True)
    assert month.index("oldtimer") < month.index("newcomer")
    alltime = client.get("/leaderboard?period=all").get_data(as_text=True)
    assert alltime.index("oldtimer") < alltime.index("newcomer") and "quiet" not in alltime
    board = ledger.leaderboard("month")
    assert [(row.rank, row.member.username) for row in board.rows][:2] == [(1, "oldtimer"), (2, "newcomer")]
    assert board.rows[0].earned == ledger.ledger_total(old.id)


def test_leaderboard_default_period_is_the_week(client, db, make):
    author, voter = make.member("author"), make.member("voter")
    vote(db, voter, make.post(make.thread(), author=author), 1)
    page = client.get("/leaderboard").get_data(as_text=True)
    assert "author" in page and 'aria-current="page"' in page


@pytest.mark.parametrize("query,status", [("period=decade", 400), ("period=week&page=0", 400),
                                          ("period=week&page=abc", 400), ("period=week&page=5", 404)])
def test_leaderboard_bad_arguments_get_a_clear_error(client, make, query, status):
    assert client.get(f"/leaderboard?{query}").status_code == status


@pytest.mark.parametrize("members", [3, 25])
def test_leaderboard_query_count_does_not_grow_with_members(client, db, make, count_queries, members):
    thread = make.thread()
    voters = [make.member() for _ in range(3)]  # within the daily vote limit of new members
    for n in range(members):
        vote(db, voters[n % 3], make.post(thread, author=make.member()), 1)
    for period in ("week", "month", "all"):
        with count_queries() as statements:
            response = client.get(f"/leaderboard?period={period}")
        assert response.status_code == 200 and response.get_data(as_text=True).count('class="rank"') == members
        assert len(statements) <= 4, "\n".join(statements)  # +1: the boards of the header's Boards menu (site.nav_boards)


def test_leaderboard_pages(app, client, db, make):
    app.config["LEADERBOARD_PER_PAGE"] = 2
    try:
        voter, thread = make.member("voter"), make.thread()
        for n in range(3):
            vote(db, voter, make.post(thread, author=make.member(f"writer{n}")), 1)
        first = client.get("/leaderboard?period=all").get_data(as_text=True)
        second = client.get("/leaderboard?period=all&page=2").get_data(as_text=True)
    finally:
        app.config["LEADERBOARD_PER_PAGE"] = 50
    assert first.count('class="rank"') == 2 and 'rel="next"' in first
    assert second.count('class="rank"') == 1 and 'rel="prev"' in second


# ---- the invariant, also under concurrency --------------------------------------------------

def test_reputation_equals_the_ledger_after_a_mixed_history(db, make, question):
    members = [make.member() for _ in range(4)]
    posts = [make.post(question, author=m) for m in members]
    for n, voter in enumerate(members):
        for post in posts:
            if post.author_id != voter.id:
                for value in (1, -1, 0, (-1) ** n)[: 2 + n % 3]:
                    vote(db, voter, post, value)
    for post in posts[:3]:
        qa.accept_answer(question.author, post)
        db.session.commit()
    qa.unaccept_answer(question.author, question)
    db.session.commit()
    assert_cache_matches_ledger(db, question.author, *members)


@pytest.mark.postgres
def test_concurrent_votes_leave_reputation_equal_to_the_ledger(app, db, make):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL)")
    author = make.member("author")
    post = make.post(make.thread(), author=author)
    voter_ids = [make.member().id for _ in range(20)]
    post_id, barrier, errors = post.id, threading.Barrier(20), []

    def run(member_id):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                voter, target = db.session.get(Member, member_id), db.session.get(Post, post_id)
                for value in (1, -1, 1):
                    votes.cast_vote(voter, target, value)
                    db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    workers = [threading.Thread(target=run, args=(member_id,)) for member_id in voter_ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(90)
    assert not errors, errors[:3]
    assert reputation(db, author) - badge_part(db, author) == 20 * 10
    assert_cache_matches_ledger(db, author)
