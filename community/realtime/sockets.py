"""Socket.IO event handlers: connect, join and leave a thread, typing and presence pings.

The connection carries the Flask-Login session cookie, so `current_user` is the member (or a guest)
exactly as on a page. Every client event is validated and rate limited per connection; a refusal
comes back in the acknowledgement as {"error": {"code", "message"}} and changes nothing.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import emit as reply_emit
from flask_socketio import join_room, leave_room
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, socketio
from ..forum.models import Thread
from ..notifications.services import unread_count
from ..permissions import can_see_moderation_live, can_see_restricted_live, can_see_staff_counters, can_view_thread
from . import services
from .emit import STAFF_ROOM, member_room, moderation_room, restricted_room, session_room, thread_room

log = logging.getLogger(__name__)
MAX_ID = 2**31 - 1
MAX_THREADS_PER_CONNECTION = 5
PRESENCE_INTERVAL = 1.0  # seconds: presence goes out at most once a second per thread and process
# {event: (burst, per seconds)}: a connection may send `burst` events, refilled over `per` seconds.
DEFAULT_LIMITS = {"join_thread": (10, 10), "leave_thread": (20, 10), "typing": (6, 10), "presence_ping": (4, 60)}


class RateLimiter:
    """Token buckets per (connection, event), kept in this process (a connection lives in one process)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], list[float]] = {}

    def allow(self, sid: str, event: str, burst: int, per: float) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get((sid, event), (float(burst), now))
            tokens = min(float(burst), tokens + (now - stamp) * burst / per)
            if tokens < 1:
                self._buckets[(sid, event)] = [tokens, now]
                return False
            self._buckets[(sid, event)] = [tokens - 1, now]
            return True

    def forget(self, sid: str) -> None:
        with self._lock:
            for key in [key for key in self._buckets if key[0] == sid]:
                del self._buckets[key]


