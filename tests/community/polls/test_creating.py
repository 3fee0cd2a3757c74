"""Creating a poll: with a new thread (single or multiple choice, limits, a closing time), refused
whole when invalid, added later by the author or a moderator, closed early."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.errors import ValidationFailed
from community.forum.models import Board, Thread
from community.members.models import Member
from community.polls import services as polls
from community.polls.models import Poll, PollOption
from community.signals import poll_created
from tests.community.polls.conftest import add_poll, captured, option_ids, row_count, thread_form

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
