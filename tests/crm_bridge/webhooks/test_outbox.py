"""The outbox: events written with the change (and rolled back with it), replies, edits, deletes,
whispers, votes, flags and moderation as events without deleted bodies or flag notes, staff boards
marked, finished events pruned after the retention."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.forum import services as forum
from community.forum.models import Thread, Visibility
from community.members.models import Role
from community.moderation import flags as moderation
from community.votes.services import cast_vote
from crm_bridge import webhooks
from crm_bridge.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from tests.crm_bridge.webhooks.conftest import drain, endpoint_for, events
from tests.crm_bridge.webhooks.receiver import Receiver

# ---- the outbox --------------------------------------------------------------------------------------

def test_starting_a_thread_writes_one_outbox_event_with_the_change(make):
    author = make.member("ann")
    before = len(events())
    thread = make.thread(author=author, title="Battery drains overnight", body="Since the update, yes.")
    (event,) = events("thread.created")
    assert [e.type for e in events()[before:]].count("thread.created") == 1
    assert uuid.UUID(event.event_id).version == 4
    payload = event.payload
    assert payload["id"] == event.event_id and payload["type"] == "thread.created" and payload["timestamp"]
    assert payload["data"]["thread"]["id"] == thread.id
    assert payload["data"]["thread"]["title"] == "Battery drains overnight"
    assert payload["data"]["post"]["body"] == "Since the update, yes."
    assert payload["data"]["thread"]["author"] == {"id": author.id, "username": "ann"}
    assert "ann@example.com" not in json.dumps(payload)  # no email addresses leave the system


def test_outbox_event_is_rolled_back_with_the_change(make):
    author, board = make.member(), make.board()
    before = len(events())
    forum.start_thread(author, board, "A thread that never was", "Its body, never committed.")
    _db.session.flush()
    assert len(events("thread.created")) == 1  # written in the same transaction...
    _db.session.rollback()
    assert len(events()) == before and events("thread.created") == []  # ...and gone with it
    assert _db.session.scalar(select(func.count()).select_from(Thread)) == 0


def test_replies_edits_deletes_and_whispers_are_events_without_deleted_bodies(make):
    staff = make.member("sam", role=Role.staff)
    thread = make.thread()
    reply = make.post(thread, body="First version of my reply.")
    forum.edit_post(reply.author, reply, "Second version of my reply.")
    _db.session.commit()
    whisper = forum.reply(staff, thread, "Staff only: this customer is a VIP.", whisper=True)
    _db.session.commit()
    forum.delete_post(reply.author, reply)
    _db.session.commit()
    types = [e.type for e in events()]
    assert types.count("post.created") == 2 and "post.edited" in types and "post.deleted" in types
    edited = events("post.edited")[0].payload["data"]
    assert edited["post"]["body"] == "Second version of my reply."
    whispered = [e for e in events("post.created") if e.payload["data"]["post"]["id"] == whisper.id][0]
    assert whispered.payload["data"]["post"]["whisper"] is True  # marked, so a receiver can filter it
    deleted = events("post.deleted")[0].payload["data"]
    assert deleted["post"]["id"] == reply.id and "body" not in deleted["post"]


def test_staff_board_events_say_their_visibility(make):
    board = make.board(visibility=Visibility.staff)
    make.thread(board=board)
    assert events("thread.created")[-1].payload["data"]["thread"]["board"]["visibility"] == "staff"


def test_votes_flags_and_moderation_are_events_without_flag_notes(make):
    thread = make.thread()
    reply = make.post(thread, body="Have you tried turning it off and on again?")
    voter, flagger = make.member("vic"), make.member("fay", role=Role.moderator)
    cast_vote(voter, reply, 1)
    _db.session.commit()
    moderation.flag_post(flagger, reply, "other", note="Private note: I know this person at work.")
    _db.session.commit()
    vote = events("vote.cast")[-1].payload["data"]
    assert vote["post"]["id"] == reply.id and vote["value"] == 1 and vote["voter"]["username"] == "vic"
    flag = events("content.flagged")[-1].payload
    assert flag["data"]["reason"] == "other" and flag["data"]["flagger"]["username"] == "fay"
    assert flag["data"]["post"]["id"] == reply.id
    assert all("I know this person" not in json.dumps(e.payload) for e in events())  # the note stays inside
    (logged,) = [e.payload["data"] for e in events("moderation.action") if e.payload["data"]["action"] == "flag"]
    assert logged["action"] == "flag" and logged["reason_code"] == "other" and logged["reason"] == ""


def test_finished_events_past_the_retention_are_pruned_with_their_log(make, settings, app):
    settings["WEBHOOK_MAX_ATTEMPTS"] = 1
    with Receiver(answers=[200, 500, 503]) as receiver:
        endpoint = endpoint_for(receiver.url, types=("thread.created",))
        delivered, failed, waiting = (make.thread(title=t) for t in ("Delivered", "Failed", "Still waiting"))
        drain()
    _db.session.execute(WebhookDelivery.__table__.update().where(WebhookDelivery.event_id == _event_of(waiting).id)
                        .values(status="pending", next_attempt_at=utcnow() + timedelta(days=1)))
    endpoint.active = False
    _db.session.commit()
    recent = make.thread(title="Dispatched lately")  # finished (no endpoint wants it) but within the retention
    webhooks.dispatch()
    make.thread(title="Not dispatched yet")
    _db.session.expire_all()
    old = utcnow() - timedelta(days=31)
    for thread in (delivered, failed, waiting):
        _db.session.execute(OutboxEvent.__table__.update().where(OutboxEvent.id == _event_of(thread).id)
                            .values(dispatched_at=old))
    _db.session.commit()
    assert {d.status for d in _db.session.scalars(select(WebhookDelivery))} == {"delivered", "failed", "pending"}

    assert webhooks.prune() == 2
    left = {e.payload["data"]["thread"]["title"] for e in events("thread.created")}
    assert left == {"Still waiting", "Dispatched lately", "Not dispatched yet"}
    assert _event_of(recent).dispatched_at is not None
    assert [d.status for d in _db.session.scalars(select(WebhookDelivery))] == ["pending"]
    assert _db.session.scalar(select(func.count()).select_from(WebhookAttempt)) == 1  # the waiting one's try

    settings["WEBHOOK_RETENTION_DAYS"] = 0  # keeps everything
    _db.session.execute(WebhookDelivery.__table__.update().values(status="failed"))
    _db.session.commit()
    assert webhooks.prune() == 0
    settings["WEBHOOK_RETENTION_DAYS"] = 30
    webhooks.run(once=True)  # what `flask crm worker --once` runs: it prunes too
    assert "Still waiting" not in {e.payload["data"]["thread"]["title"] for e in events("thread.created")}


def _event_of(thread) -> OutboxEvent:
    return next(e for e in events("thread.created") if e.payload["data"]["thread"]["id"] == thread.id)
