"""CPU of one reply request in-process, for several trees side by side in the same minutes (issue 18).

    .venv/bin/python bench/replies_ab.py old=/tmp/rp-old new=.                 # git worktrees, each with .venv
    .venv/bin/python bench/replies_ab.py old=/tmp/a new=. --blocks 8 --size 40 --profile 100

Each tree gets its own PostgreSQL database (`bench_replies_ab_<name>`, dropped and created; its own migration
chain) seeded by `replies_app.py seed`, and its own process (this file's `worker`, run with the tree on
PYTHONPATH): 20 members signed in through the Flask test client, 10 replies to warm up, then blocks of
`POST /t/<id>/reply` on command, alternated between the trees (the order flips every block). Per block: CPU of
the requesting thread (`time.thread_time`), of the whole process once its search writer is done (`wait()`), and
the statements per reply. With --profile N each tree then profiles N more replies under cProfile and writes
`<tmp>/prof-<name>.pstats` (compare call counts: they do not move with the load). Wall times are the load's;
read the CPU columns, min and median, and record `uptime`.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from content import signed_in_client

BENCH = Path(__file__).resolve().parent
PASSWORD = "bench-replier-password-1"


def worker() -> None:  # runs inside a tree (PYTHONPATH = the tree)
    import cProfile  # noqa: PLC0415

    from sqlalchemy import event, select  # noqa: PLC0415

    from application import create_app  # noqa: PLC0415
    from community.extensions import db  # noqa: PLC0415
    from community.forum.models import Thread  # noqa: PLC0415
    from community.members.models import Member  # noqa: PLC0415
    from community.search.backends.whoosh import service  # noqa: PLC0415

    app = create_app()
    with app.app_context():
        names = list(db.session.scalars(select(Member.username).where(Member.username.like("bench_replier_%"))
                                        .order_by(Member.id)))
        thread_ids = list(db.session.scalars(select(Thread.id).order_by(Thread.id)))
        statements = [0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_args, **_kw):
            statements[0] += 1
    bodies = json.loads(Path(os.environ["AB_BODIES"]).read_text())
    clients = []
    for username in names:
        clients.append(signed_in_client(app, username, PASSWORD, f"/t/{thread_ids[0]}/reply"))
    made = [0]

    def one() -> None:
        k = made[0]
        made[0] += 1
        client, csrf = clients[k % len(clients)]
        body = bodies[k % len(bodies)] + f"\n\nab{k:05d}x{os.getpid()}"
        answer = client.post(f"/t/{thread_ids[k % len(thread_ids)]}/reply",
                             data={"csrf_token": csrf, "body": body, "reply_to": ""})
        assert answer.status_code == 302, (answer.status_code, answer.get_data(as_text=True)[:300])

    def settle() -> None:
        with app.app_context():
            service().wait(60)

    for _ in range(10):
        one()
    settle()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if cmd[0] == "block":
            n, before = int(cmd[1]), statements[0]
            p0, t0 = time.process_time(), time.thread_time()
            for _ in range(n):
                one()
            t1 = time.thread_time()
            settle()
            p1 = time.process_time()
            print(json.dumps({"thread_ms": (t1 - t0) * 1000 / n, "process_ms": (p1 - p0) * 1000 / n,
                              "statements": (statements[0] - before) / n}), flush=True)
        elif cmd[0] == "profile":
            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
            for _ in range(int(cmd[1])):
                one()
            profiler.disable()
            profiler.dump_stats(cmd[2])
            settle()
            print(json.dumps({"done": True}), flush=True)
        else:
            break


def main() -> int:
    sys.path.insert(0, str(BENCH))
    from replies import app_environment, bodies  # noqa: PLC0415
    from votes import recreate_database  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", help="name=path of a tree (a git worktree)")
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--size", type=int, default=40, help="replies per block")
    parser.add_argument("--profile", type=int, default=0, help="replies profiled per tree afterwards (0: none)")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-replies-ab-"))
    bodies_file = tmp / "bodies.json"
    bodies_file.write_text(json.dumps(bodies(200, random.Random(2)), ensure_ascii=False))
    procs = {}
    try:
        for spec in args.trees:
            name, path = spec.split("=", 1)
            path = str(Path(path).resolve())
            url = recreate_database(args.admin_url, f"bench_replies_ab_{name}")
            env = app_environment(tmp / name, url, f"bench-replies-ab-{uuid.uuid4().hex[:8]}")
            env.update(PYTHONPATH=path, AB_BODIES=str(bodies_file))
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=path, env=env,
                           check=True, capture_output=True)
            subprocess.run([sys.executable, str(BENCH / "replies_app.py"), "seed", "--members", "20", "--threads", "4"],
                           cwd=path, env=env, check=True, capture_output=True)
            procs[name] = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "worker"], cwd=path, env=env,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=open(tmp / f"{name}.log", "w"), text=True)
        for proc in procs.values():
            json.loads(proc.stdout.readline())
        results: dict[str, list[dict]] = {name: [] for name in procs}
        for block in range(args.blocks):
            for name in (list(procs) if block % 2 == 0 else list(procs)[::-1]):
                procs[name].stdin.write(f"block {args.size}\n")
                procs[name].stdin.flush()
                found = json.loads(procs[name].stdout.readline())
                results[name].append(found)
                print(f"{name} block {block}: thread {found['thread_ms']:.2f} ms, process {found['process_ms']:.2f} ms, "
                      f"{found['statements']:.1f} statements; load {os.getloadavg()[0]:.1f}", flush=True)
        for name, found in results.items():
            line = [f"{name}:"]
            for key in ("thread_ms", "process_ms"):
                values = [r[key] for r in found]
                line.append(f"{key} min {min(values):.2f} median {statistics.median(values):.2f}")
            print(" ".join(line) + f"; statements {found[-1]['statements']:.1f}")
        if args.profile:
            for name, proc in procs.items():
                proc.stdin.write(f"profile {args.profile} {tmp / f'prof-{name}.pstats'}\n")
                proc.stdin.flush()
                proc.stdout.readline()
            print(f"profiles in {tmp}")
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.stdin.write("quit\n")
                proc.stdin.flush()
                proc.wait(timeout=60)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        worker()
        sys.exit(0)
    sys.exit(main())
