"""Benchmark memory (issue 18): RSS of each web process over 10 000 mixed requests, and its growth.

    .venv/bin/python bench/memory.py                      # 10 000 requests, 2 sync workers, PostgreSQL
    .venv/bin/python bench/memory.py --requests 2000      # a quick look

Steps (votes.py's helpers): the tree of --ref exported; a fresh PostgreSQL database (--database),
migrated and seeded by seed_votes.py (a thread of --posts posts, --members members); `wsgi:app`
served by gunicorn (--workers sync workers, one thread each, as votes.py). --clients client threads,
each a signed-in member (the login form) or a guest, send requests in a fixed mix until --requests
have been answered:

    30 %  a guest reads the thread page          10 %  a guest reads the board
    20 %  a member reads the thread page          5 %  a member reads their notifications
    20 %  a member votes (JSON; up, then taken back, in turn)
    10 %  the home page                           5 %  a member replies (a short bilingual reply)

Every answer must be 200 (a reply: 302); anything else is counted and fails the run. The RSS of each
worker (VmRSS in /proc/<pid>/status) is read at every --sample requests; reported: each worker's RSS
after the first 1 000 (warm), the 5 000th and the 10 000th request, and the growth from the 5 000th to
the 10 000th (issue 18's target: at most 5 %). Results go to bench/results/memory-<time>.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from votes import Browser, Server, _csrf, app_environment, export_tree, recreate_database, run

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
MIX = [("guest_thread", 30), ("member_thread", 20), ("vote", 20), ("home", 10), ("guest_board", 10),
       ("notifications", 5), ("reply", 5)]
REPLIES = ["Thanks, this helped me a lot with the setup.", "我也遇到过同样的问题，刷新一下页面就好了。",
           "Could you share the exact error message?", "同意楼上的看法，搜索功能比以前快多了。"]


def worker_pids(server: Server) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == str(server.proc.pid):
                pids.append(int(entry.name))
    return sorted(pids)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=500, help="read the RSS every N requests")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ref", default="HEAD", help="git ref to benchmark, or WORKTREE")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL",
                                                              "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", default="bench_memory", help="dropped and created afresh")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.worker_class, args.threads = "sync", 1

    tmp = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    server = None
    samples: list[dict] = []
    errors: list[str] = []
    try:
        source = export_tree(args.ref, tmp / "src")
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True).stdout.strip()
        database_url = recreate_database(args.admin_url, args.database)
        env = app_environment(tmp, database_url, 10_000)
        env["COMMUNITY_TRUST_POSTS_PER_DAY"] = "{}"
        run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=source, env=env)
        out = run([sys.executable, str(BENCH / "seed_votes.py"), "--voters", str(args.members), "--posts",
                   str(args.posts), "--authors", "3"], cwd=source, env=dict(env, PYTHONPATH=str(source)))
        seeded = json.loads(out.stdout.strip().splitlines()[-1])
        server = Server(source, env, args, tmp / "gunicorn.log")
        server.wait_ready()
        thread_id, post_ids = seeded["thread_id"], seeded["post_ids"]
        lock = threading.Lock()
        counter = {"n": 0, "by_kind": {kind: 0 for kind, _ in MIX}}
        kinds = [kind for kind, weight in MIX for _ in range(weight)]
        pids = worker_pids(server)
        print(f"--- {args.requests} mixed requests, {args.clients} clients, gunicorn {args.workers} sync workers "
              f"(pids {pids})", flush=True)

        def client(i: int) -> None:
            rng = random.Random(i)
            member = Browser(server.port)
            name = seeded["voters"][i % len(seeded["voters"])]
            token = member.sign_in(name, thread_id)
            guest = Browser(server.port)
            voted: dict[int, int] = {}
            while True:
                with lock:
                    if counter["n"] >= args.requests:
                        return
                    counter["n"] += 1
                    n = counter["n"]
                kind = rng.choice(kinds)
                if kind == "guest_thread":
                    status, _, _ = guest.request("GET", f"/t/{thread_id}")
                elif kind == "guest_board":
                    status, _, _ = guest.request("GET", "/b/bench")
                elif kind == "home":
                    status, _, _ = guest.request("GET", "/")
                elif kind == "member_thread":
                    status, _, page = member.request("GET", f"/t/{thread_id}")
                    token = _csrf(page, "thread") if status == 200 else token
                elif kind == "notifications":
                    status, _, _ = member.request("GET", "/notifications")
                elif kind == "vote":
                    post_id = rng.choice(post_ids)
                    value = 0 if voted.get(post_id) else 1
                    status, _, _ = member.request("POST", f"/p/{post_id}/vote", {"csrf_token": token, "value": str(value)},
                                                  {"Accept": "application/json", "X-CSRFToken": token})
                    voted[post_id] = value
                else:
                    status, _, _ = member.request("POST", f"/t/{thread_id}/reply",
                                                  {"csrf_token": token, "body": f"{rng.choice(REPLIES)} ({n})"})
                    status = 200 if status == 302 else status
                with lock:
                    counter["by_kind"][kind] += 1
                    if status != 200:
                        errors.append(f"{kind}: {status}")
                    if n % args.sample == 0:
                        samples.append({"requests": n, "rss_kb": {pid: rss_kb(pid) for pid in pids},
                                        "seconds": round(time.perf_counter() - started, 1)})
                        print(f"  {n:6d} requests: RSS " + ", ".join(f"{v / 1024:.1f} MB" for v in
                                                                        samples[-1]["rss_kb"].values()), flush=True)

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    def at(n: int) -> dict | None:
        found = [s for s in samples if s["requests"] >= n]
        return found[0] if found else None

    warm, middle, end = at(1000), at(args.requests // 2), at(args.requests)
    growth = {}
    if middle and end:
        growth = {pid: round(100 * (end["rss_kb"][pid] - middle["rss_kb"][pid]) / middle["rss_kb"][pid], 2)
                  for pid in end["rss_kb"]}
    result = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "ref": args.ref, "commit": commit,
              "requests": args.requests, "seconds": round(seconds, 1), "clients": args.clients,
              "server": {"workers": args.workers, "worker_class": "sync", "threads": 1}, "database": "postgresql",
              "by_kind": counter["by_kind"], "errors": len(errors), "error_examples": errors[:10],
              "rss_mb": {label: ({pid: round(v / 1024, 1) for pid, v in s["rss_kb"].items()} if s else None)
                         for label, s in (("after_1000", warm), ("middle", middle), ("end", end))},
              "growth_percent_middle_to_end": growth, "samples": samples}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"memory-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"{args.requests} requests in {seconds:.1f}s ({counter['by_kind']}); errors {len(errors)}")
    for label, value in result["rss_mb"].items():
        print(f"  RSS {label}: {value}")
    print(f"  growth from request {args.requests // 2} to {args.requests}: {growth} % (target <= 5 %)")
    ok = not errors and growth and all(g <= 5 for g in growth.values())
    print(("OK" if ok else "FAILED") + f"; written to {path.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
