"""Votes on posts: up, down, changed, taken back; never on one's own posts; one per member and post;
scores moved in SQL; a daily allowance by trust level; rate limits; forms with and without JavaScript;
signals; and 50 members voting at once on PostgreSQL."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from community.dbtypes import utcnow
from community.forum.models import Post, Thread
from community.members.models import Member, Role
from community.signals import vote_cast
from community.votes import services as votes
from community.votes.models import Vote
from tests.conftest import csrf_token_from

JSON = {"Accept": "application/json"}
ROOT = Path(__file__).resolve().parents[3]


# ---- helpers -------------------------------------------------------------------------------

def fresh(db, model, ident):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, ident)


def vote_rows(db, post_id=None):
    db.session.rollback()
    query = select(Vote.member_id, Vote.value)
    if post_id is not None:
        query = query.where(Vote.post_id == post_id)
    return dict(db.session.execute(query).all())


def score_on_page(html: str, post_number: int) -> str:
    """Return the score shown in the vote box of post #n."""
    start = html.index(f'id="post-{post_number}"')
    match = re.search(r'class="score"[^>]*>(-?\d+)<', html[start:])
    assert match, "no score shown on the post"
    return match.group(1)


@contextmanager
def captured(signal):
    calls = []

    def receiver(sender, **kwargs):  # plain values: the objects are gone with the request's session
        calls.append((sender.id, {key: getattr(value, "id", value) for key, value in kwargs.items()}))

    signal.connect(receiver)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)


def set_trust_level(db, member, level):
    db.session.execute(update(Member).where(Member.id == member.id).values(trust_level=level, trust_level_locked=True))
    db.session.commit()


# ---- casting, changing, taking back ---------------------------------------------------------

def test_upvote_without_javascript_redirects_back_and_the_page_shows_it(client, auth, make, db):
    thread = make.thread()
    reply = make.post(thread, author=make.member("ann"))
    auth.login(make.member("bob"))
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/t/{thread.id}#post-2")
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert score_on_page(page, 2) == "1"
    # the upvote button is shown pressed, and pressing it again takes the vote back (value 0)
    box = page[page.index('id="post-2"'):]
    assert re.search(r'name="value" value="0" class="vote-up" aria-pressed="true"', box)
    assert fresh(db, Post, reply.id).score == 1


def test_fetch_gets_the_new_score_and_my_vote_as_json(client, auth, make):
    thread = make.thread()
    reply = make.post(thread)
    auth.login(make.member())
    response = client.post(f"/p/{reply.id}/vote", data={"value": "-1"}, headers=JSON)
    assert response.status_code == 200 and response.get_json() == {"score": -1, "my_vote": -1}


def test_opening_post_score_is_the_thread_score(client, auth, make, db):
    thread = make.thread()
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    for value in ("1", "1", "1", "-1"):
        auth.logout()
        auth.login(make.member())
        assert client.post(f"/p/{opening.id}/vote", data={"value": value}, headers=JSON).status_code == 200
    assert fresh(db, Thread, thread.id).score == 2 and fresh(db, Post, opening.id).score == 2
    # a reply's votes do not move the thread's score
    reply = make.post(thread)
    client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert fresh(db, Thread, thread.id).score == 2 and fresh(db, Post, reply.id).score == 1


def test_changing_a_vote_moves_the_score_by_two_and_keeps_one_row(client, auth, make, db):
    reply = make.post(make.thread())
    voter = make.member()
    auth.login(voter)
    assert client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON).get_json()["score"] == 1
    assert client.post(f"/p/{reply.id}/vote", data={"value": "-1"}, headers=JSON).get_json() == \
        {"score": -1, "my_vote": -1}
    assert vote_rows(db, reply.id) == {voter.id: -1}


def test_taking_a_vote_back_deletes_it_and_restores_the_score(client, auth, make, db):
    reply = make.post(make.thread())
    auth.login(make.member())
    client.post(f"/p/{reply.id}/vote", data={"value": "-1"}, headers=JSON)
    assert client.post(f"/p/{reply.id}/vote", data={"value": "0"}, headers=JSON).get_json() == \
        {"score": 0, "my_vote": 0}
    assert vote_rows(db, reply.id) == {}
    # taking back a vote that is not there changes nothing and is no error
    assert client.post(f"/p/{reply.id}/vote", data={"value": "0"}, headers=JSON).get_json() == \
        {"score": 0, "my_vote": 0}


