"""Live threads, notifications, presence and access over the Flask-SocketIO test client."""
from __future__ import annotations

import pytest

from community.extensions import db
from community.forum import services as forum
from community.forum.models import BoardKind, Visibility
from community.members.models import Role
from community.moderation.thread_tools import lock_thread, move_thread
from community.notifications.services import follow_thread
from community.polls.services import cast_ballot, create_poll
from community.qa.services import accept_answer
from community.votes.services import cast_vote
from tests.community.realtime.conftest import events, received
from tests.conftest import Auth


def join(sio, thread, **extra):
    return sio.emit("join_thread", dict({"thread_id": thread.id}, **extra), callback=True)


def test_guest_reader_sees_a_reply_arrive_as_ids_only(client, auth, make, sockets):
    thread = make.thread(title="Router keeps dropping wifi")
    reader = sockets()
    assert join(reader, thread)["ok"] is True
    reader.get_received()
    auth.login(make.member("ann"))
    assert client.post(f"/t/{thread.id}/reply", data={"body": "Try channel **6**."}).status_code == 302
    (created,) = events(reader, "post_created")
    assert created["thread_id"] == thread.id and created["number"] == 2
    assert "channel" not in str(created)  # content never travels on the socket


def test_a_rolled_back_reply_sends_nothing(make, sockets):
    thread = make.thread()
    reader = sockets()
    join(reader, thread)
    reader.get_received()
    forum.reply(make.member(), thread, "Never mind, I will not post this.")
    db.session.rollback()
    assert events(reader, "post_created") == []


def test_guest_cannot_join_a_staff_boards_thread_nor_hear_its_replies(make, sockets):
    board = make.board(visibility=Visibility.staff)
    thread = make.thread(board=board)
    guest = sockets()
    answer = join(guest, thread)
    assert answer["error"]["code"] == "not_found"
    guest.get_received()
    make.post(thread, author=make.member(role=Role.staff), body="Internal: the fix ships Friday.")
    assert events(guest, "post_created") == []


def test_member_cannot_join_staff_thread_but_staff_can(client, auth, make, sockets):
    thread = make.thread(board=make.board(visibility=Visibility.staff))
    auth.login(make.member("mia"))
    assert join(sockets(client), thread)["error"]["code"] == "not_found"
    staff_client = client.application.test_client()

    Auth(staff_client).login(make.member("sam", role=Role.staff))
    assert join(sockets(staff_client), thread)["ok"] is True


def test_edit_delete_score_lock_and_accepted_answer_reach_readers(make, sockets):
    asker = make.member("asker")
    thread = make.thread(board=make.board(kind=BoardKind.question), author=asker)
    answer = make.post(thread, author=make.member("helper"), body="Reset the router.")
    reader = sockets()
    join(reader, thread)
    reader.get_received()

    forum.edit_post(answer.author, answer, "Reset the router, then wait a minute.")
    cast_vote(asker, answer, 1)
    accept_answer(asker, answer)
    db.session.commit()
    got = received(reader)
    assert got["post_changed"] == [{"thread_id": thread.id, "post_id": answer.id, "why": "edited", "t": pytest.approx(got["post_changed"][0]["t"])}]
    assert got["score"][0]["score"] == 1 and got["score"][0]["post_id"] == answer.id
    assert got["answer"][0]["post_id"] == answer.id

    lock_thread(make.member("mod", role=Role.moderator), thread, "Solved.")
    forum.delete_post(answer.author, answer)
    db.session.commit()
    got = received(reader)
    assert got["lock"][0]["locked"] is True
    assert [e["why"] for e in got["post_changed"]] == ["deleted"]


def test_poll_ballots_tell_readers_to_fetch_results(make, sockets):
    author = make.member()
    thread = make.thread(author=author)
    poll = create_poll(author, thread, "Which colour?", ["Red", "Blue"])
    db.session.commit()
    reader = sockets()
    join(reader, thread)
    reader.get_received()
    cast_ballot(make.member(), poll, [poll.options[0].id])
    db.session.commit()
    (changed,) = events(reader, "poll_changed")
    assert changed == {"thread_id": thread.id, "poll_id": poll.id, "t": changed["t"]}


