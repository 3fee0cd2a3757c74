"""Earning points: once per upvote, accepted answer and badge, not for downvotes; staff grant and take
points (never below zero), but not to themselves: an admin may, and it is recorded."""
from __future__ import annotations

from sqlalchemy import select

from community.extensions import db as _db
from community.qa import services as qa
from community.rewards.models import PointsEntry, PointsReason
from community.votes import services as votes
from tests.community.rewards.conftest import assert_points_match_ledger, ledger, points

# ---- earning points -----------------------------------------------------------------------

def test_points_are_earned_once_per_upvote_accepted_answer_and_badge(db, make):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    for value in (1, 0, 1, -1, 1):  # cycling a vote earns the upvote's points once
        votes.cast_vote(voter, post, value)
        db.session.commit()
    assert ledger(author) == [(10, PointsReason.earned)]
    question = make.thread(board=make.board(kind="question"))
    answer = make.post(question, author=author)
    qa.accept_answer(question.author, answer)
    db.session.commit()
    assert ledger(author)[-1] == (15, PointsReason.earned)
    assert_points_match_ledger(author, voter)


def test_downvotes_cost_reputation_not_points(db, make):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    votes.cast_vote(voter, post, -1)
    db.session.commit()
    assert ledger(author) == [] and points(author) == 0


def test_staff_grant_and_take_points_never_below_zero(client, auth, staff, make):
    ann = make.member("ann")
    auth.login(staff)
    assert client.post("/rewards/manage/grant", data={"grant-username": "ann", "grant-amount": "300",
                                                      "grant-note": "Meetup host"}).status_code == 302
    response = client.post("/rewards/manage/grant", data={"grant-username": "ann", "grant-amount": "-500",
                                                          "grant-note": "Oops"})
    assert response.status_code == 422 and "More than the member has." in response.get_data(as_text=True)
    for bad in ({"grant-username": "nobody", "grant-amount": "5", "grant-note": "x"},
                {"grant-username": "ann", "grant-amount": "0", "grant-note": "x"},
                {"grant-username": "ann", "grant-amount": "lots", "grant-note": "x"},
                {"grant-username": "ann", "grant-amount": "5", "grant-note": "  "}):
        assert client.post("/rewards/manage/grant", data=bad).status_code == 422
    assert ledger(ann) == [(300, PointsReason.staff_grant)] and points(ann) == 300
    auth.logout()
    auth.login(make.member("bob"))
    assert client.post("/rewards/manage/grant", data={"grant-username": "bob", "grant-amount": "300",
                                                      "grant-note": "me"}).status_code == 404
    assert_points_match_ledger(ann)


def test_staff_cannot_grant_points_to_themselves_but_an_admin_may_and_it_is_recorded(client, auth, staff, make):
    auth.login(staff)
    response = client.post("/rewards/manage/grant", data={"grant-username": staff.username, "grant-amount": "500",
                                                          "grant-note": "Bonus for me"})
    assert response.status_code == 422 and "cannot give points to yourself" in response.get_data(as_text=True)
    assert ledger(staff) == [] and points(staff) == 0
    # taking is granting too: no moving of one's own balance either way
    assert client.post("/rewards/manage/grant", data={"grant-username": staff.username, "grant-amount": "-1",
                                                      "grant-note": "x"}).status_code == 422
    auth.logout()
    admin = make.member("ada", role="admin")
    auth.login(admin)
    assert client.post("/rewards/manage/grant", data={"grant-username": "ada", "grant-amount": "50",
                                                      "grant-note": "Test of the shop"}).status_code == 302
    entry = _db.session.scalar(select(PointsEntry).where(PointsEntry.member_id == admin.id))
    assert (entry.delta, entry.reason, entry.actor_id, entry.note) == (50, PointsReason.staff_grant, admin.id,
                                                                       "Test of the shop")
    assert_points_match_ledger(admin)
