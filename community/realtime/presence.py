"""Who is reading a thread and who is writing a reply: "3 reading, Alice is replying".

Each socket connection (sid) that joined a thread is one entry: the member (or a guest), a last-seen
time refreshed by the client's pings, and a "replying until" time set by its typing events. Entries
not refreshed within `REALTIME_PRESENCE_TTL` seconds are ignored (a crashed process leaves nothing
behind for long). In memory for one process; in Redis (one hash per thread) when `REDIS_URL` is set,
so every process sees every reader.
"""
from __future__ import annotations

import json
import logging
import threading
import time

import redis

log = logging.getLogger(__name__)
REPLYING_SECONDS = 8  # a typing event counts for this long unless renewed or stopped


class MemoryPresence:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._threads: dict[int, dict[str, dict]] = {}

    def join(self, thread_id: int, sid: str, member_id: int | None, name: str | None) -> None:
        with self._lock:
            self._threads.setdefault(thread_id, {})[sid] = {"m": member_id, "n": name, "s": time.time(), "r": 0}

    def leave(self, thread_id: int, sid: str) -> None:
        with self._lock:
            entries = self._threads.get(thread_id, {})
            entries.pop(sid, None)
            if not entries:
                self._threads.pop(thread_id, None)

    def touch(self, thread_id: int, sid: str, replying: bool | None = None) -> bool:
        with self._lock:
            entry = self._threads.get(thread_id, {}).get(sid)
            if entry is None:
                return False
            entry["s"] = time.time()
            if replying is not None:
                entry["r"] = time.time() + REPLYING_SECONDS if replying else 0
            return True

    def entries(self, thread_id: int) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._threads.get(thread_id, {}).values()]


class RedisPresence:
    def __init__(self, url: str, ttl: float, prefix: str):
        self.ttl = ttl
        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)

    def _key(self, thread_id: int) -> str:
        return f"{self.prefix}:presence:{int(thread_id)}"

    def join(self, thread_id, sid, member_id, name) -> None:
        key = self._key(thread_id)
        pipe = self.redis.pipeline()
        pipe.hset(key, sid, json.dumps({"m": member_id, "n": name, "s": time.time(), "r": 0}))
        pipe.expire(key, int(self.ttl * 2))
        pipe.execute()

    def leave(self, thread_id, sid) -> None:
        self.redis.hdel(self._key(thread_id), sid)

    def touch(self, thread_id, sid, replying=None) -> bool:
        key = self._key(thread_id)
        raw = self.redis.hget(key, sid)
        if raw is None:
            return False
        entry = json.loads(raw)
        entry["s"] = time.time()
        if replying is not None:
            entry["r"] = time.time() + REPLYING_SECONDS if replying else 0
        pipe = self.redis.pipeline()
        pipe.hset(key, sid, json.dumps(entry))
        pipe.expire(key, int(self.ttl * 2))
        pipe.execute()
        return True

    def entries(self, thread_id) -> list[dict]:
        return [json.loads(raw) for raw in self.redis.hgetall(self._key(thread_id)).values()]


class SafePresence:
    """Presence is a nicety: when its store is down, count nobody rather than fail the socket event."""

    def __init__(self, store):
        self.store = store

    def __getattr__(self, name):
        method = getattr(self.store, name)

        def call(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except Exception as exc:
                log.warning("presence store unavailable: %s", exc)
                return [] if name == "entries" else False

        return call

    def snapshot(self, thread_id: int) -> dict:
        """Return {"reading": n, "replying": [{"id", "name"}]} for the thread's live entries."""
        now = time.time()
        members, guests, replying = set(), 0, {}
        for entry in self.entries(thread_id):
            if now - entry.get("s", 0) > self.store.ttl:
                continue
            if entry.get("m"):
                members.add(entry["m"])
                if entry.get("r", 0) > now:
                    replying[entry["m"]] = entry.get("n") or ""
            else:
                guests += 1
        return {"thread_id": int(thread_id), "reading": len(members) + guests,
                "replying": [{"id": mid, "name": name} for mid, name in sorted(replying.items())]}


def store_for(app) -> SafePresence:
    ttl = float(app.config["REALTIME_PRESENCE_TTL"])
    if app.config.get("REDIS_URL"):
        prefix = app.config.get("SOCKETIO_CHANNEL") or "flask-socketio"
        return SafePresence(RedisPresence(app.config["REDIS_URL"], ttl, prefix))
    return SafePresence(MemoryPresence(ttl))
