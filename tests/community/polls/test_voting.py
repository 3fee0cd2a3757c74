"""Voting in a poll: one ballot per member, changeable; single and multiple choice within their limits;
no votes after close."""
from __future__ import annotations

from datetime import timedelta

import pytest

from community.dbtypes import utcnow
from community.polls import services as polls
from community.polls.models import Poll, PollBallot, PollVote
from community.signals import poll_voted
from tests.community.polls.conftest import PERCENT, add_poll, captured, close_now, counts, option_ids, row_count

# ---- voting --------------------------------------------------------------------------------

def test_member_votes_single_choice_and_sees_results(client, auth, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red, green, blue = option_ids(poll)
    alice = make.member()
    auth.login(alice)
    before = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Red" in before and not PERCENT.search(before.split('id="poll-')[1])  # options, no counts
    with captured(poll_voted) as seen:
        response = client.post(f"/polls/{poll.id}/vote", data={"option": str(green)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#poll-{poll.id}")
    assert seen == [(poll.id, {"voter": alice.id, "option_ids": [green], "at": "now"})]
    assert counts(db, poll) == {"Red": 0, "Green": 1, "Blue": 0}
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "100%" in page and "1 vote" in page and "1 member voted." in page
    assert '<meter class="poll-bar" min="0" max="100" value="100"' in page


def test_single_choice_takes_exactly_one_known_option(client, auth, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red, green, _blue = option_ids(poll)
    elsewhere_thread = make.thread()
    elsewhere = add_poll(elsewhere_thread, elsewhere_thread.author)
    auth.login(make.member())
    for data, message in [({"option": [str(red), str(green)]}, "exactly one"),
                          ({}, "Choose an option"),
                          ({"option": str(option_ids(elsewhere)[0])}, "not an option of this poll"),
                          ({"option": "red"}, "not an option of this poll")]:
        response = client.post(f"/polls/{poll.id}/vote", data=data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True)
    assert row_count(db, PollBallot) == 0 and sum(counts(db, poll).values()) == 0


def test_multiple_choice_up_to_max(client, auth, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author, options=("Maps", "Music", "Weather", "Sleep"), multiple=True,
                    max_choices=2)
    maps, music, weather, _sleep = option_ids(poll)
    auth.login(make.member())
    too_many = client.post(f"/polls/{poll.id}/vote", data={"option": [str(maps), str(music), str(weather)]})
    assert too_many.status_code == 422 and "at most 2 options" in too_many.get_data(as_text=True)
    assert client.post(f"/polls/{poll.id}/vote", data={"option": [str(maps), str(weather)]}).status_code == 302
    assert counts(db, poll) == {"Maps": 1, "Music": 0, "Weather": 1, "Sleep": 0}
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'type="checkbox" name="option"' in page and 'data-max-choices="2"' in page


def test_changing_ballot_moves_counts_and_keeps_one_ballot(client, auth, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author, options=("A", "B", "C"), multiple=True)
    a, b, c = option_ids(poll)
    auth.login(make.member())
    client.post(f"/polls/{poll.id}/vote", data={"option": [str(a), str(b)]})
    with captured(poll_voted) as seen:
        assert client.post(f"/polls/{poll.id}/vote", data={"option": [str(b), str(c)]}).status_code == 302
    assert seen[0][1]["option_ids"] == [b, c]
    assert counts(db, poll) == {"A": 0, "B": 1, "C": 1}
    assert row_count(db, PollBallot) == 1 and row_count(db, PollVote) == 2
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).voter_count == 1
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Change your vote" in page and "checked" in page


def test_changing_single_choice_ballot(make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red, green, _ = option_ids(poll)
    voters = [make.member() for _ in range(3)]
    for voter in voters:
        polls.cast_ballot(voter, poll, [red])
        db.session.commit()
    polls.cast_ballot(voters[0], poll, [green])
    db.session.commit()
    assert counts(db, poll) == {"Red": 2, "Green": 1, "Blue": 0}
    assert db.session.get(Poll, poll.id).voter_count == 3 and row_count(db, PollBallot) == 3


def test_vote_refused_after_close(client, auth, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red, green, _ = option_ids(poll)
    voter = make.member()
    polls.cast_ballot(voter, poll, [red])
    db.session.commit()
    close_now(db, poll)
    auth.login(voter)
    response = client.post(f"/polls/{poll.id}/vote", data={"option": str(green)})
    assert response.status_code == 403 and "poll has closed" in response.get_data(as_text=True)
    assert counts(db, poll) == {"Red": 1, "Green": 0, "Blue": 0}
    assert 'name="option"' not in client.get(f"/t/{thread.id}").get_data(as_text=True)


def test_poll_closing_at_its_time(make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author, closes_at=utcnow() + timedelta(hours=1))
    later = utcnow() + timedelta(hours=2)
    with pytest.raises(Exception, match="closed"):
        polls.cast_ballot(make.member(), poll, [option_ids(poll)[0]], now=later)
