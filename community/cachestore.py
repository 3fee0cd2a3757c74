"""The one cache store every cache of the community goes through (pages for guests, post fragments).

`store()` gives the app's store: in this process's memory by default, or Redis when `REDIS_URL` is set, so
that several processes and several hosts share one cache and one set of generations (an edit on host A
bumps the generation host B reads). Values are bytes; keys are strings the caller namespaces.

The interface is small on purpose:
- `get(key) -> bytes | None`, `get_many(keys) -> list[bytes | None]`
- `set(key, value, seconds)` (seconds > 0; the entry expires after that)
- `delete(key)`
- `incr(key) -> int` (a generation counter; never expires) and `counters(keys) -> list[int]` (0 when unset)

Redis failures never fail a request: a cache that cannot be reached is a miss, and a write that cannot be
made is dropped (the generation counters are then not bumped, so `incr` reports the failure to the caller
by raising `CacheUnavailable`, and callers that must invalidate fall back to not caching).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

import redis
from flask import current_app

log = logging.getLogger(__name__)


class CacheUnavailable(RuntimeError):
    """The shared cache could not be reached."""


class MemoryStore:
    """An LRU of at most `entries` values and `max_bytes` bytes of values in this process (the least recently
    used dropped first; the bytes bound keeps a process's memory predictable whatever the size of a page or a
    post), plus never-expiring counters."""

    shared = False

    def __init__(self, entries: int = 4096, max_bytes: int | None = None):
        self.entries = entries
        self.max_bytes = max_bytes
        self.bytes = 0  # the values' total size
        self._values: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()

    def _drop(self, key: str) -> None:
        entry = self._values.pop(key, None)
        if entry is not None:
            self.bytes -= len(entry[1])

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._values.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                self._drop(key)
                return None
            self._values.move_to_end(key)
            return entry[1]

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        return [self.get(key) for key in keys]

    def set(self, key: str, value: bytes, seconds: float) -> None:
        with self._lock:
            self._drop(key)
            if self.max_bytes is not None and len(value) > self.max_bytes:
                return  # larger than the whole store: not kept
            self._values[key] = (time.monotonic() + seconds, value)
            self.bytes += len(value)
            while len(self._values) > self.entries or (self.max_bytes is not None and self.bytes > self.max_bytes):
                self._drop(next(iter(self._values)))

    def delete(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self.bytes = 0

    def incr(self, key: str) -> int:
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def counters(self, keys: list[str]) -> list[int]:
        with self._lock:
            return [self._counters.get(key, 0) for key in keys]


class RedisStore:
    """The same interface on a Redis server shared by every process and host (keys under `prefix`)."""

    shared = True

    def __init__(self, url: str, prefix: str = "community:cache:"):
        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)

    def _k(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str) -> bytes | None:
        try:
            return self.redis.get(self._k(key))
        except redis.RedisError as error:
            log.warning("cache get failed: %s", error)
            return None

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        if not keys:
            return []
        try:
            return self.redis.mget([self._k(key) for key in keys])
        except redis.RedisError as error:
            log.warning("cache get failed: %s", error)
            return [None] * len(keys)

    def set(self, key: str, value: bytes, seconds: float) -> None:
        try:
            self.redis.set(self._k(key), value, px=max(1, int(seconds * 1000)))
        except redis.RedisError as error:
            log.warning("cache set failed: %s", error)

    def delete(self, key: str) -> None:
        try:
            self.redis.delete(self._k(key))
        except redis.RedisError as error:
            log.warning("cache delete failed: %s", error)

    def clear(self) -> None:
        try:
            keys = list(self.redis.scan_iter(match=self.prefix + "*", count=1000))
            if keys:
                self.redis.delete(*keys)
        except redis.RedisError as error:
            log.warning("cache clear failed: %s", error)

    def incr(self, key: str) -> int:
        try:
            return int(self.redis.incr(self._k(key)))
        except redis.RedisError as error:
            raise CacheUnavailable(str(error)) from error

    def counters(self, keys: list[str]) -> list[int]:
        if not keys:
            return []
        try:
            return [int(value or 0) for value in self.redis.mget([self._k(key) for key in keys])]
        except redis.RedisError as error:
            raise CacheUnavailable(str(error)) from error


def make_store(app):
    """The store for `app`'s configuration: Redis when REDIS_URL is set, else this process's memory."""
    if app.config.get("REDIS_URL"):
        return RedisStore(app.config["REDIS_URL"], prefix=app.config.get("CACHE_KEY_PREFIX", "community:cache:"))
    return MemoryStore(app.config.get("CACHE_ENTRIES", 4096), app.config.get("CACHE_MAX_BYTES", 32 * 2**20))


def init_app(app) -> None:
    app.extensions["community.cachestore"] = make_store(app)


def store(app=None):
    """The current app's cache store."""
    return (app or current_app).extensions["community.cachestore"]
