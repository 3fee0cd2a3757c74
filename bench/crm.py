"""Server time of the CRM's heaviest pages on a big community, on SQLite and PostgreSQL.

    .venv/bin/python bench/crm.py                         # SQLite, 100 000 posts (about 3 minutes)
    .venv/bin/python bench/crm.py --database postgresql   # a fresh PostgreSQL database bench_crm
    .venv/bin/python bench/crm.py --posts 20000 --requests 20   # a quick look

Builds a migrated database with 1 000 members, 10 000 threads and --posts posts spread over 90
days, each with its sentiment row, timeline entries and feedback items where the board says so, plus
one member ("focus") with --events timeline entries. Rows are bulk-inserted (the services would take
hours for this volume); the pages then run through the real app, signed in as staff, in process.
Prints p50/p95 of the server time of the staff profile page of "focus" and of the dashboard.
Targets (issue 7): profile p95 under 150 ms, dashboard p95 under 300 ms.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402  (the imports below need ROOT on sys.path)
from sqlalchemy import create_engine, insert, text, update  # noqa: E402

from application import create_app  # noqa: E402
from community import MIGRATIONS_DIR  # noqa: E402
from community.dbtypes import utcnow  # noqa: E402
from community.extensions import db  # noqa: E402
from community.forum.models import Board, Post, Thread  # noqa: E402
from community.members import passwords  # noqa: E402
from community.members.models import Member  # noqa: E402
from crm_bridge.models import CrmProfile, FeedbackItem, PostSentiment, TimelineEvent  # noqa: E402
from crm_bridge.rollups import backfill  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_crm"
KINDS = ("discussion", "question", "idea", "discussion", "question", "discussion")


def fresh_postgres() -> str:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS bench_crm WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE bench_crm"))
    admin.dispose()
    return PG_URL


def build(app, posts: int, events: int) -> None:
    rng = random.Random(7)
    now = utcnow()
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        run = db.session.execute
        members = [{"id": i, "username": f"m{i}", "username_key": f"m{i}", "email": f"m{i}@example.com",
                    "email_key": f"m{i}@example.com", "password_hash": "x", "role": "member",
                    "created_at": now - timedelta(days=120)} for i in range(1, 1001)]
        members[0].update(username="focus", username_key="focus")
        members[1].update(username="staffer", username_key="staffer", role="staff")
        run(insert(Member), members)
        run(insert(CrmProfile), [{"member_id": m["id"], "first_seen_at": m["created_at"],
                                  "last_active_at": now - timedelta(days=rng.randint(0, 90))} for m in members])
        run(insert(Board), [{"id": i + 1, "slug": f"b{i}", "name": f"Board {i}", "kind": kind, "visibility": "public"}
                            for i, kind in enumerate(KINDS)])
        threads = 10_000
        thread_rows, feedback = [], []
        for t in range(1, threads + 1):
            board = rng.randint(1, len(KINDS))
            created = now - timedelta(minutes=rng.randint(0, 90 * 24 * 60))
            thread_rows.append({"id": t, "board_id": board, "author_id": rng.randint(1, 1000), "title": f"Thread {t}",
                                "created_at": created, "last_posted_at": created, "post_seq": 0})
            if KINDS[board - 1] in ("question", "idea"):
                feedback.append({"thread_id": t, "member_id": thread_rows[-1]["author_id"], "kind": KINDS[board - 1],
                                 "status": "open", "created_at": created})
        run(insert(Thread), thread_rows)
        run(insert(FeedbackItem), feedback)
        numbers = {t: 0 for t in range(1, threads + 1)}
        batch = 5000
        for start in range(0, posts, batch):
            post_rows, sentiments, timeline = [], [], []
            for pid in range(start + 1, min(posts, start + batch) + 1):
                thread = thread_rows[(pid - 1) % threads]
                numbers[thread["id"]] += 1
                author = thread["author_id"] if numbers[thread["id"]] == 1 else rng.randint(1, 1000)
                created = thread["created_at"] + timedelta(minutes=numbers[thread["id"]] * 7)
                post_rows.append({"id": pid, "thread_id": thread["id"], "number": numbers[thread["id"]],
                                  "author_id": author, "body_source": f"Post {pid}", "body_html": f"<p>Post {pid}</p>",
                                  "created_at": created})
                score = rng.uniform(-1, 1)
                sentiments.append({"post_id": pid, "member_id": author, "board_id": thread["board_id"],
                                   "thread_id": thread["id"], "score": score,
                                   "label": "positive" if score > 0.3 else "negative" if score < -0.3 else "neutral",
                                   "language": "en", "created_at": created})
                timeline.append({"member_id": author, "kind": "thread_started" if numbers[thread["id"]] == 1 else "replied",
                                 "occurred_at": created, "thread_id": thread["id"], "post_id": pid,
                                 "excerpt": f"Post {pid}", "data": {}})
            run(insert(Post), post_rows)
            run(insert(PostSentiment), sentiments)
            run(insert(TimelineEvent), timeline)
        kinds = ("replied", "vote_given", "vote_received", "answer_accepted", "poll_ballot", "badge")
        run(insert(TimelineEvent), [{"member_id": 1, "kind": rng.choice(kinds), "data": {"value": 1},
                                     "occurred_at": now - timedelta(minutes=rng.randint(0, 200 * 24 * 60)),
                                     "excerpt": "An older event"} for _ in range(events)])
        db.session.commit()
        with db.engine.begin() as connection:
            backfill(connection)  # bulk rows bypassed the subscribers that keep the rollups
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                for table in ("threads", "posts", "boards", "members"):
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                connection.commit()


def measure(client, path: str, requests: int) -> dict:
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    times, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)  # this process only (not PostgreSQL's)
        assert response.status_code == 200
    times.sort()
    cpu.sort()
    p95 = min(len(times) - 1, int(len(times) * 0.95))
    return {"p50": statistics.median(times), "p95": times[p95], "cpu_p50": statistics.median(cpu), "cpu_p95": cpu[p95]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000, help="timeline entries of the focus member")
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-crm-"))
    try:
        url = fresh_postgres() if args.database == "postgresql" else f"sqlite:///{tmp / 'crm.db'}"
        os.environ["COMMUNITY_INSTANCE_PATH"] = str(tmp)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp), "RATELIMIT_ENABLED": False,
                          "WTF_CSRF_ENABLED": False, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})
        started = time.perf_counter()
        build(app, args.posts, args.events)
        print(f"built {args.posts} posts and {args.events} focus events on {args.database} "
              f"in {time.perf_counter() - started:.0f} s")
        client = app.test_client()
        with app.app_context():
            db.session.execute(update(Member).where(Member.username == "staffer")
                               .values(password_hash=passwords.hash_password("bench-password-1")))
            db.session.commit()
        assert client.post("/login", data={"login": "staffer", "password": "bench-password-1"}).status_code == 302
        for name, path, target in (("profile (10 000 events)", "/crm/members/focus", 150),
                                   ("dashboard", "/crm/dashboard", 300)):
            figures = measure(client, path, args.requests)
            verdict = "meets" if figures["p95"] < target else "MISSES"
            print(f"{name:26} p50 {figures['p50']:7.1f} ms   p95 {figures['p95']:7.1f} ms   "
                  f"({verdict} the {target} ms target)   app CPU p50 {figures['cpu_p50']:.1f} / "
                  f"p95 {figures['cpu_p95']:.1f} ms   load {os.getloadavg()[0]:.1f}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