def test_catch_up_after_reconnect_returns_missed_posts_only(make, sockets):
    thread = make.thread()
    seen = make.post(thread)
    reader = sockets()
    answer = join(reader, thread, last_seen_post_id=seen.id)
    assert answer["missed"] == []
    reader.disconnect()
    missed = [make.post(thread).id for _ in range(3)]
    again = sockets()
    answer = join(again, thread, last_seen_post_id=seen.id, since=answer["t"])
    assert answer["missed"] == missed and answer["more"] is False


def test_catch_up_reports_posts_edited_while_away(make, sockets):
    thread = make.thread()
    post = make.post(thread)
    reader = sockets()
    first = join(reader, thread, last_seen_post_id=post.id)
    reader.disconnect()
    forum.edit_post(post.author, post, "An improved answer.")
    db.session.commit()
    answer = join(sockets(), thread, last_seen_post_id=post.id, since=first["t"] - 1)
    assert answer["changed"] == [post.id]


def test_moving_a_thread_to_a_staff_board_drops_guests(make, sockets):
    thread = make.thread()
    staff_board = make.board(visibility=Visibility.staff)
    reader = sockets()
    join(reader, thread)
    reader.get_received()
    move_thread(make.member(role=Role.admin), thread, staff_board)
    db.session.commit()
    assert events(reader, "thread_access_changed")[0]["reason"] == "moved"
    assert join(reader, thread)["error"]["code"] == "not_found"
    make.post(thread, author=make.member(role=Role.staff))
    assert events(reader, "post_created") == []


def test_notifications_reach_only_their_member_live(client, auth, make, sockets):
    owner = make.member("olga")
    thread = make.thread(author=owner)
    auth.login(owner)
    mine = sockets(client)
    (hello,) = events(mine, "hello")
    assert hello["member_id"] == owner.id
    before = hello["unread"]  # e.g. a first-thread badge
    other_client = client.application.test_client()

    Auth(other_client).login(make.member("pete"))
    theirs = sockets(other_client)
    theirs.get_received()
    make.post(thread, author=make.member("rex"), body="A reply for olga.")
    (note,) = events(mine, "notification")
    assert note["kind"] == "reply"
    assert events(theirs, "notification") == []
    assert events(sockets(client), "hello")[0]["unread"] == before + 1


def test_muted_kinds_are_stored_and_sent_in_hello(client, auth, make, sockets):
    member = make.member()
    auth.login(member)
    response = client.post("/settings/live", data={"live": ["reply", "badge"]})
    assert response.status_code == 302
    muted = events(sockets(client), "hello")[0]["muted"]
    assert "mention" in muted and "reply" not in muted and "badge" not in muted
    page = client.get("/settings").get_data(as_text=True)
    assert 'value="reply" checked' in page and 'value="mention">' in page


def test_unknown_kind_in_preferences_changes_nothing(client, auth, make, sockets):
    auth.login(make.member())
    response = client.post("/settings/live", data={"live": ["reply", "nonsense"]},
                           headers={"Accept": "application/json"})
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_failed"
    assert events(sockets(client), "hello")[0]["muted"] == []


def test_presence_counts_readers_and_names_who_is_replying(client, auth, make, sockets, app):
    thread = make.thread()
    alice = make.member("alice", display_name="Alice")
    auth.login(alice)
    writer = sockets(client)
    guest = sockets()
    join(guest, thread)
    join(writer, thread)
    app.extensions["community.presence_broadcaster"].flush()
    snapshot = app.extensions["community.presence"].snapshot(thread.id)
    assert snapshot["reading"] == 2 and snapshot["replying"] == []
    guest.get_received()
    assert writer.emit("typing", {"thread_id": thread.id, "active": True}, callback=True) == {"ok": True}
    app.extensions["community.presence_broadcaster"].flush()
    presence = events(guest, "presence")[-1]
    assert presence["reading"] == 2 and presence["replying"] == [{"id": alice.id, "name": "Alice"}]
    writer.disconnect()
    app.extensions["community.presence_broadcaster"].flush()
    assert events(guest, "presence")[-1] == {"thread_id": thread.id, "reading": 1, "replying": []}


def test_guests_cannot_claim_to_be_replying(make, sockets):
    thread = make.thread()
    guest = sockets()
    join(guest, thread)
    assert guest.emit("typing", {"thread_id": thread.id, "active": True}, callback=True)["error"]["code"] == "not_permitted"


