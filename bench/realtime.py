"""Fan-out latency of a live reply: from its commit to its arrival at N Socket.IO clients in one thread.

    .venv/bin/python bench/realtime.py                 # N = 100 and 500, one process and two with Redis
    .venv/bin/python bench/realtime.py --clients 500 --modes two --replies 30

Each server is the real `python wsgi.py` (threading + simple-websocket) on a migrated SQLite community
in a temporary directory. The clients are python-socketio AsyncClients over websocket in this process.
A reply is posted over HTTP; the server stamps each event with its time right after the commit
(`t`), and a client's latency is its arrival time minus `t` (one machine, one clock). With `two`,
half of the clients are connected to a second process and the events reach them through Redis.
Needs `aiohttp` (requirements-dev.txt) and, for `two`, Redis at $BENCH_REDIS_URL (127.0.0.1:6379).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import socketio  # noqa: E402

from tests.realtime import servers  # noqa: E402  (the same real-server helpers as the tests)

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def run_clients(urls: list[str], n: int, thread_id: int, writer_url: str, replies: int) -> dict:
    arrivals: dict[int, list[float]] = {}
    expected: set[int] = set()
    clients = []

    async def one(i: int):
        sio = socketio.AsyncClient(reconnection=False)

        @sio.on("post_created")
        async def _created(data):
            arrivals.setdefault(data["post_id"], []).append(time.time() - data["t"])

        await sio.connect(urls[i % len(urls)], transports=["websocket"], wait_timeout=30)
        answer = await sio.call("join_thread", {"thread_id": thread_id}, timeout=30)
        assert answer.get("ok"), answer
        clients.append(sio)

    gate = asyncio.Semaphore(25)

    async def guarded(i):
        async with gate:
            await one(i)

    started = time.monotonic()
    await asyncio.gather(*(guarded(i) for i in range(n)))
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(3)  # let the presence broadcasts of the joins settle

    writer = servers.Browser(writer_url)
    await asyncio.to_thread(writer.login, "sam")  # staff: no new-member posting limits
    for k in range(replies):
        before = set(arrivals)
        status, _ = await asyncio.to_thread(writer.request, f"/t/{thread_id}/reply",
                                            {"body": f"Bench reply {k} {uuid.uuid4().hex[:6]}"})
        assert status == 302, status
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            new = set(arrivals) - before
            if new and all(len(arrivals[p]) >= n for p in new):
                break
            await asyncio.sleep(0.01)
        expected |= set(arrivals) - before
        await asyncio.sleep(0.3)
    samples = [ms for p in expected for ms in arrivals[p]]
    missing = len(expected) * n - len(samples) + (replies - len(expected)) * n
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    return {"samples": samples, "missing": missing, "connect_seconds": connect_seconds}


def bench(mode: str, n: int, replies: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-realtime-") as tmp:
        workdir = Path(tmp)
        extra = {}
        if mode == "two":
            extra = {"REDIS_URL": REDIS_URL, "COMMUNITY_SOCKETIO_CHANNEL": servers.channel()}
        ids = servers.prepare(workdir)
        started = [servers.start(workdir, **extra) for _ in range(2 if mode == "two" else 1)]
        try:
            result = asyncio.run(run_clients([s.url for s in started], n, ids["thread_id"], started[0].url, replies))
        finally:
            for server in started:
                server.stop()
    ms = [s * 1000 for s in result["samples"]]
    return {"mode": mode, "clients": n, "replies": replies, "deliveries": len(ms), "missing": result["missing"],
            "p50": statistics.median(ms) if ms else None, "p95": percentile(ms, 95) if ms else None,
            "max": max(ms) if ms else None, "connect_seconds": result["connect_seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="*", default=[100, 500])
    parser.add_argument("--modes", nargs="*", default=["one", "two"], choices=["one", "two"])
    parser.add_argument("--replies", type=int, default=20)
    args = parser.parse_args()
    print("| processes | clients | replies | deliveries | missing | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for mode in args.modes:
        for n in args.clients:
            r = bench(mode, n, args.replies)
            label = "1" if mode == "one" else "2 + Redis"
            print(f"| {label} | {r['clients']} | {r['replies']} | {r['deliveries']} | {r['missing']} | "
                  f"{r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
