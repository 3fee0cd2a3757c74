"""CPU of one signed-in thread page request in-process, for several trees side by side in the same minutes (issue 18).

    git worktree add --detach /tmp/base 2034c27
    .venv/bin/python bench/thread_page_ab.py old=/tmp/base new=. [--blocks 10 --size 40 --posts 50]

Each tree gets its own SQLite database in a temp dir, migrated and seeded as thread_page.py does (`seed_thread.py
--reader`), and its own process (this file's `worker`, run with the tree on sys.path): the bench's member signed
in through the Flask test client, 30 requests to warm up, then blocks of `GET /t/<id>` on command, alternated
between the trees (the order flips every block). Per block: CPU of the process (`time.process_time`) per request.
Wall times are the load's; read the CPU, min and median, and record `uptime`. With --dump DIR each tree writes
its page as the member saw it (CSRF token and the seeding's times masked) to DIR/<name>.html.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def worker(source: str, path_file: str) -> None:  # runs inside a tree's process
    sys.path.insert(0, source)
    sys.path.insert(1, str(BENCH))
    os.chdir(source)
    from content import PASSWORD  # noqa: PLC0415

    from application import create_app  # noqa: PLC0415

    seeded = json.loads(Path(path_file).read_text())
    app = create_app()
    client = app.test_client()
    path = f"/t/{seeded['thread_id']}"
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"csrf_token": token, "login": seeded["reader"], "password": PASSWORD})
    assert answer.status_code == 302, answer.status
    for _ in range(30):
        client.get(path)
    html = client.get(path).get_data(as_text=True)
    print(json.dumps({"ready": True, "bytes": len(html.encode())}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command.get("dump"):
            masked = re.sub(r'(value|data-csrf)="[^"]{40,}"', r'\1="CSRF"', html)  # the reader's CSRF token
            masked = re.sub(r"<time [^>]*>[^<]*</time>", "<time>", masked)  # the seeding's own times
            Path(command["dump"]).write_text(masked)
            print(json.dumps({"dumped": True}), flush=True)
            continue
        size = command["size"]
        cpu = time.process_time()
        for _ in range(size):
            client.get(path)
        print(json.dumps({"cpu_ms": (time.process_time() - cpu) / size * 1000}), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", help="name=path of a tree (a git worktree)")
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--dump", help="write each tree's page (CSRF token, times masked) to this directory")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(BENCH))
    import thread_page as tp  # noqa: PLC0415

    tmp = Path(tempfile.mkdtemp(prefix="bench-thread-ab-"))
    procs = {}
    try:
        for spec in args.trees:
            name, tree = spec.split("=", 1)
            source = Path(tree).resolve()
            env = tp.app_environment(tmp / name, args.posts)
            (tmp / name).mkdir()
            seeded = tp.prepare_database(source, env, args.posts, reader=True)
            (tmp / f"{name}.json").write_text(json.dumps(seeded))
            procs[name] = subprocess.Popen(
                [sys.executable, __file__, "--worker", str(source), str(tmp / f"{name}.json")], env=env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for name, proc in procs.items():
            print(name, json.loads(proc.stdout.readline()), flush=True)
        if args.dump:
            Path(args.dump).mkdir(parents=True, exist_ok=True)
            for name, proc in procs.items():
                proc.stdin.write(json.dumps({"dump": str(Path(args.dump) / f"{name}.html")}) + "\n")
                proc.stdin.flush()
                proc.stdout.readline()
        results = {name: [] for name in procs}
        names = list(procs)
        for block in range(args.blocks):
            for name in names if block % 2 == 0 else reversed(names):
                procs[name].stdin.write(json.dumps({"size": args.size}) + "\n")
                procs[name].stdin.flush()
                results[name].append(json.loads(procs[name].stdout.readline())["cpu_ms"])
            print(f"block {block + 1}: " + "  ".join(f"{n} {results[n][-1]:.2f}" for n in names)
                  + f"  (load {os.getloadavg()[0]:.1f})", flush=True)
        print(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), f"load {os.getloadavg()}")
        for name in names:
            print(f"{name}: CPU ms per signed-in request, min {min(results[name]):.2f}, "
                  f"median {statistics.median(results[name]):.2f} ({args.blocks} blocks of {args.size})")
        return 0
    finally:
        for proc in procs.values():
            proc.stdin.close()
            proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
