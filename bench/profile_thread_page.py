"""Profile the thread page in-process with pyinstrument, on the same database thread_page.py builds.

    .venv/bin/pip install pyinstrument        # a bench-only tool, deliberately not in requirements
    .venv/bin/python bench/profile_thread_page.py [--requests 200] [--posts 50] [--ref REF]
    .venv/bin/python bench/profile_thread_page.py --reader member --requests 40   # issue 18's signed-in reader

Builds a fresh migrated, seeded SQLite database in a temp dir (as thread_page.py does), creates the
app with the same environment, warms it up, then profiles --requests guest GETs of the thread page
through the WSGI test client (no network, no gunicorn). Writes the text and HTML reports to
bench/results/ and prints the text one, plus a per-request time split by phase.

With --reader member, the database also holds the reader's state (seed_thread.py --reader) and the
test client signs that member in through the login form first, so the profiled GETs carry the session
cookie; the SQL statements of one request are counted too.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import thread_page as tp


def count_statements(app, client, path: str) -> list[str]:
    """Return the SQL statements one GET of `path` runs (an engine event listener, as the tests count)."""
    from sqlalchemy import event  # noqa: PLC0415  (imported once the app's tree is on sys.path)

    from community.extensions import db  # noqa: PLC0415

    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def top_functions(client, path: str, requests: int, limit: int) -> str:
    """Profile `requests` GETs with cProfile; return the `limit` functions with most cumulative time, per request."""
    import cProfile  # noqa: PLC0415  (only for --cprofile)
    import pstats  # noqa: PLC0415

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        client.get(path)
    profile.disable()
    stats = pstats.Stats(profile).stats
    rows = sorted(((ct, nc, f"{Path(fn).name}:{line}({name})") for (fn, line, name), (_cc, nc, _tt, ct, _callers)
                   in stats.items()), reverse=True)
    lines = [f"cProfile, per request ({requests} requests; cProfile's own overhead inflates the times):",
             f"{'cumulative ms':>14} {'calls':>7}  function"]
    lines += [f"{ct * 1000 / requests:>14.2f} {nc // requests:>7}  {where}" for ct, nc, where in rows[:limit]]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="profiled requests")
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--ref", help="profile this git ref (git archive) instead of the working tree")
    parser.add_argument("--interval", type=float, default=0.0005, help="pyinstrument sampling interval (s)")
    parser.add_argument("--reader", choices=("guest", "member"), default="guest")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also print the N functions with the most cumulative time under cProfile "
                             "(same requests again; shows totals that pyinstrument spreads over call sites)")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler  # noqa: PLC0415  (a bench-only tool: say how to install it when missing)
    except ImportError:
        sys.exit("pyinstrument is missing: .venv/bin/pip install pyinstrument (bench-only, not in requirements)")

    tmp = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        source = tp.export_ref(args.ref, tmp / "src") if args.ref else tp.ROOT
        env = tp.app_environment(tmp, args.posts)
        seeded = tp.prepare_database(source, env, args.posts, reader=args.reader == "member")
        os.environ.clear()
        os.environ.update(env)
        sys.path.insert(0, str(source))
        os.chdir(source)
        from application import create_app  # noqa: PLC0415  (the app of --ref: importable once its tree is on sys.path)

        app = create_app()
        client = app.test_client()
        path = f"/t/{seeded['thread_id']}"
        statements = None
        if args.reader == "member":
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            response = client.post("/login", data={"csrf_token": token, "login": seeded["reader"],
                                                   "password": tp.content.PASSWORD})
            assert response.status_code == 302, response.status
            client.get(path)
            statements = count_statements(app, client, path)
            assert f"/u/{seeded['reader']}".encode() in client.get(path).data
        response = client.get(path)
        assert response.status_code == 200 and b'id="post-%d"' % args.posts in response.data, response.status
        for _ in range(20):
            client.get(path)

        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(50):
            client.get(path)
        unprofiled_ms = (time.perf_counter() - start) / 50 * 1000
        cpu_ms = (time.process_time() - cpu_start) / 50 * 1000

        profiler = Profiler(interval=args.interval)
        profiler.start()
        for _ in range(args.requests):
            client.get(path)
        profiler.stop()

        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        tp.RESULTS.mkdir(exist_ok=True)
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        (tp.RESULTS / f"profile_thread_page-{args.reader}-{stamp}.txt").write_text(text)
        (tp.RESULTS / f"profile_thread_page-{args.reader}-{stamp}.html").write_text(profiler.output_html())
        print(text)
        print(f"unprofiled: {unprofiled_ms:.1f} ms per request, {cpu_ms:.1f} ms of CPU (in-process, one thread, "
              f"{args.posts} posts, {args.reader})")
        if args.cprofile:
            print(top_functions(client, path, args.requests, args.cprofile))
        if statements is not None:
            print(f"SQL statements in one signed-in request: {len(statements)}")
            for statement in statements:
                print("   ", " ".join(statement.split())[:150])
        print(f"reports: bench/results/profile_thread_page-{args.reader}-{stamp}.txt and .html")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