def test_voting_the_same_way_twice_counts_once(client, auth, make, db):
    reply = make.post(make.thread())
    auth.login(make.member())
    client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON).get_json() == \
        {"score": 1, "my_vote": 1}
    assert len(vote_rows(db, reply.id)) == 1


def test_my_vote_is_shown_per_post_for_the_viewer_only(client, auth, make):
    thread = make.thread()
    first, second = make.post(thread), make.post(thread)
    voter = make.member("voter")
    auth.login(voter)
    client.post(f"/p/{first.id}/vote", data={"value": "1"})
    client.post(f"/p/{second.id}/vote", data={"value": "-1"})
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    post2, post3 = page[page.index('id="post-2"'):page.index('id="post-3"')], page[page.index('id="post-3"'):]
    assert 'class="vote-up" aria-pressed="true"' in post2 and 'class="vote-down" aria-pressed="false"' in post2
    assert 'class="vote-down" aria-pressed="true"' in post3
    auth.logout()
    auth.login(make.member("other"))
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'aria-pressed="true"' not in page
    assert score_on_page(page, 2) == "1" and score_on_page(page, 3) == "-1"


# ---- who may vote ----------------------------------------------------------------------------

def test_nobody_votes_on_their_own_post(client, auth, make, db):
    author = make.member("self_voter")
    thread = make.thread(author=author)
    reply = make.post(thread, author=author)
    auth.login(author)
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 403
    assert response.get_json()["error"] == {"code": "forbidden", "message": "You cannot vote on your own posts."}
    # without JavaScript: back to the post with the same message
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You cannot vote on your own posts." in page
    # and the author sees the score but no vote buttons on their own posts
    assert 'class="vote-up"' not in page and score_on_page(page, 2) == "0"
    assert vote_rows(db) == {} and fresh(db, Post, reply.id).score == 0


def test_guests_are_asked_to_sign_in(client, make, db):
    thread = make.thread()
    reply = make.post(thread)
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'class="vote-up"' not in page and score_on_page(page, 2) == "0"
    assert vote_rows(db) == {}


@pytest.mark.parametrize("raw", ["5", "up", "", "1.5", "-2"])
def test_a_bad_vote_value_is_a_clear_error_and_saves_nothing(client, auth, make, db, raw):
    reply = make.post(make.thread())
    auth.login(make.member())
    response = client.post(f"/p/{reply.id}/vote", data={"value": raw}, headers=JSON)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and "1 (up), -1 (down) or 0" in error["message"]
    assert "value" in error["fields"]
    assert vote_rows(db) == {} and fresh(db, Post, reply.id).score == 0


def test_voting_on_a_post_that_is_not_there_or_not_visible_is_not_found(client, auth, make):
    staff_thread = make.thread(board=make.board(visibility="staff"))
    hidden_reply = make.post(staff_thread, author=make.member(role=Role.staff))
    auth.login(make.member())
    assert client.post("/p/999999/vote", data={"value": "1"}, headers=JSON).status_code == 404
    assert client.post(f"/p/{hidden_reply.id}/vote", data={"value": "1"}, headers=JSON).status_code == 404
    assert client.get(f"/p/{hidden_reply.id}/vote").status_code == 405


def test_deleted_posts_take_no_votes(client, auth, make, db):
    from community.forum import services as forum

    thread = make.thread()
    reply = make.post(thread)
    forum.delete_post(reply.author, reply)
    db.session.commit()
    auth.login(make.member())
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code in (403, 404) and vote_rows(db) == {}


def test_votes_are_welcome_in_threads_closed_to_replies(client, auth, make, db):
    thread = make.thread()
    reply = make.post(thread)
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(locked_at=utcnow()))
    db.session.commit()
    auth.login(make.member())
    assert client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON).get_json()["score"] == 1


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


# ---- the daily allowance -----------------------------------------------------------------------

