"""Profile a signed-in member's vote in-process (pyinstrument), on PostgreSQL, with votes.py's seeding.

    .venv/bin/pip install pyinstrument        # a bench-only tool, deliberately not in requirements
    .venv/bin/python bench/profile_votes.py [--voters 20] [--posts 20]

Runs the working tree: a fresh database (--database, dropped and created), migrated, seeded by
seed_votes.py (one thread, staff authors, members); the app built with votes.py's environment; each
member signs in through the Flask test client and reads the thread for its CSRF token. Then every
member votes +1 on every post as votes.js does (`POST /p/<id>/vote`, JSON): first unprofiled (CPU time
of this thread per vote, p50/p95, and the SQL statements of one vote, counted with an engine listener),
then the same number of votes again (value -1, a change) under pyinstrument. Prints the statements and
the profile's top lines; writes the text report to bench/results/.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

from content import signed_in_client
from votes import app_environment, recreate_database, run

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PASSWORD = "bench-voter-password-1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=20)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL",
                                                              "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", default="bench_votes_profile")
    parser.add_argument("--interval", type=float, default=0.0005)
    parser.add_argument("--top", type=int, default=70, help="cProfile lines printed")
    parser.add_argument("--own", action="store_true", help="cProfile lines by own time, not cumulative")
    parser.add_argument("--batch", type=int, default=1,
                        help="drain after every Nth vote only (as concurrent votes batch in votes.py; default 1)")
    parser.add_argument("--blocks", type=int, default=1, help="split the timed votes into blocks: min and median")
    parser.add_argument("--cpu-only", action="store_true", help="time the votes only, no profilers")
    parser.add_argument("--request-only", action="store_true",
                        help="leave the drains to the app's drain thread: time and profile the requests alone")
    args = parser.parse_args()

    import tempfile  # noqa: PLC0415
    tmp = Path(tempfile.mkdtemp(prefix="profile-votes-"))
    database_url = recreate_database(args.admin_url, args.database)
    env = app_environment(tmp, database_url, args.posts)
    run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env)
    out = run([sys.executable, str(BENCH / "seed_votes.py"), "--voters", str(args.voters), "--posts", str(args.posts),
               "--authors", "10"], cwd=ROOT, env=dict(env, PYTHONPATH=str(ROOT)))
    seeded = json.loads(out.stdout.strip().splitlines()[-1])
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import logging  # noqa: PLC0415

    from pyinstrument import Profiler  # noqa: PLC0415
    from sqlalchemy import event  # noqa: PLC0415

    from community.extensions import db  # noqa: PLC0415
    from wsgi import app  # noqa: PLC0415
    logging.getLogger("community.requests").setLevel(logging.WARNING)
    # The drain in the vote's own thread, so that this thread's CPU includes it (--batch batches as the app's
    # drain thread does under concurrent votes); --request-only leaves it to the drain thread, uncounted.
    app.config["VOTE_EFFECTS_DELAY"] = 0.2 if args.request_only else 0

    clients = []
    for name in seeded["voters"]:
        clients.append(signed_in_client(app, name, PASSWORD, f"/t/{seeded['thread_id']}"))

    def vote(client, token, post_id, value) -> None:
        response = client.post(f"/p/{post_id}/vote", data={"csrf_token": token, "value": str(value)},
                               headers={"Accept": "application/json", "X-CSRFToken": token})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]

    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda _c, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    client, token = clients[0]
    event.listen(engine, "before_cursor_execute", listener)
    vote(client, token, seeded["post_ids"][0], 1)
    event.remove(engine, "before_cursor_execute", listener)

    # CPU of the after-commit drain of the vote's effects (community/votes/effects.py), inside each vote
    from community.votes import effects  # noqa: PLC0415
    drain_cpu: list[float] = []
    plain_drain = effects._drain_after_commit

    def timed_drain(*args):
        started = time.thread_time()
        plain_drain(*args)
        drain_cpu.append(time.thread_time() - started)

    effects._drain_after_commit = timed_drain
    thread_drains: list[float] = []  # --request-only: the drain thread's drains
    plain_in_app = effects._drain_in_app

    def timed_in_app(*args):
        started = time.thread_time()
        try:
            return plain_in_app(*args)
        finally:
            thread_drains.append(time.thread_time() - started)

    effects._drain_in_app = timed_in_app
    cpu = []
    n = 0
    process_started = time.process_time()
    for post_id in seeded["post_ids"][1:]:
        for client, token in clients:
            n += 1
            # --batch N: the first N - 1 votes leave their markers, the Nth vote's drain applies all N
            effects._drain_after_commit = timed_drain if n % args.batch == 0 else (lambda *_a: None)
            started = time.thread_time()
            vote(client, token, post_id, 1)
            cpu.append(time.thread_time() - started)
    effects._drain_after_commit = plain_drain
    effects._drain_in_app(app)  # what a last partial batch left
    time.sleep(max(1.5, 2 * float(app.config.get("SEARCH_WRITE_DELAY", 1.0))))  # the other threads' last work
    process_cpu = (time.process_time() - process_started) * 1000 / len(cpu)
    effects._drain_in_app = plain_in_app
    print(f"CPU per vote of the whole process (the search index writer and any drain thread too): {process_cpu:.2f} ms; "
          f"this thread's: {sum(cpu) * 1000 / len(cpu):.2f} ms; drains in the drain thread "
          f"{sum(thread_drains) * 1000 / len(cpu):.2f} ms per vote ({len(thread_drains)} drains)")
    if args.blocks > 1:
        size = len(cpu) // args.blocks
        means = sorted(sum(cpu[b * size:(b + 1) * size]) * 1000 / size for b in range(args.blocks))
        print(f"CPU per vote by block ({args.blocks} blocks of {size} votes, batch {args.batch}): "
              f"min {means[0]:.2f} ms, median {statistics.median(means):.2f} ms, "
              f"blocks {' '.join(f'{m:.2f}' for m in means)}")
    if args.cpu_only:
        cpu.sort()
        print(f"CPU per vote: mean {statistics.fmean(cpu) * 1000:.2f} ms, p50 {cpu[len(cpu) // 2] * 1000:.2f} ms; "
              f"of which drains {sum(drain_cpu) * 1000 / len(cpu):.2f} ms per vote ({len(drain_cpu)} drains)")
        return 0
    profiler = Profiler(interval=args.interval)
    profiler.start()
    for post_id in seeded["post_ids"][1:]:
        for client, token in clients:
            vote(client, token, post_id, -1)
    profiler.stop()
    # CPU, not wall: cProfile timed by this thread's CPU clock, the votes taken back (value 0)
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415
    cpu_profile = cProfile.Profile(time.thread_time)
    cpu_profile.enable()
    for post_id in seeded["post_ids"][1:]:
        for client, token in clients:
            vote(client, token, post_id, 0)
    cpu_profile.disable()
    n_votes = len(seeded["post_ids"][1:]) * len(clients)
    stats = pstats.Stats(cpu_profile).stats
    rows = sorted(((tt if args.own else ct, nc, f"{Path(fn).parent.name}/{Path(fn).name}:{line}({name})")
                   for (fn, line, name), (_cc, nc, tt, ct, _callers) in stats.items()), reverse=True)
    cpu_lines = [f"cProfile on the thread's CPU clock, per vote ({n_votes} votes taken back; inflated by cProfile):"]
    cpu_lines += [f"{ct * 1000 / n_votes:>9.2f} ms {nc / n_votes:>7.1f}  {where}" for ct, nc, where in rows[:args.top]]
    cpu.sort()
    # The vote's effects that may lag (community/votes/effects.py) are drained after its commit, in the same
    # thread and request: its statements start with the drain's advisory lock.
    drain_at = next((n for n, statement in enumerate(statements) if "pg_try_advisory_xact_lock" in statement),
                    len(statements))
    print(f"{len(statements)} SQL statements for one vote: {drain_at} in the vote's transaction, "
          f"{len(statements) - drain_at} in the after-commit drain of its effects:")
    for n, statement in enumerate(statements):
        print("   " if n < drain_at else " d ", " ".join(statement.split())[:140])
    print(f"CPU per vote (this thread, unprofiled, {len(cpu)} votes): mean {statistics.fmean(cpu) * 1000:.2f} ms, "
          f"p50 {cpu[len(cpu) // 2] * 1000:.2f} ms, p95 {cpu[int(len(cpu) * 0.95)] * 1000:.2f} ms")
    if drain_cpu:
        print(f"  of which the after-commit drain of its effects: mean {sum(drain_cpu) * 1000 / len(cpu):.2f} ms "
              f"per vote ({len(drain_cpu)} drains); the vote's request without it: "
              f"{(sum(cpu) - sum(drain_cpu)) * 1000 / len(cpu):.2f} ms")
    text = profiler.output_text(unicode=True, color=False, show_all=False) + "\n" + "\n".join(cpu_lines)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"profile-votes-{dt.datetime.now():%Y%m%d-%H%M%S}.txt"
    path.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
