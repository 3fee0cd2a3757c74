"""Live events never name a post the listener may not see (issue 13, item 7).

A real python-socketio client over websocket against a real `python wsgi.py` process: a guest and a
member follow a public thread holding a staff whisper; a moderator votes on the whisper and staff edit
it. The guest and the member hear nothing of it, live or in a catch-up from `since: 0`; staff do.
"""
from __future__ import annotations

import json
import sys

import pytest

from tests.community.realtime import servers
from tests.community.realtime.test_live_server import Listener

SEED = r"""
import json, sys
from application import create_app
from community.extensions import db
from community.forum.models import Board, BoardKind, Visibility
from community.forum import services as forum
from community.members.models import Role
from community.members.services import register_member

app = create_app()
with app.app_context():
    public = Board(slug="general", name="General", kind=BoardKind.discussion, visibility=Visibility.public)
    db.session.add(public)
    db.session.flush()
    maya = register_member("maya", "maya@example.com", sys.argv[1])
    sam = register_member("sam", "sam@example.com", sys.argv[1], role=Role.staff)
    register_member("mona", "mona@example.com", sys.argv[1], role=Role.moderator)
    thread = forum.start_thread(maya, public, "Live thread with a whisper", "Opening post.")
    whisper = forum.reply(sam, thread, "Staff-only: this customer is on the enterprise plan.", whisper=True)
    db.session.flush()
    forum.edit_post(sam, whisper, "Staff-only: this customer is on the enterprise plan (edited).")
    public_reply = forum.reply(maya, thread, "A public reply everyone sees.")
    db.session.commit()
    print(json.dumps({"thread_id": thread.id, "whisper_id": whisper.id, "public_id": public_reply.id}))
"""


@pytest.fixture(autouse=True)
def db():
    """These tests talk to their own server process, never to the in-process test database."""
    yield None


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("realtime-leaks")
    env = servers.base_env(workdir)
    servers.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env, workdir)
    ids = json.loads(servers.run([sys.executable, "-c", SEED, servers.PASSWORD], env, workdir).strip().splitlines()[-1])
    server = servers.start(workdir)
    yield server, ids
    server.stop()


def _listener(server, username=None):
    cookie = None
    if username:
        browser = servers.Browser(server.url)
        browser.login(username)
        cookie = browser.cookie_header()
    return Listener(server.url, cookie=cookie)


def _drain(listener) -> list:
    out = []
    while not listener.events.empty():
        out.append(listener.events.get_nowait())
    return out


def _names_post(events, post_id) -> list:
    return [(name, data) for name, data in events
            if isinstance(data, dict) and post_id in (data.get("post_id"), data.get("previous_id"))]


def test_catch_up_from_zero_lists_no_whisper_for_guests_or_members(world):
    server, ids = world
    for username in (None, "maya"):
        reader = _listener(server, username)
        try:
            state = reader.sio.call("join_thread", {"thread_id": ids["thread_id"], "last_seen_post_id": 0,
                                                    "since": 0}, timeout=10)
            assert state["ok"] is True and ids["public_id"] in state["missed"]
            assert ids["whisper_id"] not in state["missed"] + state["changed"], (username, state)
            state = reader.sio.call("join_thread", {"thread_id": ids["thread_id"],
                                                    "last_seen_post_id": ids["public_id"], "since": 0}, timeout=10)
            assert ids["whisper_id"] not in state["missed"] + state["changed"], (username, state)
        finally:
            reader.close()
    staff = _listener(server, "sam")
    try:
        state = staff.sio.call("join_thread", {"thread_id": ids["thread_id"], "last_seen_post_id": ids["public_id"],
                                               "since": 0}, timeout=10)
        assert ids["whisper_id"] in state["changed"]
    finally:
        staff.close()


def test_whisper_score_and_changes_reach_staff_only(world):
    server, ids = world
    guest, member, staff = _listener(server), _listener(server, "maya"), _listener(server, "sam")
    try:
        for listener in (guest, member, staff):
            assert listener.sio.call("join_thread", {"thread_id": ids["thread_id"]}, timeout=10)["ok"] is True
        mona = servers.Browser(server.url)
        mona.login("mona")
        status, _ = mona.request(f"/p/{ids['whisper_id']}/vote", {"value": "1"})
        assert status in (200, 302)
        assert staff.wait_for("score", where=lambda d: d["post_id"] == ids["whisper_id"])["score"] == 1
        sam = servers.Browser(server.url)
        sam.login("sam")
        status, _ = sam.request(f"/p/{ids['whisper_id']}/edit",
                                {"body": "Staff-only: enterprise plan, renewal in March.", "reason": "detail"})
        assert status == 302
        staff.wait_for("post_changed", where=lambda d: d["post_id"] == ids["whisper_id"])
        # A public event afterwards: once a reader has it, anything sent before it has arrived too.
        status, _ = mona.request(f"/p/{ids['public_id']}/vote", {"value": "1"})
        assert status in (200, 302)
        for listener in (guest, member):
            seen = []
            data = None
            while data is None or data.get("post_id") != ids["public_id"]:
                name, data = listener.events.get(timeout=10)
                seen.append((name, data))
            seen += _drain(listener)
            assert _names_post(seen, ids["whisper_id"]) == []
    finally:
        for listener in (guest, member, staff):
            listener.close()