def test_new_members_have_a_daily_vote_allowance_and_regulars_a_larger_one(app, client, auth, make, db):
    app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"] = [2, 3]
    try:
        thread = make.thread()
        replies = [make.post(thread) for _ in range(5)]
        newcomer = make.member("newcomer")
        set_trust_level(db, newcomer, 0)
        auth.login(newcomer)
        for reply in replies[:2]:
            assert client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON).status_code == 200
        response = client.post(f"/p/{replies[2].id}/vote", data={"value": "1"}, headers=JSON)
        assert response.status_code == 429
        error = response.get_json()["error"]
        assert error["code"] == "vote_limit_reached" and "2 votes" in error["message"]
        assert fresh(db, Post, replies[2].id).score == 0
        # changing a vote is never limited; taking one back gives it back
        assert client.post(f"/p/{replies[0].id}/vote", data={"value": "-1"}, headers=JSON).status_code == 200
        assert client.post(f"/p/{replies[0].id}/vote", data={"value": "0"}, headers=JSON).status_code == 200
        assert client.post(f"/p/{replies[2].id}/vote", data={"value": "1"}, headers=JSON).status_code == 200
        # without JavaScript the refusal is shown on the page
        response = client.post(f"/p/{replies[3].id}/vote", data={"value": "1"})
        assert "new votes are possible again tomorrow" in client.get(response.headers["Location"]).get_data(as_text=True)
        auth.logout()

        regular = make.member("regular")
        set_trust_level(db, regular, 4)  # past the end of the list: the last entry applies
        auth.login(regular)
        codes = [client.post(f"/p/{r.id}/vote", data={"value": "1"}, headers=JSON).status_code for r in replies[:4]]
        assert codes == [200, 200, 200, 429]
    finally:
        app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"] = [10, 30, 50, 70, 100]


