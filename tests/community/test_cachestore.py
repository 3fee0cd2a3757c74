"""The shared cache store: the same behaviour in memory and on a real Redis."""
import time

import pytest
import redis

from community import cachestore, pagecache
from community.cachestore import CacheUnavailable, MemoryStore, RedisStore


def _redis_url():
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        yield MemoryStore(entries=3)
        return
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis at 127.0.0.1:6379")
    made = RedisStore(url, prefix=f"test:cachestore:{time.monotonic_ns()}:")
    yield made
    made.clear()


def test_a_value_set_is_read_back_until_it_expires(store):
    store.set("a", b"page", 0.3)
    assert store.get("a") == b"page"
    assert store.get_many(["a", "missing"]) == [b"page", None]
    time.sleep(0.4)
    assert store.get("a") is None


def test_deleted_values_are_gone(store):
    store.set("a", b"x", 10)
    store.delete("a")
    assert store.get("a") is None


def test_generation_counters_start_at_zero_and_count_up(store):
    assert store.counters(["g1", "g2"]) == [0, 0]
    assert store.incr("g1") == 1
    assert store.incr("g1") == 2
    assert store.counters(["g1", "g2"]) == [2, 0]


def test_memory_store_drops_the_least_recently_used():
    store = MemoryStore(entries=2)
    store.set("a", b"1", 10)
    store.set("b", b"2", 10)
    store.get("a")
    store.set("c", b"3", 10)
    assert store.get("b") is None and store.get("a") == b"1"


def test_two_redis_stores_share_values_and_generations():
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"test:cachestore:{time.monotonic_ns()}:"
    host_a, host_b = RedisStore(url, prefix), RedisStore(url, prefix)
    host_a.set("page", b"html", 10)
    host_a.incr("thread:1")
    assert host_b.get("page") == b"html"
    assert host_b.counters(["thread:1"]) == [1]
    host_a.clear()


def test_an_unreachable_redis_is_a_miss_and_a_failed_bump_is_reported():
    dead = RedisStore("redis://127.0.0.1:1/0")
    assert dead.get("a") is None
    assert dead.get_many(["a", "b"]) == [None, None]
    dead.set("a", b"x", 1)  # dropped, no exception
    with pytest.raises(CacheUnavailable):
        dead.incr("g")


def test_memory_store_keeps_its_values_under_a_bound_in_bytes():
    """Fragments and pages differ in size: the store drops the least recently used until the bytes fit."""
    store = MemoryStore(entries=100, max_bytes=10)
    store.set("a", b"1234", 10)
    store.set("b", b"1234", 10)
    store.get("a")
    store.set("c", b"1234", 10)  # 12 bytes: "b", the least recently used, goes
    assert store.get("b") is None and store.get("a") == b"1234" and store.get("c") == b"1234"
    assert store.bytes == 8
    store.set("a", b"123456", 10)  # a value replaced counts once
    assert store.bytes == 10 and store.get("c") == b"1234"
    store.set("huge", b"x" * 11, 10)  # larger than the whole store: not kept, nothing dropped for it
    assert store.get("huge") is None and store.get("a") == b"123456" and store.bytes == 10
    store.delete("a")
    assert store.bytes == 4
    store.clear()
    assert store.bytes == 0 and store.get("c") is None


def test_the_app_store_and_the_page_cache_are_bounded_in_bytes(app):
    if cachestore.store(app).shared:
        pytest.skip("a shared (Redis) store is bounded by Redis's own memory policy")
    assert cachestore.store(app).max_bytes == app.config.get("CACHE_MAX_BYTES", 32 * 2**20)
    assert pagecache.make_cache(app).store.max_bytes == app.config["PAGE_CACHE_MAX_BYTES"]
