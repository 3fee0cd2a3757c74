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
import json
import multiprocessing
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
import socketio  # noqa: E402

from tests.community.realtime import servers  # noqa: E402  (the same real-server helpers as the tests)

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
IDLE_SECONDS = 2.0  # CPU of the servers with every client connected and nothing posted


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU of the server processes: while idle with the clients connected, then over the replies.

    With `profile_dir`, py-spy (not a requirement: `pip install py-spy`) samples each server over the
    replies only and writes collapsed stacks there (`server-<i>.txt`)."""

    def __init__(self, pids: list[int], profile_dir: str | None = None):
        self.pids, self.marks, self.profile_dir, self.spies = pids, {}, profile_dir, []

    def mark(self, name: str) -> None:
        if name == "last":
            for spy in self.spies:
                spy.send_signal(signal.SIGINT)
            for spy in self.spies:
                spy.wait(60)
        self.marks[name] = (time.monotonic(), [cpu_seconds(pid) for pid in self.pids])
        if name == "first" and self.profile_dir:
            self.spies = [subprocess.Popen([shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
                                            "--rate", "250", "--nonblocking", "--format", "raw",
                                            "--output", str(Path(self.profile_dir) / f"server-{i}.txt")],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                          for i, pid in enumerate(self.pids)]
            time.sleep(1)  # py-spy attaches

    def per_reply_ms(self, replies: int) -> dict:
        (t0, idle0), (t1, idle1), (t2, busy) = self.marks["idle"], self.marks["first"], self.marks["last"]
        idle_rate = [(b - a) / (t1 - t0) for a, b in zip(idle0, idle1, strict=True)]
        raw = [(b - a) * 1000 / replies for a, b in zip(idle1, busy, strict=True)]
        net = [(b - a - rate * (t2 - t1)) * 1000 / replies for a, b, rate in zip(idle1, busy, idle_rate, strict=True)]
        return {"cpu_raw": raw, "cpu_net": net, "cpu_idle": [r * 1000 for r in idle_rate]}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


class RawClient:
    """A Socket.IO client reduced to what the measurement needs, over aiohttp's websocket (Engine.IO 4).

    python-socketio's AsyncClient spends about 0.3 ms of this process's CPU decoding each event; with
    500 clients in one event loop the last one reads its copy ~150 ms after the first, which measures
    the bench's own client, not the server (real clients are 500 separate machines). This one stamps
    the arrival as soon as the frame is read and parses only the `post_created` events.
    """

    def __init__(self, session, arrivals):
        self.session, self.arrivals, self.ws, self.task = session, arrivals, None, None

    async def connect(self, url: str, thread_id: int) -> None:
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await self.session.ws_connect(ws_url, autoping=True, timeout=aiohttp.ClientWSTimeout(ws_close=30))
        assert (await self.ws.receive_str()).startswith("0")  # Engine.IO open
        await self.ws.send_str("40")  # Socket.IO connect to "/"
        while not (await self._next()).startswith("40"):
            pass
        await self.ws.send_str(f'421["join_thread",{{"thread_id":{thread_id}}}]')  # ack id 1
        while True:
            frame = await self._next()
            if frame.startswith("431"):
                assert json.loads(frame[3:])[0].get("ok"), frame
                break
        self.task = asyncio.create_task(self._read())

    async def _next(self) -> str:
        while True:
            frame = await self.ws.receive_str(timeout=30)
            if frame == "2":  # Engine.IO ping
                await self.ws.send_str("3")
                continue
            return frame

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                arrived = time.time()
                frame = message.data
                if frame == "2":
                    await self.ws.send_str("3")
                elif isinstance(frame, str) and frame.startswith('42["post_created"'):
                    data = json.loads(frame[2:])[1]
                    self.arrivals.setdefault(data["post_id"], []).append(arrived - data["t"])
        except (asyncio.CancelledError, ConnectionError):
            pass

    async def disconnect(self) -> None:
        if self.task:
            self.task.cancel()
        if self.ws is not None:
            await self.ws.close()


async def run_clients(urls: list[str], n: int, thread_id: int, writer_url: str, replies: int,
                      client: str = "raw", meter: CpuMeter | None = None) -> dict:
    arrivals: dict[int, list[float]] = {}
    expected: set[int] = set()
    clients = []
    # limit=0: every websocket holds its connection (the default pool stops at 100)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) if client == "raw" else None

    async def one_raw(i: int):
        raw = RawClient(session, arrivals)
        await raw.connect(urls[i % len(urls)], thread_id)
        clients.append(raw)

    async def one(i: int):
        if client == "raw":
            return await one_raw(i)
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
    meter.mark("idle")
    await asyncio.sleep(IDLE_SECONDS)
    meter.mark("first")
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
    meter.mark("last")
    samples = [ms for p in expected for ms in arrivals[p]]
    missing = len(expected) * n - len(samples) + (replies - len(expected)) * n
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    if session is not None:
        await session.close()
    return {"samples": samples, "missing": missing, "connect_seconds": connect_seconds}


def _client_process(urls: list[str], indexes: list[int], thread_id: int, ready, done, received, slot: int,
                    out) -> None:
    """One bench process's share of the raw clients: connect, report ready, count arrivals, hand them back."""
    async def main():
        arrivals: dict[int, list[float]] = {}

        class Counting(dict):
            def setdefault(self, key, default=None):
                received[slot] += 1  # one arrival (the caller appends right after); this process's own slot
                return arrivals.setdefault(key, default)

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        clients, gate = [], asyncio.Semaphore(25)

        async def one(i: int):
            async with gate:
                raw = RawClient(session, Counting())
                await raw.connect(urls[i % len(urls)], thread_id)
                clients.append(raw)

        await asyncio.gather(*(one(i) for i in indexes))
        ready.release()
        while not done.is_set():
            await asyncio.sleep(0.05)
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
        await session.close()
        out.put(arrivals)

    asyncio.run(main())


