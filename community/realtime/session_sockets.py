"""Which sockets were opened under which sign-in session, so that ending a session drops them everywhere.

In one process the room `session:<key>` is enough. With `REDIS_URL` a socket may live in another process:
its sid is kept in a Redis set per session, and `socketio.server.disconnect(sid)` publishes the disconnect
through the message queue to the process that holds it.
"""
from __future__ import annotations

import logging
import threading

import redis

log = logging.getLogger(__name__)
TTL = 7 * 24 * 3600  # a socket lives far less; the set only must not outlive forgotten sessions


class MemorySessionSockets:
    def __init__(self):
        self._lock = threading.Lock()
        self._sids: dict[str, set[str]] = {}

    def add(self, key: str, sid: str) -> None:
        with self._lock:
            self._sids.setdefault(key, set()).add(sid)

    def remove(self, key: str, sid: str) -> None:
        with self._lock:
            found = self._sids.get(key)
            if found is not None:
                found.discard(sid)
                if not found:
                    del self._sids[key]

    def pop(self, key: str) -> set[str]:
        with self._lock:
            return self._sids.pop(key, set())


class RedisSessionSockets:
    def __init__(self, url: str, prefix: str):
        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:session-sockets:{key}"

    def add(self, key: str, sid: str) -> None:
        pipe = self.redis.pipeline()
        pipe.sadd(self._key(key), sid)
        pipe.expire(self._key(key), TTL)
        pipe.execute()

    def remove(self, key: str, sid: str) -> None:
        self.redis.srem(self._key(key), sid)

    def pop(self, key: str) -> set[str]:
        pipe = self.redis.pipeline()
        pipe.smembers(self._key(key))
        pipe.delete(self._key(key))
        members, _deleted = pipe.execute()
        return {m.decode() if isinstance(m, bytes) else m for m in members}


class SafeSessionSockets:
    """Never let a Redis hiccup break a connect or a sign-out: log it (the room still covers this process)."""

    def __init__(self, store):
        self.store = store

    def add(self, key: str, sid: str) -> None:
        self._call("add", key, sid)

    def remove(self, key: str, sid: str) -> None:
        self._call("remove", key, sid)

    def pop(self, key: str) -> set[str]:
        return self._call("pop", key) or set()

    def _call(self, name, *args):
        try:
            return getattr(self.store, name)(*args)
        except Exception:
            log.warning("session sockets: %s failed", name, exc_info=True)
            return None


def store_for(app) -> SafeSessionSockets:
    if app.config.get("REDIS_URL"):
        prefix = app.config.get("SOCKETIO_CHANNEL") or "flask-socketio"
        return SafeSessionSockets(RedisSessionSockets(app.config["REDIS_URL"], prefix))
    return SafeSessionSockets(MemorySessionSockets())
