"""The fixed CPU cost of a signed-in request, in-process: what every route pays before and after its view.

    .venv/bin/python bench/fixed_cost.py [--ref REF] [--blocks 10] [--per-block 100] [--cprofile 40]

Builds the thread page's SQLite database (thread_page.py, 5 posts, the seeded reader), signs the reader in through
the login form and times, in the request's thread (`time.thread_time`), three small signed-in requests through the
WSGI test client:
- `get`: GET /messages/unread (a JSON answer; the view runs one statement),
- `post`: a vote POST with the CSRF header on a post that does not exist (CSRF, then a 404 JSON answer),
- `404`: GET of a missing thread (the error page: the page frame a signed-in member sees),
- `page`: the thread page itself (`--kinds page --posts 50`: the signed-in page of thread_page.py).
Prints min / median ms of CPU per request over --blocks blocks and the SQL statements of one request of each; with
--database (PostgreSQL) also the CPU of the database's backends per request (/proc, same host).
Run two trees side by side (the working tree and --ref main, in two processes at the same time) to compare under
the same load; the request log goes to stderr (send it to /dev/null).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import thread_page as tp


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", help="measure this git ref (git archive) instead of the working tree")
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--per-block", type=int, default=100)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="print the N top functions (own time)")
    parser.add_argument("--kinds", default="get,post,404", help="of get, post, 404, page (the thread page)")
    parser.add_argument("--posts", type=int, default=5, help="posts of the seeded thread (the page kind shows all)")
    parser.add_argument("--database", help="a PostgreSQL database name (dropped and created) instead of SQLite")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench-fixed-"))
    try:
        source = tp.export_ref(args.ref, tmp / "src") if args.ref else tp.ROOT
        env = tp.app_environment(tmp, args.posts)
        if args.database:
            from votes import recreate_database  # noqa: PLC0415
            env["DATABASE_URL"] = recreate_database(args.admin_url, args.database)
        seeded = tp.prepare_database(source, env, args.posts, reader=True)
        os.environ.clear()
        os.environ.update(env)
        sys.path.insert(0, str(source))
        os.chdir(source)
        from sqlalchemy import event  # noqa: PLC0415

        from application import create_app  # noqa: PLC0415
        from community.extensions import db  # noqa: PLC0415

        app = create_app()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"csrf_token": token, "login": seeded["reader"],
                                               "password": tp.content.PASSWORD})
        assert response.status_code == 302, response.status
        page = client.get(f"/t/{seeded['thread_id']}").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

        def get():
            response = client.get("/messages/unread")
            assert response.status_code == 200, response.status

        def post():
            response = client.post("/p/2000000000/vote", data={"value": "1"},
                                   headers={"X-CSRFToken": token, "Accept": "application/json"})
            assert response.status_code == 404, response.status

        def missing():
            response = client.get("/t/2000000000")
            assert response.status_code == 404, response.status

        def thread_page():
            response = client.get(f"/t/{seeded['thread_id']}")
            assert response.status_code == 200, response.status

        kinds = {"get": get, "post": post, "404": missing, "page": thread_page}
        chosen = [kinds[name] for name in args.kinds.split(",")]
        with app.app_context():
            engine = db.engine
        for name, fn in zip(args.kinds.split(","), chosen, strict=True):
            for _ in range(30):
                fn()
            seen = []

            def record(_conn, _cursor, statement, *_args, seen=seen):
                seen.append(statement)

            event.listen(engine, "before_cursor_execute", record)
            fn()
            event.remove(engine, "before_cursor_execute", record)
            print(f"{name}: {len(seen)} statements", file=sys.stdout)
            for statement in seen:
                print("    ", " ".join(statement.split())[:140])

        def server_cpu() -> float:
            """CPU seconds of the PostgreSQL backends serving this database (0 on SQLite)."""
            if not args.database:
                return 0.0
            from sqlalchemy import text  # noqa: PLC0415
            with app.app_context():
                pids = db.session.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                                               )).scalars().all()
                db.session.rollback()
            total = 0.0
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            return total

        results = {name: [] for name in args.kinds.split(",")}
        walls = {name: [] for name in args.kinds.split(",")}
        server = {name: 0.0 for name in args.kinds.split(",")}
        for _ in range(args.blocks):
            for name, fn in zip(args.kinds.split(","), chosen, strict=True):
                before = server_cpu()
                start, wall = time.thread_time(), time.perf_counter()
                for _ in range(args.per_block):
                    fn()
                results[name].append((time.thread_time() - start) / args.per_block * 1000)
                walls[name].append((time.perf_counter() - wall) / args.per_block * 1000)
                server[name] += server_cpu() - before
        label = args.ref or "working tree"
        for name, blocks in results.items():
            print(f"{label:>14} {name:>5}: min {min(blocks):.3f} median {statistics.median(blocks):.3f} ms CPU/request "
                  f"(wall min {min(walls[name]):.3f} median {statistics.median(walls[name]):.3f})"
                  + (f"; PostgreSQL backends {server[name] * 1000 / (args.blocks * args.per_block):.3f} ms/request"
                     if args.database else ""))
        print("load:", os.getloadavg())
        if args.cprofile:
            import cProfile  # noqa: PLC0415
            import pstats  # noqa: PLC0415
            for name, fn in zip(args.kinds.split(","), chosen, strict=True):
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(200):
                    fn()
                profile.disable()
                print(f"---- {name}")
                stats = pstats.Stats(profile)
                stats.sort_stats(os.environ.get("FX5_SORT", "cumulative")).print_stats(args.cprofile)
                if os.environ.get("FX5_CALLERS"):
                    stats.print_callers(os.environ["FX5_CALLERS"])
                print("calls per request:", sum(nc for (_cc, nc, _tt, _ct, _c) in stats.stats.values()) / 200)
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