def run_client_processes(urls: list[str], n: int, thread_id: int, writer_url: str, replies: int, procs: int,
                         meter: CpuMeter) -> dict:
    """The raw clients spread over `procs` processes (each with its own event loop), as real readers are
    spread over machines: one loop reading 2 000 frames in a row measures itself, not the server."""
    context = multiprocessing.get_context("fork")
    ready, done, out = context.Semaphore(0), context.Event(), context.Queue()
    # one counter per client process: `+= 1` on a shared counter from two processes loses increments
    received = context.Array("i", procs, lock=False)
    shares = [list(range(k, n, procs)) for k in range(procs)]
    workers = [context.Process(target=_client_process, args=(urls, share, thread_id, ready, done, received, slot, out))
               for slot, share in enumerate(shares)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    clients_meter = CpuMeter([worker.pid for worker in workers])  # is the bench's own reading the bottleneck?
    try:
        for _ in workers:
            ready.acquire()
        connect_seconds = time.monotonic() - started
        time.sleep(3)  # let the presence broadcasts of the joins settle
        writer = servers.Browser(writer_url)
        writer.login("sam")
        meter.mark("idle")
        clients_meter.mark("idle")
        time.sleep(IDLE_SECONDS)
        meter.mark("first")
        clients_meter.mark("first")
        for k in range(replies):
            status, _ = writer.request(f"/t/{thread_id}/reply", {"body": f"Bench reply {k} {uuid.uuid4().hex[:6]}"})
            assert status == 302, status
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and sum(received) < n * (k + 1):
                time.sleep(0.01)
            time.sleep(0.3)
        meter.mark("last")
        clients_meter.mark("last")
    finally:
        done.set()  # the client processes hand back what they have and end, even after an error here
    arrivals: dict[int, list[float]] = {}
    for _ in workers:
        for post_id, values in out.get(timeout=60).items():
            arrivals.setdefault(post_id, []).extend(values)
    for worker in workers:
        worker.join(30)
    samples = [ms for values in arrivals.values() for ms in values]
    return {"samples": samples, "missing": replies * n - len(samples), "connect_seconds": connect_seconds,
            "client_cpu": clients_meter.per_reply_ms(replies)["cpu_raw"]}


def bench(mode: str, n: int, replies: int, client: str = "raw", procs: int = 1, profile_dir: str | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-realtime-") as tmp:
        workdir = Path(tmp)
        extra = {}
        if mode == "two":
            extra = {"REDIS_URL": REDIS_URL, "COMMUNITY_SOCKETIO_CHANNEL": servers.channel()}
        ids = servers.prepare(workdir)
        started = [servers.start(workdir, **extra) for _ in range(2 if mode == "two" else 1)]
        try:
            urls = [s.url for s in started]
            meter = CpuMeter([s.process.pid for s in started], profile_dir)
            if client == "raw" and procs > 1:
                result = run_client_processes(urls, n, ids["thread_id"], started[0].url, replies, procs, meter)
            else:
                result = asyncio.run(run_clients(urls, n, ids["thread_id"], started[0].url, replies, client, meter))
            result.update(meter.per_reply_ms(replies))
        finally:
            for server in started:
                server.stop()
    ms = [s * 1000 for s in result["samples"]]
    return {"mode": mode, "clients": n, "replies": replies, "deliveries": len(ms), "missing": result["missing"],
            "p50": statistics.median(ms) if ms else None, "p95": percentile(ms, 95) if ms else None,
            "max": max(ms) if ms else None, "connect_seconds": result["connect_seconds"],
            "cpu_raw": result["cpu_raw"], "cpu_net": result["cpu_net"], "cpu_idle": result["cpu_idle"],
            "client_cpu": result.get("client_cpu")}


def raise_open_files(wanted: int) -> int:
    """Raise this process's open-file limit (inherited by the servers it starts) to `wanted` if allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="*", default=[100, 500])
    parser.add_argument("--modes", nargs="*", default=["one", "two"], choices=["one", "two"])
    parser.add_argument("--replies", type=int, default=20)
    parser.add_argument("--client", choices=["raw", "socketio"], default="raw",
                        help="raw: minimal Engine.IO websocket clients (default); socketio: python-socketio AsyncClient")
    parser.add_argument("--client-processes", type=int, default=1,
                        help="spread the raw clients over this many bench processes (each its own event loop)")
    parser.add_argument("--py-spy", metavar="DIR", help="sample the servers over the replies with py-spy into DIR")
    args = parser.parse_args()
    # each client holds a socket here and one in a server (plus a thread's files there): 2 000 clients
    # pass the common default of 1 024 open files
    limit = raise_open_files(4 * max(args.clients) + 1024)
    print(f"open files allowed: {limit}")
    print(f"clients: {args.client} in {args.client_processes} process(es); load average before: {os.getloadavg()[0]:.1f}")
    print("CPU ms per reply: each server process's CPU over the replies (less its idle rate with the clients"
          " connected), divided by the replies; the first process also serves the reply's POST")
    print("| processes | clients | replies | deliveries | missing | p50 ms | p95 ms | max ms | CPU ms per reply | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode in args.modes:
        for n in args.clients:
            r = bench(mode, n, args.replies, args.client, args.client_processes, args.py_spy)
            label = "1" if mode == "one" else "2 + Redis"
            print(f"| {label} | {r['clients']} | {r['replies']} | {r['deliveries']} | {r['missing']} | "
                  f"{r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | "
                  f"{' / '.join(f'{v:.1f}' for v in r['cpu_net'])} | {os.getloadavg()[0]:.1f} |", flush=True)
            print(f"  raw CPU ms per reply {[round(v, 1) for v in r['cpu_raw']]}, idle CPU ms per second "
                  f"{[round(v, 1) for v in r['cpu_idle']]}", flush=True)
            if r["client_cpu"]:
                print(f"  bench client processes, CPU ms per reply {[round(v, 1) for v in r['client_cpu']]}", flush=True)


if __name__ == "__main__":
    main()