@pytest.mark.parametrize("payload", [None, "7", [], {"thread_id": "7"}, {"thread_id": True}, {"thread_id": -1},
                                     {"thread_id": 2**40}, {"thread_id": 1, "last_seen_post_id": 1.5},
                                     {"thread_id": 1, "since": "yesterday"}, {str(i): i for i in range(20)}])
def test_malformed_client_events_are_refused(make, sockets, payload):
    make.thread()
    sio = sockets()
    answer = sio.emit("join_thread", payload, callback=True)
    assert answer["error"]["code"] == "invalid"


def test_typing_requires_joining_first(make, sockets):
    thread = make.thread()
    sio = sockets()
    assert sio.emit("presence_ping", {"thread_id": thread.id}, callback=True)["error"]["code"] == "not_joined"


def test_client_events_are_rate_limited(make, sockets):
    thread = make.thread()
    sio = sockets()
    answers = [join(sio, thread) for _ in range(15)]
    assert answers[0]["ok"] is True
    assert answers[-1]["error"]["code"] == "rate_limited"


def test_one_connection_cannot_follow_every_thread(make, sockets):
    threads = [make.thread() for _ in range(6)]
    sio = sockets()
    answers = [join(sio, t) for t in threads]
    assert [a.get("ok") for a in answers[:5]] == [True] * 5
    assert answers[5]["error"]["code"] == "too_many_threads"


def test_staff_get_live_counters_of_unanswered_questions(client, auth, make, sockets):
    questions = make.board(kind=BoardKind.question)
    make.thread(board=questions)
    auth.login(make.member("stella", role=Role.staff))
    staff = sockets(client)
    assert events(staff, "hello")[0]["staff_counters"] == {"unanswered": 1, "staff_inbox": 0}
    asked = make.thread(board=questions)
    assert events(staff, "staff_counters_changed")
    assert client.get("/live/staff-counters").json == {"counters": {"unanswered": 2, "staff_inbox": 0}}
    make.post(asked)
    assert events(staff, "staff_counters_changed")
    assert client.get("/live/staff-counters").json == {"counters": {"unanswered": 1, "staff_inbox": 0}}


def test_members_get_no_staff_counters(client, auth, make, sockets):
    auth.login(make.member())
    assert "staff_counters" not in events(sockets(client), "hello")[0]
    assert client.get("/live/staff-counters", headers={"Accept": "application/json"}).status_code == 403


def test_follower_notification_carries_no_text(client, auth, make, sockets):
    follower = make.member()
    thread = make.thread()
    follow_thread(follower, thread)
    db.session.commit()
    auth.login(follower)
    sio = sockets(client)
    make.post(thread, body="Secret sauce recipe")
    (note,) = events(sio, "notification")
    assert set(note) == {"id", "kind", "t"}


def test_moderators_see_the_review_queue_size_when_moderation_exists(client, auth, make, sockets):
    pytest.importorskip("community.moderation.review")
    auth.login(make.member("mod", role=Role.moderator))
    assert events(sockets(client), "hello")[0]["staff_counters"]["review_queue"] == 0


def test_a_whisper_reaches_staff_readers_only(client, auth, make, sockets):
    pytest.importorskip("community.moderation.review")
    thread = make.thread()
    guest = sockets()
    join(guest, thread)
    auth.login(make.member("stan", role=Role.staff))
    staff = sockets(client)
    join(staff, thread)
    guest.get_received()
    staff.get_received()
    whisper = forum.reply(make.member("mona", role=Role.moderator), thread, "Watch this one.", whisper=True)
    db.session.commit()
    assert [e["post_id"] for e in events(staff, "post_created")] == [whisper.id]
    assert events(guest, "post_created") == []
    assert client.get(f"/live/posts/{whisper.id}").status_code == 200
    assert client.application.test_client().get(f"/live/posts/{whisper.id}").status_code == 404


def test_hiding_a_post_tells_readers_to_fetch_it_again(make, sockets):
    moderation = pytest.importorskip("community.moderation.posts")
    thread = make.thread()
    post = make.post(thread, body="Buy cheap watches")
    reader = sockets()
    join(reader, thread)
    reader.get_received()
    moderation.hide_post(make.member(role=Role.moderator), post, "spam")
    db.session.commit()
    (changed,) = events(reader, "post_changed")
    assert changed["post_id"] == post.id and changed["why"] == "moderated"
