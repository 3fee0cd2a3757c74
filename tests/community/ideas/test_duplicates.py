"""Merged duplicates: votes carried over to the original (each member once), the duplicate closed and
pointing to it, reopening, bad targets, chains and cycles; a merge racing voters on PostgreSQL."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from community.dbtypes import utcnow
from community.errors import ValidationFailed
from community.extensions import db as _db
from community.forum.models import IdeaStatus, Post, Thread, Visibility
from community.ideas import services as ideas
from community.members.models import Member, Role
from community.moderation.thread_tools import lock_thread
from community.signals import thread_locked
from community.votes.models import Vote
from community.votes.services import cast_vote
from tests.community.ideas.conftest import (
    change,
    events_of,
    fresh,
    idea_board,
    opening,
    snapshot,
    stored_score,
    text_of,
    vote,
    votes_on,
)

# ---- duplicates -------------------------------------------------------------------------------

def test_merging_a_duplicate_carries_votes_over_counting_each_member_once(client, auth, make, board, staff):
    alice, bob = make.member("alice"), make.member("bob")
    dup = make.thread(board=board, author=alice, title="Night theme")
    original = make.thread(board=board, author=bob, title="Dark mode")
    u1, u2, u3, u4, u5 = (make.member(f"user{i}") for i in range(1, 6))
    vote(u1, dup, 1)                          # only on the duplicate: moves over
    vote(u2, dup, 1), vote(u2, original, 1)   # on both, same way: counted once
    vote(u3, dup, -1)                         # a downvote moves as a downvote
    vote(u4, dup, -1), vote(u4, original, 1)  # on both, differently: the vote on the original stands
    vote(bob, dup, 1)                         # the original's author cannot vote on their own idea
    vote(u5, original, 1)                     # only on the original
    assert stored_score(dup)[0] == 1 and stored_score(original)[0] == 3

    auth.login(staff)
    response = change(client, dup, json=True, status="duplicate", duplicate_of=str(original.id),
                      reason="Same request.")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["thread"]["idea_status"] == "duplicate" and body["event"]["votes_carried"] == 2
    assert body["event"]["duplicate_of"] == original.id

    assert votes_on(original) == {"user1": 1, "user2": 1, "user3": -1, "user4": 1, "user5": 1}
    assert votes_on(dup) == {}
    assert stored_score(original) == (3, 3, 3)  # thread, opening post and vote rows agree
    assert stored_score(dup) == (0, 0, 0)
    per_member = _db.session.execute(select(Vote.member_id, func.count()).join(Post, Post.id == Vote.post_id)
                                     .where(Post.thread_id.in_([dup.id, original.id])).group_by(Vote.member_id))
    assert all(n == 1 for _, n in per_member)
    [event] = events_of(dup)
    assert (event.status, event.duplicate_of_id, event.votes_carried, event.reason) == (
        IdeaStatus.duplicate, original.id, 2, "Same request.")


def test_carried_votes_keep_working_as_votes_on_the_original(client, auth, make, board, staff):
    dup, original = make.thread(board=board), make.thread(board=board)
    fan = make.member("fanny")
    vote(fan, dup, 1)
    auth.login(staff)
    assert change(client, dup, status="duplicate", duplicate_of=f"#{original.id}").status_code == 302
    vote(fan, original, 0)  # taking back the carried vote works like any vote
    assert votes_on(original) == {} and stored_score(original) == (0, 0, 0)
    vote(fan, original, -1)
    assert stored_score(original) == (-1, -1, -1)


def test_a_duplicate_is_closed_and_points_to_the_original(client, auth, make, board, staff):
    dup = make.thread(board=board, title="Night theme")
    original = make.thread(board=board, title="Dark mode")
    vote(make.member(), dup, 1)
    locks = []
    def heard(sender, **kw):
        locks.append((sender.id, kw["locked"]))

    auth.login(staff)
    link = f"https://localhost/t/{original.id}/dark-mode"
    with thread_locked.connected_to(heard):
        assert change(client, dup, status="duplicate", duplicate_of=link).status_code == 302
    assert fresh(dup).is_locked and fresh(dup).idea_status is IdeaStatus.duplicate
    assert (dup.id, True) in locks
    assert "idea-duplicate-note" in client.get(f"/t/{dup.id}").get_data(as_text=True)
    page = text_of(client.get(f"/t/{dup.id}"))
    assert f"Duplicate of #{original.id} Dark mode" in page
    assert f"Merged into #{original.id} Dark mode · 1 vote carried over" in page
    assert "This thread is closed to new replies." in page
    replier = make.member("late")
    auth.logout()
    auth.login(replier)
    assert client.post(f"/t/{dup.id}/reply", data={"body": "Me too!"}).status_code == 403
    assert fresh(dup).reply_count == 0


def test_reopening_a_duplicate_opens_the_thread_but_the_votes_stay_with_the_original(client, auth, make, board, staff):
    dup, original = make.thread(board=board), make.thread(board=board)
    vote(make.member("fanny"), dup, 1)
    auth.login(staff)
    assert change(client, dup, status="duplicate", duplicate_of=str(original.id)).status_code == 302
    assert change(client, dup, status="open", reason="Not the same after all.").status_code == 302
    dup = fresh(dup)
    assert dup.idea_status is IdeaStatus.open and not dup.is_locked
    assert votes_on(original) == {"fanny": 1} and stored_score(dup) == (0, 0, 0)
    assert "idea-duplicate-note" not in client.get(f"/t/{dup.id}").get_data(as_text=True)


def test_reopening_leaves_a_moderators_lock_alone(client, auth, make, board, staff):
    dup, original = make.thread(board=board), make.thread(board=board)
    lock_thread(make.member(role=Role.moderator), dup, "Heated.")
    _db.session.commit()
    auth.login(staff)
    assert change(client, dup, status="duplicate", duplicate_of=str(original.id)).status_code == 302
    assert change(client, dup, status="open", reason="Reopened.").status_code == 302
    assert fresh(dup).is_locked and fresh(dup).locked_reason == "Heated."


@pytest.mark.parametrize("target,message", [
    ("", "Give the number or the link of the idea this one duplicates."),
    ("soon", "Give the number or the link of the idea this one duplicates."),
    ("self", "An idea cannot be a duplicate of itself."),
    ("discussion", "Only another idea can be the original of a duplicate."),
    ("missing", "There is no idea #999999 that you can see."),
    ("deleted", "that you can see."),
    ("staff-only", "merge into an idea everyone who reads this one can read"),
    ("elsewhere", "Give a link to an idea on this site."),
])
def test_a_bad_duplicate_target_is_a_clear_error_and_nothing_moves(client, auth, make, board, staff, target, message):
    dup = make.thread(board=board)
    fan = make.member("fanny")
    vote(fan, dup, 1)
    others = {
        "self": dup,
        "discussion": make.thread(board=make.board()),
        "deleted": make.thread(board=board),
        "staff-only": make.thread(board=idea_board(make, Visibility.staff)),
    }
    if target == "deleted":
        others["deleted"].deleted_at = utcnow()
        _db.session.commit()
    raw = {"missing": "999999", "elsewhere": f"https://evil.example/t/{dup.id}", "": "", "soon": "soon"}.get(target)
    raw = raw if raw is not None else str(others[target].id)
    auth.login(staff)
    before = snapshot(dup, *others.values())
    response = change(client, dup, status="duplicate", duplicate_of=raw)
    assert response.status_code == 422 and message in text_of(response)
    as_json = change(client, dup, json=True, status="duplicate", duplicate_of=raw)
    assert as_json.status_code == 422 and message in as_json.get_json()["error"]["fields"]["duplicate_of"]
    assert snapshot(dup, *others.values()) == before
    assert not fresh(dup).is_locked


def test_service_refuses_a_target_the_staffer_cannot_see(make, board, staff):
    dup = make.thread(board=board)
    hidden = make.thread(board=board)
    hidden.deleted_at = utcnow()
    _db.session.commit()

    with pytest.raises(ValidationFailed) as refused:
        ideas.change_idea_status(staff, dup, IdeaStatus.duplicate, duplicate_of=hidden)
    assert "duplicate_of" in refused.value.fields
    _db.session.rollback()
    assert fresh(dup).idea_status is IdeaStatus.open


def test_duplicate_chains_and_cycles_are_refused(client, auth, make, board, staff):
    a, b, c = (make.thread(board=board, title=f"Idea {t}") for t in ("A", "B", "C"))
    vote(make.member("fanny"), a, 1)
    auth.login(staff)
    assert change(client, a, status="duplicate", duplicate_of=str(b.id)).status_code == 302
    before = snapshot(a, b, c)
    cycle = change(client, b, status="duplicate", duplicate_of=str(a.id))
    assert cycle.status_code == 422 and "That idea is itself a duplicate" in text_of(cycle)
    chain = change(client, c, json=True, status="duplicate", duplicate_of=str(a.id))
    assert chain.status_code == 422 and "itself a duplicate" in chain.get_json()["error"]["fields"]["duplicate_of"]
    assert snapshot(a, b, c) == before


def test_merging_an_idea_that_has_duplicates_carries_their_votes_on(client, auth, make, board, staff):
    a, b, c = (make.thread(board=board) for _ in range(3))
    x, y = make.member("xavi"), make.member("yuki")
    vote(x, a, 1)
    vote(y, b, 1), vote(x, b, 1)
    auth.login(staff)
    assert change(client, a, status="duplicate", duplicate_of=str(b.id)).status_code == 302
    assert change(client, b, status="duplicate", duplicate_of=str(c.id)).status_code == 302
    assert votes_on(c) == {"xavi": 1, "yuki": 1} and stored_score(c) == (2, 2, 2)
    assert stored_score(a) == (0, 0, 0) and stored_score(b) == (0, 0, 0)


# ---- concurrency (PostgreSQL) --------------------------------------------------------------------

@pytest.mark.postgres
def test_a_merge_while_members_keep_voting_loses_nothing_and_never_deadlocks(app, make, board, staff):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time (set TEST_DATABASE_URL=postgresql+psycopg://...)")

    dup, original = make.thread(board=board), make.thread(board=board)
    members = [make.member() for _ in range(20)]
    for n, member in enumerate(members):
        if n < 15:
            vote(member, dup, 1 if n % 3 else -1)
        if n >= 10:
            vote(member, original, 1)
    ids = {"dup": dup.id, "original": original.id, "staff": staff.id}
    posts = {"dup": opening(dup).id, "original": opening(original).id}
    barrier = threading.Barrier(len(members) + 1)
    errors: list[BaseException] = []

    def voting(member_id, n):
        for round_ in range(4):
            which = "dup" if (n + round_) % 2 else "original"
            member, post = _db.session.get(Member, member_id), _db.session.get(Post, posts[which])
            cast_vote(member, post, (1, -1, 0)[(n + round_) % 3])
            _db.session.commit()

    def merging():
        actor = _db.session.get(Member, ids["staff"])
        ideas.change_idea_status(actor, _db.session.get(Thread, ids["dup"]), IdeaStatus.duplicate,
                                 duplicate_of=_db.session.get(Thread, ids["original"]))
        _db.session.commit()

    def run(job, *args):
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                job(*args)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                _db.session.rollback()
            finally:
                _db.session.remove()

    workers = [threading.Thread(target=run, args=(voting, m.id, n)) for n, m in enumerate(members)]
    workers.append(threading.Thread(target=run, args=(merging,)))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not any(worker.is_alive() for worker in workers), "someone hung"
    assert not errors, errors[:3]
    _db.session.expire_all()
    assert fresh(dup).idea_status is IdeaStatus.duplicate
    for idea in (dup, original):
        thread_score, post_score, rows = stored_score(idea)
        assert thread_score == post_score == rows, idea
