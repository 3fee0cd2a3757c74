"""A real Socket.IO client (python-socketio over websocket) against real server processes."""
from __future__ import annotations

import queue
import sys
import time

import pytest
import redis
import socketio

from tests.community.realtime import servers
from tests.community.realtime.servers import Listener

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True)
def db():
    """These tests talk to their own server processes, never to the in-process test database."""
    yield None


@pytest.fixture(scope="module")
def community(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("realtime-live")
    return workdir, servers.prepare(workdir)


@pytest.fixture
def launch():
    started = []

    def go(workdir, command=None, **extra):
        server = servers.start(workdir, command, **extra)
        started.append(server)
        return server

    yield go
    for server in started:
        server.stop()


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def test_websocket_reader_sees_a_reply_posted_over_http(community, launch):
    workdir, ids = community
    server = launch(workdir)
    reader = Listener(server.url)
    try:
        answer = reader.sio.call("join_thread", {"thread_id": ids["thread_id"]}, timeout=10)
        assert answer["ok"] is True
        assert reader.sio.transport() == "websocket"
        writer = servers.Browser(server.url)
        writer.login("maya")
        status, _ = writer.request(f"/t/{ids['thread_id']}/reply", {"body": "Live over a real websocket."})
        assert status == 302
        created = reader.wait_for("post_created")
        status, html = servers.Browser(server.url).request(f"/live/posts/{created['post_id']}")
        assert status == 200 and "Live over a real websocket." in html
    finally:
        reader.close()


def test_socket_carries_the_session_and_guests_cannot_join_staff_threads(community, launch):
    workdir, ids = community
    server = launch(workdir)
    staff = servers.Browser(server.url)
    staff.login("sam")
    member = Listener(server.url, cookie=staff.cookie_header())
    guest = Listener(server.url)
    try:
        assert member.wait_for("hello")["member_id"] is not None
        assert guest.wait_for("hello")["member_id"] is None
        assert member.sio.call("join_thread", {"thread_id": ids["staff_thread_id"]})["ok"] is True
        refused = guest.sio.call("join_thread", {"thread_id": ids["staff_thread_id"]})
        assert refused["error"]["code"] == "not_found"
    finally:
        member.close()
        guest.close()


def test_sockets_from_another_origin_are_refused(community, launch):
    workdir, _ids = community
    server = launch(workdir)
    with pytest.raises(socketio.exceptions.ConnectionError):
        Listener(server.url, origin="http://evil.example")
    Listener(server.url, origin=server.url).close()  # the site's own pages may connect


@pytest.mark.skipif(not redis_available(), reason="needs Redis at 127.0.0.1:6379")
def test_reply_on_process_a_reaches_a_reader_on_process_b_through_redis(community, launch):
    workdir, ids = community
    channel = servers.channel()
    a = launch(workdir, REDIS_URL=REDIS_URL, COMMUNITY_SOCKETIO_CHANNEL=channel)
    b = launch(workdir, REDIS_URL=REDIS_URL, COMMUNITY_SOCKETIO_CHANNEL=channel)
    reader = Listener(b.url)
    try:
        assert reader.sio.call("join_thread", {"thread_id": ids["thread_id"]})["ok"] is True
        writer = servers.Browser(a.url)
        writer.login("maya")
        status, _ = writer.request(f"/t/{ids['thread_id']}/reply", {"body": "Posted on process A."})
        assert status == 302
        created = reader.wait_for("post_created")
        status, html = servers.Browser(b.url).request(f"/live/posts/{created['post_id']}")
        assert "Posted on process A." in html

        # a process that serves nothing (a CLI command, a worker) emits through the same queue
        post_id = servers.reply_from_script(workdir, "maya", ids["thread_id"], "Posted from a script.",
                                            REDIS_URL=REDIS_URL, COMMUNITY_SOCKETIO_CHANNEL=channel)
        assert reader.wait_for("post_created", where=lambda d: d["post_id"] == post_id)
    finally:
        reader.close()


def test_pages_keep_working_when_redis_is_down(community, launch):
    workdir, ids = community
    server = launch(workdir, REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    browser = servers.Browser(server.url)
    browser.login("maya")
    started = time.monotonic()
    status, _ = browser.request(f"/t/{ids['thread_id']}/reply", {"body": "Redis is down, still posting."})
    assert status == 302 and time.monotonic() - started < 5
    status, html = browser.request(f"/t/{ids['thread_id']}")
    assert status == 200 and "Redis is down, still posting." in html
    reader = Listener(server.url)  # the socket still connects; live delivery waits for Redis
    try:
        assert reader.sio.call("join_thread", {"thread_id": ids["thread_id"]})["ok"] is True
    finally:
        reader.close()


def test_production_entry_gunicorn_threads_serves_websockets(community, launch):
    workdir, ids = community
    command = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "1", "--threads", "50",
               "--bind", "127.0.0.1:{port}", "wsgi:app"]
    server = launch(workdir, command)
    reader = Listener(server.url)
    try:
        assert reader.sio.call("join_thread", {"thread_id": ids["thread_id"]})["ok"] is True
        writer = servers.Browser(server.url)
        writer.login("maya")
        assert writer.request(f"/t/{ids['thread_id']}/reply", {"body": "Served by gunicorn."})[0] == 302
        assert reader.wait_for("post_created")["thread_id"] == ids["thread_id"]
    finally:
        reader.close()


def _drained(listener: Listener, seconds: float = 1.5) -> list[str]:
    """The names of the events a listener got within `seconds`."""
    names, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            names.append(listener.events.get(timeout=max(0.01, deadline - time.monotonic()))[0])
        except queue.Empty:
            break
    return names


def _wait_disconnected(listener: Listener, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not listener.sio.connected:
            return True
        time.sleep(0.05)
    return False


def test_a_password_change_drops_the_sockets_of_the_other_sessions(community, launch):
    workdir, ids = community
    server = launch(workdir)
    phone, laptop = servers.Browser(server.url), servers.Browser(server.url)
    phone.login("maya")
    laptop.login("maya")
    stolen = Listener(server.url, cookie=phone.cookie_header())
    kept = Listener(server.url, cookie=laptop.cookie_header())
    changed = False
    try:
        assert stolen.wait_for("hello")["member_id"] is not None
        assert kept.wait_for("hello")["member_id"] is not None
        status, _ = laptop.request("/settings", {"form": "password", "password-old_password": servers.PASSWORD,
                                                 "password-new_password": "lantern-harbour-1392"})
        assert status == 302
        changed = True
        stolen.wait_for("session_ended")
        assert _wait_disconnected(stolen)
        writer = servers.Browser(server.url)
        writer.login("sam")
        status, _ = writer.request(f"/t/{ids['thread_id']}/reply", {"body": "@maya a reply that notifies you."})
        assert status == 302
        assert kept.wait_for("notification")  # the session that changed the password goes on
        assert "notification" not in _drained(stolen)
        again = Listener(server.url, cookie=phone.cookie_header())  # the copied cookie opens only a guest socket
        try:
            assert again.wait_for("hello")["member_id"] is None
        finally:
            again.close()
    finally:
        if changed:
            laptop.request("/settings", {"form": "password", "password-old_password": "lantern-harbour-1392",
                                         "password-new_password": servers.PASSWORD})
        kept.close()
        if stolen.sio.connected:
            stolen.close()


def test_signing_out_drops_that_sessions_socket_only(community, launch):
    workdir, _ids = community
    server = launch(workdir)
    phone, laptop = servers.Browser(server.url), servers.Browser(server.url)
    phone.login("maya")
    laptop.login("maya")
    leaving = Listener(server.url, cookie=phone.cookie_header())
    staying = Listener(server.url, cookie=laptop.cookie_header())
    try:
        leaving.wait_for("hello")
        staying.wait_for("hello")
        status, _ = phone.request("/logout", {})
        assert status == 302
        assert _wait_disconnected(leaving)
        assert staying.sio.connected
    finally:
        staying.close()
        if leaving.sio.connected:
            leaving.close()


@pytest.mark.skipif(not redis_available(), reason="needs Redis at 127.0.0.1:6379")
def test_signing_out_on_process_a_drops_the_socket_on_process_b(community, launch):
    workdir, _ids = community
    channel = servers.channel()
    a = launch(workdir, REDIS_URL=REDIS_URL, COMMUNITY_SOCKETIO_CHANNEL=channel)
    b = launch(workdir, REDIS_URL=REDIS_URL, COMMUNITY_SOCKETIO_CHANNEL=channel)
    browser = servers.Browser(a.url)
    browser.login("maya")
    socket_on_b = Listener(b.url, cookie=browser.cookie_header())
    try:
        assert socket_on_b.wait_for("hello")["member_id"] is not None
        status, _ = browser.request("/logout", {})
        assert status == 302
        assert _wait_disconnected(socket_on_b)
    finally:
        if socket_on_b.sio.connected:
            socket_on_b.close()
