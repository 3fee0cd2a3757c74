"""Polls: created with a thread (or later), one changeable ballot per member, results after voting or
after close, staff-hidden results, permissions, CSRF, nothing half-saved, and concurrent voting."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from community.dbtypes import utcnow
from community.errors import ValidationFailed
from community.forum.models import Board, Thread
from community.members.models import Member
from community.polls import services as polls
from community.polls.models import Poll, PollBallot, PollOption, PollVote
from community.signals import poll_created, poll_voted
from tests.conftest import csrf_token_from


# ---- helpers -------------------------------------------------------------------------------

def thread_form(title="Which colour should the next model be?", body="Tell us what you like best.", **poll):
    data = {"title": title, "body": body}
    data.update({f"poll-{key}": value for key, value in poll.items()})
    return data


def add_poll(thread, author, options=("Red", "Green", "Blue"), question="Which colour?", **kwargs):
    from community.extensions import db

    poll = polls.create_poll(author, thread, question, list(options), **kwargs)
    db.session.commit()
    return poll


def option_ids(poll):
    return [option.id for option in sorted(poll.options, key=lambda o: o.position)]


def counts(db, poll):
    """Return {label: vote_count} fresh from the database."""
    return dict(db.session.execute(select(PollOption.label, PollOption.vote_count)
                                   .where(PollOption.poll_id == poll.id)).all())


def row_count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def close_now(db, poll):
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(closes_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    db.session.expire_all()


@contextmanager
def captured(signal):
    seen = []

    def receiver(sender, **kwargs):  # keep ids: the objects outlive their request's session
        seen.append((sender.id, {key: getattr(value, "id", value) for key, value in kwargs.items()}))

    with signal.connected_to(receiver):
        yield seen


PERCENT = re.compile(r"\d+%")


# ---- creating a poll with its thread --------------------------------------------------------

def test_member_starts_thread_with_single_choice_poll(client, auth, make, db):
    make.board(slug="product")
    alice = make.member("alice")
    auth.login(alice)
    with captured(poll_created) as seen:
        response = client.post("/b/product/new", data=thread_form(
            question="Which colour should it be?", options="Red\r\n\r\nForest green\r\nBlue\r\n", kind="single"))
    assert response.status_code == 302
    poll = db.session.scalar(select(Poll))
    assert poll.question == "Which colour should it be?"
    assert [o.label for o in poll.options] == ["Red", "Forest green", "Blue"]  # blank lines skipped
    assert poll.multiple is False and poll.max_choices == 1 and poll.closes_at is None
    assert poll.thread.title == "Which colour should the next model be?"
    assert seen == [(poll.id, {"thread": poll.thread_id})]

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Which colour should it be?" in page
    assert 'type="radio" name="option"' in page and "Forest green" in page


def test_thread_without_poll_fields_has_no_poll(client, auth, make, db):
    make.board(slug="product")
    auth.login(make.member())
    assert client.post("/b/product/new", data=thread_form()).status_code == 302
    assert row_count(db, Thread) == 1 and row_count(db, Poll) == 0


def test_multiple_choice_poll_with_limit_and_closing_time(client, auth, make, db):
    make.board(slug="product")
    auth.login(make.member())
    response = client.post("/b/product/new", data=thread_form(
        question="Which features?", options="Maps\nMusic\nWeather\nSleep", kind="multiple", max_choices="2",
        closes_at="2999-01-02T10:30", tz_offset="-480"))  # a browser at UTC+8
    assert response.status_code == 302
    poll = db.session.scalar(select(Poll))
    assert poll.multiple is True and poll.max_choices == 2
    assert (poll.closes_at.year, poll.closes_at.hour, poll.closes_at.minute) == (2999, 2, 30)  # 10:30 at UTC+8


@pytest.mark.parametrize("fields, message", [
    ({"options": "Only one"}, "at least 2 options"),
    ({"options": "\n".join(f"Option {n}" for n in range(1, 22))}, "at most 20 options"),
    ({"options": "\n   \n\n"}, "at least 2 options"),
    ({"options": "Yes\nyes"}, "must be different"),
    ({"question": "", "options": "Yes\nNo"}, "write the question"),
    ({"options": "Yes\nNo", "closes_at": "2001-01-01T12:00"}, "must be in the future"),
    ({"options": "Yes\nNo\nMaybe", "kind": "multiple", "max_choices": "5"}, "Allow from 2 up to"),
    ({"options": "Yes\nNo", "max_choices": "lots"}, "Not a valid integer"),
])
def test_invalid_poll_leaves_no_thread_and_keeps_what_was_typed(client, auth, make, db, fields, message):
    board = make.board(slug="product")
    alice = make.member("alice")
    auth.login(alice)
    poll_fields = {"question": "Should we?", "kind": "single", **fields}
    response = client.post("/b/product/new", data=thread_form(title="A thread that must not exist", **poll_fields))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "Please correct the marked poll fields." in page
    assert 'value="A thread that must not exist"' in page  # the thread form is kept
    assert "<details class=\"poll-compose\" open>" in page  # and the poll section stays open
    # nothing half-saved: no thread, post, poll, option, and no counter moved
    assert row_count(db, Thread) == 0 and row_count(db, Poll) == 0 and row_count(db, PollOption) == 0
    db.session.expire_all()
    assert db.session.get(Board, board.id).thread_count == 0
    assert db.session.get(Member, alice.id).thread_count == 0
    assert client.get("/b/product").status_code == 200 and "A thread that must not exist" not in \
        client.get("/b/product").get_data(as_text=True)


def test_empty_and_overlong_option_labels_are_refused(make, db):
    thread = make.thread()
    with pytest.raises(ValidationFailed) as empty:
        polls.create_poll(thread.author, thread, "Which one?", ["Red", "   ", "Blue"])
    assert "Option 2 is empty" in str(empty.value.fields["options"])
    with pytest.raises(ValidationFailed) as long:
        polls.create_poll(thread.author, thread, "Which one?", ["Red", "x" * 201])
    assert "at most 200 characters" in str(long.value.fields["options"])
    db.session.rollback()
    assert row_count(db, Poll) == 0


def test_only_staff_may_hide_results(client, auth, make, db):
    make.board(slug="product")
    member, staff = make.member(), make.member(role="staff")
    auth.login(member)
    assert "poll-hide_results" not in client.get("/b/product/new").get_data(as_text=True)
    response = client.post("/b/product/new", data=thread_form(question="Q?", options="A\nB", hide_results="y"))
    assert response.status_code == 422
    assert "Only staff may hide the results" in response.get_data(as_text=True)
    assert row_count(db, Thread) == 0
    auth.logout()
    auth.login(staff)
    assert "poll-hide_results" in client.get("/b/product/new").get_data(as_text=True)
    assert client.post("/b/product/new", data=thread_form(question="Q?", options="A\nB",
                                                          hide_results="y")).status_code == 302
    assert db.session.scalar(select(Poll)).results_hidden_until_close is True


# ---- adding a poll later, closing it --------------------------------------------------------

def test_author_adds_poll_later_others_cannot(client, auth, make, db):
    author, other, moderator = make.member(), make.member(), make.member(role="moderator")
    thread = make.thread(author=author)
    auth.login(other)
    assert "Add a poll" not in client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert client.post(f"/t/{thread.id}/poll", data={"poll-question": "Q?", "poll-options": "A\nB"}).status_code == 403
    auth.logout()
    auth.login(author)
    assert f'href="/t/{thread.id}/poll"' in client.get(f"/t/{thread.id}").get_data(as_text=True)
    bad = client.post(f"/t/{thread.id}/poll", data={"poll-question": "Q?", "poll-options": "A"})
    assert bad.status_code == 422 and "at least 2 options" in bad.get_data(as_text=True)
    assert client.post(f"/t/{thread.id}/poll", data={"poll-question": "Q?", "poll-options": "A\nB"}).status_code == 302
    assert row_count(db, Poll, Poll.thread_id == thread.id) == 1
    # one poll per thread, also for a moderator
    auth.logout()
    auth.login(moderator)
    again = client.post(f"/t/{thread.id}/poll", data={"poll-question": "Again?", "poll-options": "A\nB"},
                        follow_redirects=True)
    assert "already has a poll" in again.get_data(as_text=True)
    assert row_count(db, Poll) == 1


def test_moderator_adds_poll_to_someone_elses_thread(client, auth, make, db):
    thread = make.thread()
    auth.login(make.member(role="moderator"))
    assert client.post(f"/t/{thread.id}/poll", data={"poll-question": "Q?", "poll-options": "A\nB"}).status_code == 302
    assert row_count(db, Poll) == 1


def test_author_closes_poll_and_everyone_sees_results(client, auth, make, db):
    author, voter = make.member(), make.member()
    thread = make.thread(author=author)
    poll = add_poll(thread, author)
    polls.cast_ballot(voter, poll, [option_ids(poll)[0]])
    db.session.commit()
    auth.login(voter)
    assert client.post(f"/polls/{poll.id}/close").status_code == 403  # not the author
    auth.logout()
    auth.login(author)
    assert client.post(f"/polls/{poll.id}/close").status_code == 302
    auth.logout()
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "100%" in page and "1 vote" in page and "Closed" in page


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
    assert seen == [(poll.id, {"voter": alice.id, "option_ids": [green]})]
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


# ---- who sees the results ------------------------------------------------------------------

def test_results_visibility_rules(client, auth, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red = option_ids(poll)[0]
    voter, onlooker = make.member(), make.member()
    polls.cast_ballot(voter, poll, [red])
    db.session.commit()

    def poll_section(page):
        return page.split(f'id="poll-{poll.id}"')[1].split("</section>")[0]

    guest = poll_section(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert "Red" in guest and not PERCENT.search(guest) and "vote" not in guest.replace("to vote", "")
    assert "Sign in" in guest
    guest_json = client.get(f"/polls/{poll.id}", headers={"Accept": "application/json"}).get_json()["poll"]
    assert guest_json["results_visible"] is False and "voter_count" not in guest_json
    assert all("votes" not in o and "percent" not in o for o in guest_json["options"])

    auth.login(onlooker)  # has not voted: options only
    page = poll_section(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert not PERCENT.search(page) and "The results show once you have voted." in page
    auth.logout()
    auth.login(voter)  # voted: results
    page = poll_section(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert "100%" in page and "your choice" in page
    data = client.get(f"/polls/{poll.id}", headers={"Accept": "application/json"}).get_json()["poll"]
    assert data["voter_count"] == 1 and data["options"][0]["votes"] == 1 and data["my_choices"] == [red]
    auth.logout()

    close_now(db, poll)  # closed: everyone who sees the thread
    page = poll_section(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert "100%" in page and "1 vote" in page
    assert client.get(f"/polls/{poll.id}", headers={"Accept": "application/json"}).get_json()["poll"]["voter_count"] == 1


def test_hidden_results_stay_hidden_from_everyone_until_close(client, auth, make, db):
    staff = make.member(role="staff")
    thread = make.thread(author=staff)
    poll = add_poll(thread, staff, hide_results=True)
    red = option_ids(poll)[0]
    voter = make.member()
    for who in (voter, staff):
        polls.cast_ballot(who, poll, [red])
        db.session.commit()
    admin = make.member(role="admin")
    for who in (voter, staff, admin, None):
        if who:
            auth.login(who)
        page = client.get(f"/t/{thread.id}").get_data(as_text=True).split(f'id="poll-{poll.id}"')[1].split("</section>")[0]
        assert not PERCENT.search(page) and "member voted" not in page and "members voted" not in page
        assert "hidden from everyone until the poll closes" in page
        data = client.get(f"/polls/{poll.id}", headers={"Accept": "application/json"}).get_json()["poll"]
        assert data["results_visible"] is False and "voter_count" not in data
        assert all(set(o) == {"id", "label", "chosen"} for o in data["options"])
        # voting answers JSON too, and it must not leak the counts either
        if who in (voter, staff):
            answer = client.post(f"/polls/{poll.id}/vote", json={"option_ids": [red]},
                                 headers={"Accept": "application/json"})
            assert answer.status_code == 200 and "votes" not in answer.get_data(as_text=True)
        if who:
            auth.logout()
    close_now(db, poll)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "100%" in page and "2 votes" in page


# ---- permissions ---------------------------------------------------------------------------

def test_guest_cannot_vote(client, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    response = client.post(f"/polls/{poll.id}/vote", data={"option": str(option_ids(poll)[0])})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    answer = client.post(f"/polls/{poll.id}/vote", json={"option_ids": [option_ids(poll)[0]]},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthorized"
    assert row_count(db, PollBallot) == 0


def test_member_cannot_see_or_vote_in_staff_board_poll(client, auth, make, db):
    staff = make.member(role="staff")
    thread = make.thread(board=make.board(visibility="staff"), author=staff)
    poll = add_poll(thread, staff)
    auth.login(make.member())
    assert client.post(f"/polls/{poll.id}/vote", data={"option": str(option_ids(poll)[0])}).status_code == 404
    assert client.get(f"/polls/{poll.id}", headers={"Accept": "application/json"}).status_code == 404
    assert client.post(f"/polls/{poll.id}/close").status_code == 404
    assert client.get(f"/t/{thread.id}/poll").status_code == 404
    assert row_count(db, PollBallot) == 0
    auth.logout()
    auth.login(staff)
    assert client.post(f"/polls/{poll.id}/vote", data={"option": str(option_ids(poll)[0])}).status_code == 302


def test_unknown_poll_is_404(client, auth, make):
    auth.login(make.member())
    assert client.post("/polls/999/vote", data={"option": "1"}).status_code == 404


def test_no_votes_in_deleted_or_locked_threads(client, auth, make, db):
    from community.forum import services as forum

    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red = str(option_ids(poll)[0])
    moderator, member = make.member(role="moderator"), make.member()
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(locked_at=utcnow()))
    db.session.commit()
    auth.login(member)
    assert client.post(f"/polls/{poll.id}/vote", data={"option": red}).status_code == 403
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(locked_at=None))
    db.session.commit()
    forum.delete_post(moderator, thread_opening_post(db, thread))  # deletes the thread
    db.session.commit()
    assert client.post(f"/polls/{poll.id}/vote", data={"option": red}).status_code == 410
    auth.logout()
    auth.login(moderator)  # sees the deleted thread, still cannot vote in it
    assert client.post(f"/polls/{poll.id}/vote", data={"option": red}).status_code == 403
    assert row_count(db, PollBallot) == 0


def thread_opening_post(db, thread):
    from community.forum.models import Post

    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


@pytest.mark.parametrize("role, may_add, may_hide", [
    (None, False, False), ("member", False, False), ("author", True, False),
    ("moderator", True, False), ("staff", False, True), ("admin", True, True)])
def test_poll_permission_truth_table(make, db, role, may_add, may_hide):
    from flask_login import AnonymousUserMixin

    from community import permissions

    author = make.member()
    thread = make.thread(author=author)
    poll = add_poll(thread, author)
    who = {None: AnonymousUserMixin(), "author": author}.get(role) or make.member(role=role)
    assert permissions.can_add_poll(who, thread) is may_add
    assert permissions.can_hide_poll_results(who) is may_hide
    assert permissions.can_vote_in_poll(who, poll) is (role is not None)
    assert permissions.can_close_poll(who, poll) is may_add


# ---- CSRF ----------------------------------------------------------------------------------

def test_vote_needs_csrf_token(app, client, auth, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red = str(option_ids(poll)[0])
    auth.login(make.member())
    app.config["WTF_CSRF_ENABLED"] = True
    forged = client.post(f"/polls/{poll.id}/vote", data={"option": red})
    assert forged.status_code == 400 and "form expired" in forged.get_data(as_text=True)
    assert row_count(db, PollBallot) == 0
    token = csrf_token_from(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert client.post(f"/polls/{poll.id}/vote", data={"option": red, "csrf_token": token}).status_code == 302
    assert client.post(f"/polls/{poll.id}/vote", json={"option_ids": [int(red)]},
                       headers={"Accept": "application/json"}).status_code == 400
    assert client.post(f"/polls/{poll.id}/vote", json={"option_ids": [int(red)]},
                       headers={"Accept": "application/json", "X-CSRFToken": token}).status_code == 200
    assert row_count(db, PollBallot) == 1


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


# ---- the thread page's queries ---------------------------------------------------------------

def test_thread_page_loads_poll_in_two_queries_whatever_the_post_count(client, auth, make, db, count_queries):
    author = make.member()
    plain, polled = make.thread(author=author), make.thread(author=author)
    poll = add_poll(polled, author)
    voter = make.member()
    polls.cast_ballot(voter, poll, [option_ids(poll)[0]])
    db.session.commit()
    auth.login(voter)

    def queries(thread):
        client.get(f"/t/{thread.id}")  # warm up (last-seen write and the like)
        with count_queries() as statements:
            assert client.get(f"/t/{thread.id}").status_code == 200
        return len(statements)

    without_poll = queries(plain)
    few = queries(polled)
    for _ in range(15):
        make.post(polled)
    many = queries(polled)
    assert few - without_poll <= 2
    assert many == few


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