def test_votes_older_than_a_day_do_not_count_against_the_allowance(app, client, auth, make, db):
    app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"] = [1]
    try:
        thread = make.thread()
        first, second = make.post(thread), make.post(thread)
        voter = make.member()
        set_trust_level(db, voter, 0)
        auth.login(voter)
        assert client.post(f"/p/{first.id}/vote", data={"value": "1"}, headers=JSON).status_code == 200
        assert client.post(f"/p/{second.id}/vote", data={"value": "1"}, headers=JSON).status_code == 429
        db.session.execute(update(Vote).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
        assert client.post(f"/p/{second.id}/vote", data={"value": "1"}, headers=JSON).status_code == 200
    finally:
        app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"] = [10, 30, 50, 70, 100]


# ---- CSRF, signals, query count ------------------------------------------------------------------

def test_votes_need_the_csrf_token_from_the_page_or_the_header(app, client, auth, make, db):
    thread = make.thread()
    reply = make.post(thread)
    auth.login(make.member())
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    assert vote_rows(db) == {}
    token = csrf_token_from(client.get(f"/t/{thread.id}").get_data(as_text=True))
    # the form posts the token as a field; votes.js sends it as the X-CSRFToken header too
    assert client.post(f"/p/{reply.id}/vote", data={"value": "1", "csrf_token": token}).status_code == 302
    response = client.post(f"/p/{reply.id}/vote", data={"value": "-1"}, headers={**JSON, "X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["score"] == -1


def test_vote_cast_announces_casting_changing_and_taking_back(client, auth, make):
    reply = make.post(make.thread())
    voter = make.member("signaller")
    auth.login(voter)
    with captured(vote_cast) as calls:
        for value in ("1", "1", "-1", "0"):
            client.post(f"/p/{reply.id}/vote", data={"value": value}, headers=JSON)
    seen = [(sender, kwargs["voter"], kwargs["previous"], kwargs["value"]) for sender, kwargs in calls]
    # the repeated upvote changed nothing and announced nothing
    assert seen == [(reply.id, voter.id, 0, 1), (reply.id, voter.id, 1, -1), (reply.id, voter.id, -1, 0)]


def test_refused_votes_announce_nothing(client, auth, make):
    author = make.member()
    reply = make.post(make.thread(), author=author)
    auth.login(author)
    with captured(vote_cast) as calls:
        client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers=JSON)
        client.post(f"/p/{reply.id}/vote", data={"value": "7"}, headers=JSON)
    assert calls == []


@pytest.mark.parametrize("posts", [5, 40])
def test_thread_page_with_vote_buttons_costs_the_same_queries_for_any_length(app, client, auth, make, db,
                                                                            count_queries, posts):
    thread = make.thread()
    authors = [make.member() for _ in range(3)]
    replies = [make.post(thread, author=authors[i % 3]) for i in range(posts - 1)]
    reader = make.member("reader")
    set_trust_level(db, reader, 4)
    for reply in replies[::2]:
        votes.cast_vote(reader, reply, 1)
    db.session.commit()
    app.config["POSTS_PER_PAGE"] = 100
    try:
        auth.login(reader)
        client.get(f"/t/{thread.id}")  # warm up
        with count_queries() as statements:
            page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    finally:
        app.config["POSTS_PER_PAGE"] = 20
    assert page.count('class="vote-up" aria-pressed="true"') == len(replies[::2])
    assert len(statements) <= 12, "\n".join(statements)


# ---- rate limit (a separate process: the test app runs without limits) ------------------------------

RATE_LIMIT_SCRIPT = textwrap.dedent("""
    import json, sys
    from application import create_app
    from community.extensions import db
    from tests import factories

    app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1], "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/rl.db",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        db.create_all()
        reply = factories.post(factories.thread())
        voter = factories.member("ratelimited")
        reply_id = reply.id
    client = app.test_client()
    client.post("/login", data={"login": "ratelimited", "password": factories.PASSWORD})
    codes, last = [], None
    for n in range(62):
        response = client.post(f"/p/{reply_id}/vote", data={"value": str(n % 2)}, headers={"Accept": "application/json"})
        codes.append(response.status_code)
        last = response.get_json()
    print(json.dumps({"codes": codes, "last": last}))
""")


def test_voting_is_rate_limited_per_minute(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", RATE_LIMIT_SCRIPT, str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["codes"][:60] == [200] * 60
    assert outcome["codes"][60:] == [429, 429]
    assert outcome["last"]["error"]["code"] == "rate_limited"


# ---- concurrency (PostgreSQL) --------------------------------------------------------------------

def _require_postgres(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time, so there is no race to test "
                    "(set TEST_DATABASE_URL=postgresql+psycopg://...)")


def _run_at_once(app, db, jobs, timeout=120):
    """Run each job(member_id, n) in its own thread with its own app context and session, all released at once."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job, args):
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                job(*args)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    workers = [threading.Thread(target=run, args=job) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout)
    assert not any(worker.is_alive() for worker in workers), "a voter hung"
    assert not errors, errors[:3]


@pytest.mark.postgres
def test_fifty_members_voting_at_once_leave_exactly_the_right_score(app, make, db):
    _require_postgres(db)
    thread = make.thread()
    opening_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.number == 1))
    thread_id = thread.id
    voter_ids = [make.member().id for _ in range(50)]
    values = {member_id: (1 if n % 5 else -1) for n, member_id in enumerate(voter_ids)}  # 40 up, 10 down

    def vote(member_id):
        member, post = db.session.get(Member, member_id), db.session.get(Post, opening_id)
        votes.cast_vote(member, post, values[member_id])
        db.session.commit()

    _run_at_once(app, db, [(vote, (member_id,)) for member_id in voter_ids])
    assert vote_rows(db, opening_id) == values
    assert fresh(db, Post, opening_id).score == 30
    assert fresh(db, Thread, thread_id).score == 30


@pytest.mark.postgres
def test_fifty_members_changing_and_taking_back_votes_at_once_lose_nothing(app, make, db):
    _require_postgres(db)
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

    _run_at_once(app, db, [(flip, (member_id,)) for member_id in voter_ids])
    expected = {member_id: seq[-1] for member_id, seq in sequences.items() if seq[-1]}
    assert vote_rows(db, post_id) == expected
    assert fresh(db, Post, post_id).score == sum(expected.values())


@pytest.mark.postgres
def test_one_member_voting_in_many_tabs_at_once_keeps_one_vote(app, make, db):
    _require_postgres(db)
    reply = make.post(make.thread())
    post_id, voter_id = reply.id, make.member().id

    def vote(value):
        member, post = db.session.get(Member, voter_id), db.session.get(Post, post_id)
        votes.cast_vote(member, post, value)
        db.session.commit()

    _run_at_once(app, db, [(vote, (value,)) for value in (1, -1, 1, 0, -1, 1, 1, -1) * 2])
    rows = vote_rows(db, post_id)
    assert len(rows) <= 1
    assert fresh(db, Post, post_id).score == sum(rows.values())


@pytest.mark.postgres
def test_parallel_tabs_cannot_overshoot_the_daily_allowance(app, make, db):
    _require_postgres(db)
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

        _run_at_once(app, db, [(vote, (post_id,)) for post_id in post_ids])
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
    _require_postgres(db)
    import weakref

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
        _run_at_once(app, db, [(vote, (n, member_id)) for n, member_id in enumerate(voter_ids)])
    finally:
        vote_cast.disconnect(subscribers_in_this_process_order)
        for receiver in receivers:
            # weak=False as the areas connect them: a weak reconnect lets closures be garbage-collected,
            # silently unsubscribing them for every later test (the webhook outbox lost vote.cast)
            vote_cast.connect(receiver, weak=False)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 72
    assert set(db.session.scalars(select(Post.score).where(Post.id.in_(post_ids)))) == {12}
