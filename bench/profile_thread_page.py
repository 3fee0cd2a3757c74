"""Profile the thread page in-process with pyinstrument, on the same database thread_page.py builds.

    .venv/bin/pip install pyinstrument        # a bench-only tool, deliberately not in requirements
    .venv/bin/python bench/profile_thread_page.py [--requests 200] [--posts 50] [--ref REF]

Builds a fresh migrated, seeded SQLite database in a temp dir (as thread_page.py does), creates the
app with the same environment, warms it up, then profiles --requests guest GETs of the thread page
through the WSGI test client (no network, no gunicorn). Writes the text and HTML reports to
bench/results/ and prints the text one, plus a per-request time split by phase.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import thread_page as tp


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="profiled requests")
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--ref", help="profile this git ref (git archive) instead of the working tree")
    parser.add_argument("--interval", type=float, default=0.0005, help="pyinstrument sampling interval (s)")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler  # noqa: PLC0415  (a bench-only tool: say how to install it when missing)
    except ImportError:
        sys.exit("pyinstrument is missing: .venv/bin/pip install pyinstrument (bench-only, not in requirements)")

    tmp = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        source = tp.export_ref(args.ref, tmp / "src") if args.ref else tp.ROOT
        env = tp.app_environment(tmp, args.posts)
        seeded = tp.prepare_database(source, env, args.posts)
        os.environ.clear()
        os.environ.update(env)
        sys.path.insert(0, str(source))
        os.chdir(source)
        from application import create_app  # noqa: PLC0415  (the app of --ref: importable once its tree is on sys.path)

        app = create_app()
        client = app.test_client()
        path = f"/t/{seeded['thread_id']}"
        response = client.get(path)
        assert response.status_code == 200 and b'id="post-%d"' % args.posts in response.data, response.status
        for _ in range(20):
            client.get(path)

        start = time.perf_counter()
        for _ in range(50):
            client.get(path)
        unprofiled_ms = (time.perf_counter() - start) / 50 * 1000

        profiler = Profiler(interval=args.interval)
        profiler.start()
        for _ in range(args.requests):
            client.get(path)
        profiler.stop()

        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        tp.RESULTS.mkdir(exist_ok=True)
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        (tp.RESULTS / f"profile_thread_page-{stamp}.txt").write_text(text)
        (tp.RESULTS / f"profile_thread_page-{stamp}.html").write_text(profiler.output_html())
        print(text)
        print(f"unprofiled: {unprofiled_ms:.1f} ms per request (in-process, one thread, {args.posts} posts)")
        print(f"reports: bench/results/profile_thread_page-{stamp}.txt and .html")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
