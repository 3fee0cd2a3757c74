"""The one place that sends Socket.IO events, always after the transaction commits.

With a message queue configured (`REDIS_URL`), `socketio.emit` publishes to Redis and every server
process delivers to its own clients; a CLI or worker process emits the same way. When Redis is down
the publish is logged and dropped: the change is committed and pages show it on the next load.
"""
from __future__ import annotations

import logging
import time

from flask import current_app

from ..aftercommit import after_commit
from ..extensions import socketio

log = logging.getLogger(__name__)
STAFF_ROOM = "staff"


def thread_room(thread_id: int) -> str:
    return f"thread:{int(thread_id)}"


def restricted_room(thread_id: int) -> str:
    """Staff and moderators reading a thread: news of whispers and posts waiting for approval."""
    return f"thread:{int(thread_id)}:staff"


def moderation_room(thread_id: int) -> str:
    """A thread's moderators: news of posts awaiting approval or hidden, which staff who are not moderators
    may not see either."""
    return f"thread:{int(thread_id)}:mod"


def member_room(member_id: int) -> str:
    return f"member:{int(member_id)}"


def send_now(event: str, data: dict, room: str) -> None:
    """Emit `event` to `room` at once, stamped with the server time (clients use it to catch up)."""
    payload = dict(data, t=time.time())
    try:
        socketio.emit(event, payload, to=room)
    except Exception:  # a dropped live update must never break the request that caused it
        log.exception("could not emit %s to %s", event, room)


def send(event: str, data: dict, room: str) -> None:
    """Emit `event` with `data` (ids and states only, never content) to `room` once the session commits."""
    after_commit(send_now, event, dict(data), room)


def _close_now(room: str) -> None:
    try:
        socketio.close_room(room)
    except Exception:
        log.exception("could not close room %s", room)


def revoke_thread(thread_id: int, reason: str) -> None:
    """After commit: tell a thread's readers its access changed and empty its room (they re-join, re-checked)."""
    send("thread_access_changed", {"thread_id": int(thread_id), "reason": reason}, thread_room(thread_id))
    for room in (thread_room(thread_id), restricted_room(thread_id), moderation_room(thread_id)):
        after_commit(_close_now, room)


def staff_counters_changed() -> None:
    """After commit: tell staff clients that a counter moved (they fetch the numbers they may see)."""
    send("staff_counters_changed", {}, STAFF_ROOM)


def session_room(key: str) -> str:
    """The sockets opened under one sign-in session (its key, the SHA-256 of the cookie's secret)."""
    return f"session:{key}"


def _end_sessions_now(keys: list[str]) -> None:
    """Tell, then drop, the sockets of ended sessions: this process's at once, other processes' through
    the message queue (their sids are kept per session, community/realtime/session_sockets.py)."""
    server = socketio.server
    try:
        registry = current_app.extensions.get("community.session_sockets")
    except RuntimeError:  # no app context: this process's rooms still cover its own sockets
        registry = None
    for key in keys:
        room = session_room(key)
        try:
            socketio.emit("session_ended", {"t": time.time()}, to=room)
            sids = {sid for sid, _eio_sid in server.manager.get_participants("/", room)}
            sids |= registry.pop(key) if registry is not None else set()
            for sid in sids:
                server.disconnect(sid, namespace="/")
        except Exception:
            log.exception("could not drop the sockets of an ended session")


def end_sessions(keys: list[str]) -> None:
    """After commit: the sockets of these sessions stop receiving anything (notifications included)."""
    if keys:
        after_commit(_end_sessions_now, list(keys))