class PresenceBroadcaster:
    """Send a thread's presence to its room at most once per interval: 500 readers joining at once
    cost a handful of broadcasts, not 500."""

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._last: dict[int, float] = {}
        self._dirty: set[int] = set()
        self._running = False

    def changed(self, thread_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(thread_id, 0.0) >= PRESENCE_INTERVAL:
                self._last[thread_id] = now
                send = True
            else:
                self._dirty.add(thread_id)
                send = False
                if not self._running:
                    self._running = True
                    socketio.start_background_task(self._loop)
        if send:
            self.broadcast(thread_id)

    def broadcast(self, thread_id: int) -> None:
        try:
            socketio.emit("presence", self.store.snapshot(thread_id), to=thread_room(thread_id))
        except Exception:
            log.exception("could not send presence of thread %s", thread_id)

    def flush(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            now = time.monotonic()
            for thread_id in dirty:
                self._last[thread_id] = now
        for thread_id in dirty:
            self.broadcast(thread_id)

    def _loop(self) -> None:
        while True:
            socketio.sleep(PRESENCE_INTERVAL)
            self.flush()
            with self._lock:
                if not self._dirty:
                    self._running = False
                    return


_limiter = RateLimiter()
_joined_lock = threading.Lock()
_joined: dict[str, set[int]] = {}
_session_of: dict[str, str] = {}  # sid -> the sign-in session it was opened under


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _invalid() -> dict:
    return _error("invalid", _("The request was not understood."))


def _int(data: dict, key: str, minimum: int, required: bool = True) -> int | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_ID:
        raise ValueError(key)
    return value


def _allowed(event: str) -> bool:
    limits = dict(DEFAULT_LIMITS)
    limits.update({k: tuple(v) for k, v in (current_app.config.get("REALTIME_EVENT_LIMITS") or {}).items()})
    burst, per = limits[event]
    return _limiter.allow(request.sid, event, int(burst), float(per))


def _presence():
    return current_app.extensions["community.presence"]


def _broadcaster() -> PresenceBroadcaster:
    app = current_app._get_current_object()
    found = app.extensions.get("community.presence_broadcaster")
    if found is None:
        found = app.extensions["community.presence_broadcaster"] = PresenceBroadcaster(_presence())
    return found


def _joined_threads(sid: str) -> set[int]:
    with _joined_lock:
        return set(_joined.get(sid, ()))


def _guarded(event: str, data):
    """Return an error reply when the event is over its limit or its payload is not a small object."""
    if not _allowed(event):
        return _error("rate_limited", _("Too many requests; slow down."))
    if not isinstance(data, dict) or len(data) > 8:
        return _invalid()
    return None


# ---- handlers ------------------------------------------------------------------------------------

def on_connect(auth=None):
    hello: dict = {"member_id": None}
    if current_user.is_authenticated:
        member = current_user._get_current_object()
        if member.session_key:  # ending the session drops this socket (emit.end_sessions)
            join_room(session_room(member.session_key))
            with _joined_lock:
                _session_of[request.sid] = member.session_key
            current_app.extensions["community.session_sockets"].add(member.session_key, request.sid)
        join_room(member_room(member.id))
        hello["member_id"] = member.id
        try:
            hello["unread"] = unread_count(member)
            hello["muted"] = services.muted_kinds(member)
            if can_see_staff_counters(member):
                join_room(STAFF_ROOM)
                hello["staff_counters"] = services.staff_counters(member)
        except SQLAlchemyError:  # the socket still serves live updates while the database hiccups
            db.session.rollback()
            log.warning("could not load the hello data for member %s", member.id)
    reply_emit("hello", hello)


def on_disconnect(*_args):
    sid = request.sid
    with _joined_lock:
        threads = _joined.pop(sid, set())
        key = _session_of.pop(sid, None)
    if key is not None:
        current_app.extensions["community.session_sockets"].remove(key, sid)
    for thread_id in threads:
        _presence().leave(thread_id, sid)
        _broadcaster().changed(thread_id)
    _limiter.forget(sid)


def on_join_thread(data=None):
    refused = _guarded("join_thread", data)
    if refused:
        return refused
    try:
        thread_id = _int(data, "thread_id", 1)
        last_seen = _int(data, "last_seen_post_id", 0, required=False) or 0
        since = data.get("since")
        if since is not None and (isinstance(since, bool) or not isinstance(since, (int, float))
                                  or not 0 <= since <= time.time() + 60):
            raise ValueError("since")
    except ValueError:
        return _invalid()
    sid = request.sid
    joined = _joined_threads(sid)
    if thread_id not in joined and len(joined) >= MAX_THREADS_PER_CONNECTION:
        return _error("too_many_threads", _("Too many threads followed live on one connection."))
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can_view_thread(current_user, thread):
        return _error("not_found", _("There is no such thread."))  # what a visitor may not see does not exist
    state = services.catch_up(current_user, thread, last_seen, since)
    join_room(thread_room(thread_id))
    if can_see_restricted_live(current_user, thread):
        join_room(restricted_room(thread_id))
    if can_see_moderation_live(current_user, thread):
        join_room(moderation_room(thread_id))
    with _joined_lock:
        _joined.setdefault(sid, set()).add(thread_id)
    member = current_user if current_user.is_authenticated else None
    _presence().join(thread_id, sid, member.id if member else None, member.name if member else None)
    _broadcaster().changed(thread_id)
    return dict(state, ok=True, thread_id=thread_id, presence=_presence().snapshot(thread_id), t=time.time())


def on_leave_thread(data=None):
    refused = _guarded("leave_thread", data)
    if refused:
        return refused
    try:
        thread_id = _int(data, "thread_id", 1)
    except ValueError:
        return _invalid()
    sid = request.sid
    with _joined_lock:
        was_in = thread_id in _joined.get(sid, set())
        _joined.get(sid, set()).discard(thread_id)
    if was_in:
        leave_room(thread_room(thread_id))
        leave_room(restricted_room(thread_id))
        leave_room(moderation_room(thread_id))
        _presence().leave(thread_id, sid)
        _broadcaster().changed(thread_id)
    return {"ok": True}


def _touch(event: str, data, replying_key: str | None):
    refused = _guarded(event, data)
    if refused:
        return refused
    try:
        thread_id = _int(data, "thread_id", 1)
        replying = None
        if replying_key is not None:
            replying = data.get(replying_key)
            if not isinstance(replying, bool):
                raise ValueError(replying_key)
    except ValueError:
        return _invalid()
    if thread_id not in _joined_threads(request.sid):
        return _error("not_joined", _("Join the thread first."))
    if replying and not current_user.is_authenticated:
        return _error("not_permitted", _("Sign in to reply."))
    if _presence().touch(thread_id, request.sid, replying=replying) and replying is not None:
        _broadcaster().changed(thread_id)
    return {"ok": True}


def on_typing(data=None):
    return _touch("typing", data, "active")


def on_presence_ping(data=None):
    return _touch("presence_ping", data, None)


HANDLERS = {
    "connect": on_connect,
    "disconnect": on_disconnect,
    "join_thread": on_join_thread,
    "leave_thread": on_leave_thread,
    "typing": on_typing,
    "presence_ping": on_presence_ping,
}


def register() -> None:
    """Attach the handlers to the current Socket.IO server (each `init_app` builds a new one)."""
    for event, handler in HANDLERS.items():
        socketio.on_event(event, handler)
