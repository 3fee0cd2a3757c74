"""Benchmark votes through HTTP on PostgreSQL: 50 signed-in members voting at once, final count checked.

    .venv/bin/python bench/votes.py                      # the defaults below: 50 voters x 20 posts
    .venv/bin/python bench/votes.py --voters 50 --posts 40 --authors 10 --workers 2 --ref HEAD

Steps: the tree of git --ref (default HEAD; "WORKTREE" serves the working tree as it is) exported
to a temp dir; a fresh PostgreSQL database (--database, dropped and created), migrated with
`flask --app wsgi db upgrade`; one board, a thread of --posts posts written in turn by --authors
staff members, and --voters members, all created through the real services; `wsgi:app` served by gunicorn (--workers, sync workers
by default) on 127.0.0.1. Each voter is a thread with its own HTTP connection and cookie jar: it
signs in through the login form (CSRF token from the page), reads the thread page for a CSRF token,
waits at a barrier, then votes +1 on every post in its own shuffled order, each vote a
`POST /p/<id>/vote` as votes.js sends it (form field and X-CSRFToken header, Accept: JSON).
Measured: the wall time from the barrier to the last answer (votes/s) and each vote's latency
(p50/p95/p99). Checked afterwards, in SQL: every answer was 200 with a score, every post's score is
exactly the number of voters, there is exactly one vote row per voter and post, and the thread's
score equals its opening post's. Any mismatch fails the run (exit 1).

Settings for the served app: rate limits off (RATELIMIT_ENABLED=false, as the contract provides for
load tests) and a daily vote allowance above --posts, so that limits do not refuse votes being
measured; cheap password hashing, so that signing in 50 members is quick (sign-in is not measured).
Results go to bench/results/votes-<time>.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import http.cookies
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PASSWORD = "bench-voter-password-1"


# ---- preparing -----------------------------------------------------------------------------

def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}\n{result.stdout}\n{result.stderr}")
    return result


def export_tree(ref: str, dest: Path) -> Path:
    """Write the tree of git `ref` (or the working tree for WORKTREE) into dest, read-only use of the repo."""
    if ref == "WORKTREE":
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".git", ".venv", "instance", "__pycache__",
                                                                  "results", "node_modules"))
        return dest
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def recreate_database(admin_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `admin_url`; return its SQLAlchemy URL."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"--database must be a plain lower-case name, not {name!r}")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name


def app_environment(tmp: Path, database_url: str, posts: int) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("COMMUNITY_") and key not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "FLASK_APP")}
    env.update({
        "DATABASE_URL": database_url,
        "COMMUNITY_INSTANCE_PATH": str(tmp / "instance"),
        "SECRET_KEY": "bench-secret-not-for-production",
        "RATELIMIT_ENABLED": "false",
        "COMMUNITY_VOTES_PER_DAY_BY_TRUST_LEVEL": json.dumps([posts * 10]),
        "COMMUNITY_ARGON2_TIME_COST": "1",
        "COMMUNITY_ARGON2_MEMORY_COST": "1024",
        "COMMUNITY_ARGON2_PARALLELISM": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


# ---- serving -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving wsgi:app from `chdir`, stopped on exit."""

    def __init__(self, chdir: Path, env: dict, args, log: Path, target: str = "wsgi:app"):
        self.port, self.log = free_port(), log
        # gunicorn reads the tree's gunicorn.conf.py (threads = 100), and a "sync" worker with more than one
        # thread silently becomes gthread: say the threads every time, 1 for sync.
        threads = args.threads if args.worker_class == "gthread" else 1
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--worker-class", args.worker_class,
               "--threads", str(threads), "--bind", f"127.0.0.1:{self.port}", "--chdir", str(chdir),
               "--log-level", "warning", "--error-logfile", str(log), "--graceful-timeout", "5", "--backlog", "2048",
               target]
        self.cmd = cmd
        self.threads_per_worker = threads
        self.output = open(log.with_suffix(".out"), "wb")  # the app's own log (errors with tracebacks)
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.output, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"gunicorn exited with {self.proc.returncode}:\n" + self.log.read_text(errors="replace")[-3000:])
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status in (200, 503):
                    return
            except OSError:
                time.sleep(0.2)
        sys.exit(f"gunicorn did not answer within {timeout:.0f}s; see {self.log}")

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) used so far by the gunicorn master and its workers."""
        pids = [self.proc.pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and _stat(int(entry.name))[1:2] == [str(self.proc.pid)]:
                pids.append(int(entry.name))
        return sum(float(int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK") for f in map(_stat, pids) if f)

    def cpu_of_other_threads(self) -> float:
        """Return the CPU time used so far by the workers' threads other than their main (request) thread: the
        search index writer, the vote effects drain (threads that ended are not counted)."""
        tick, total = os.sysconf("SC_CLK_TCK"), 0.0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and _stat(int(entry.name))[1:2] == [str(self.proc.pid)]:
                for task in Path(f"/proc/{entry.name}/task").iterdir():
                    if task.name != entry.name:
                        f = _stat_of(task / "stat")
                        total += float(int(f[11]) + int(f[12])) / tick if f else 0.0
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.output.close()


def _stat(pid: int) -> list[str]:
    return _stat_of(Path(f"/proc/{pid}/stat"))


def _stat_of(path: Path) -> list[str]:
    try:
        raw = path.read_text()
    except OSError:
        return []
    return raw[raw.rindex(")") + 2:].split()  # the fields after "(comm)"


# ---- a voter -------------------------------------------------------------------------------------

class Browser:
    """One member's HTTP connection with its cookies (the session), as a browser would keep them."""

    def __init__(self, port: int):
        self.port, self.cookies = port, http.cookies.SimpleCookie()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(form) if form is not None else None
        send = {"Cookie": "; ".join(f"{k}={m.value}" for k, m in self.cookies.items()), **(headers or {})}
        if body is not None:
            send["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(3):  # sync workers close each connection after answering: reconnect
            try:
                self.conn.request(method, path, body=body, headers=send)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt == 2:
                    raise
        for header in response.msg.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        if response.will_close:
            self.conn.close()
        return response.status, response.getheader("Location"), data.decode("utf-8", "replace")

    def sign_in(self, username: str, thread_id: int) -> str:
        """Sign in through the form and return the CSRF token of the thread page."""
        status, _, page = self.request("GET", "/login")
        token = _csrf(page, "/login")
        status, location, page = self.request("POST", "/login", {"csrf_token": token, "login": username,
                                                                 "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"{username} could not sign in ({status}): {page[:300]}")
        status, _, page = self.request("GET", f"/t/{thread_id}")
        if status != 200 or 'class="vote-up"' not in page:
            raise RuntimeError(f"{username} sees no vote buttons on the thread ({status})")
        return _csrf(page, f"/t/{thread_id}")


def _csrf(page: str, where: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if not match:
        raise RuntimeError(f"no CSRF token on {where}")
    return match.group(1)


def postgres_cpu(database_url: str) -> dict[int, float]:
    """Return {backend pid: CPU seconds so far} of the PostgreSQL backends connected to this database."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        pids = [pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                               "AND pid <> pg_backend_pid()")]
    tick = os.sysconf("SC_CLK_TCK")
    return {pid: float(int(f[11]) + int(f[12])) / tick for pid, f in ((pid, _stat(pid)) for pid in pids) if f}


def pending_effects(database_url: str) -> int:
    """Return how many votes' lagging effects (vote_effects markers) are still to be applied."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM vote_effects").fetchone()[0]


def run_voters(port: int, seeded: dict, seed_value: int, server: Server, database_url: str,
               ceiling: bool = False) -> dict:
    """Sign the voters in (the app's login form, or the ceiling's one-line login), release them together, time it.

    The server's CPU is read once every vote's lagging effects are applied too (a tree that drains them later,
    in a batch, pays for them inside the measurement); PostgreSQL's CPU is its backends' for this database
    (those connected at the start and the end; a backend that came and went between is missed).
    """
    voters, post_ids, thread_id = seeded["voters"], seeded["post_ids"], seeded["thread_id"]
    browsers = [Browser(port) for _ in voters]
    tokens: list[str | None] = [None] * len(voters)
    latencies: list[list[float]] = [[] for _ in voters]
    failures: list[str] = []
    barrier = threading.Barrier(len(voters) + 1)
    done = [0.0] * len(voters)

    def sign_in(i: int) -> str:
        if not ceiling:
            return browsers[i].sign_in(voters[i], thread_id)
        status, _, body = browsers[i].request("POST", "/ceiling/login", {"member": str(i + 1)})
        if status != 200:
            raise RuntimeError(f"ceiling login answered {status}")
        return "-"

    def voter(i: int) -> None:
        order = list(post_ids)
        random.Random(seed_value + i).shuffle(order)
        try:
            tokens[i] = sign_in(i)
        except Exception as exc:  # noqa: BLE001 - reported and fails the run
            failures.append(f"sign-in {voters[i]}: {exc}")
        barrier.wait()
        if tokens[i] is None:
            return
        headers = {"Accept": "application/json", "X-CSRFToken": tokens[i]}
        for post_id in order:
            started = time.perf_counter()
            try:
                status, _, body = browsers[i].request("POST", f"/p/{post_id}/vote",
                                                      {"csrf_token": tokens[i], "value": "1"}, headers)
            except OSError as exc:
                failures.append(f"{voters[i]} on post {post_id}: {exc!r}")
                continue
            latencies[i].append(time.perf_counter() - started)
            if status != 200 or '"my_vote":1' not in body.replace(" ", ""):
                failures.append(f"{voters[i]} on post {post_id}: {status} {body[:200]}")
        done[i] = time.perf_counter()

    threads = [threading.Thread(target=voter, args=(i,), daemon=True) for i in range(len(voters))]
    for thread in threads:
        thread.start()
    barrier.wait()
    pg_before = postgres_cpu(database_url)
    started, cpu, load = time.perf_counter(), server.cpu_seconds(), os.getloadavg()[0]
    other = server.cpu_of_other_threads()
    for thread in threads:
        thread.join()
    finished = max(done) if any(done) else time.perf_counter()
    pending, waited = 0, 0.0
    if not ceiling:  # the votes' lagging effects, if the tree applies them after the answer (up to 30 s)
        while (pending := pending_effects(database_url)) and waited < 30:
            time.sleep(0.05)
            waited += 0.05
        time.sleep(0.1)  # the drain's commit is visible before its process has finished the drain's last look
    pg_after = postgres_cpu(database_url)
    pg_cpu = sum(max(0.0, after - pg_before.get(pid, 0.0)) for pid, after in pg_after.items())
    flat = sorted(x for per in latencies for x in per)
    return {"seconds": finished - started, "latencies": flat, "failures": failures,
            "server_cpu_seconds": server.cpu_seconds() - cpu, "postgres_cpu_seconds": pg_cpu,
            "server_cpu_seconds_other_threads": server.cpu_of_other_threads() - other,
            "effects_pending": pending, "effects_wait_seconds": round(waited, 2), "load_at_start": load,
            "load_at_end": os.getloadavg()[0]}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
    return values[index]


# ---- checking --------------------------------------------------------------------------------------

def check_counts(database_url: str, seeded: dict, ceiling: bool = False) -> dict:
    """Read the final state in SQL and compare it with what the voters did (the ceiling's tables with `ceiling`)."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    voters, post_ids = len(seeded["voters"]), seeded["post_ids"]
    posts_t, votes_t = ("ceiling_posts", "ceiling_votes") if ceiling else ("posts", "votes")
    with psycopg.connect(url) as conn:
        scores = dict(conn.execute(f"SELECT id, score FROM {posts_t} WHERE id = ANY(%s)", (post_ids,)).fetchall())
        rows = dict(conn.execute(f"SELECT post_id, count(*) FROM {votes_t} GROUP BY post_id").fetchall())
        duplicates = conn.execute(f"SELECT count(*) FROM (SELECT post_id, member_id FROM {votes_t} "
                                  "GROUP BY post_id, member_id HAVING count(*) > 1) d").fetchone()[0]
        vote_sum = conn.execute(f"SELECT coalesce(sum(value), 0) FROM {votes_t}").fetchone()[0]
        thread_score = (scores.get(post_ids[0]) if ceiling else
                        conn.execute("SELECT score FROM threads WHERE id = %s", (seeded["thread_id"],)).fetchone()[0])
    problems = []
    wrong = {pid: scores.get(pid) for pid in post_ids if scores.get(pid) != voters}
    if wrong:
        problems.append(f"{len(wrong)} posts do not have score {voters}: {dict(list(wrong.items())[:5])}")
    wrong_rows = {pid: rows.get(pid, 0) for pid in post_ids if rows.get(pid, 0) != voters}
    if wrong_rows:
        problems.append(f"{len(wrong_rows)} posts do not have {voters} vote rows: {dict(list(wrong_rows.items())[:5])}")
    if duplicates:
        problems.append(f"{duplicates} duplicate (post, member) vote rows")
    if sum(scores.values()) != vote_sum:
        problems.append(f"sum of post scores {sum(scores.values())} != sum of votes {vote_sum}")
    if thread_score != scores.get(post_ids[0]):
        problems.append(f"thread score {thread_score} != opening post score {scores.get(post_ids[0])}")
    return {"expected_votes": voters * len(post_ids), "vote_rows": sum(rows.values()), "score_total": sum(scores.values()),
            "thread_score": thread_score, "problems": problems}


# ---- main ------------------------------------------------------------------------------------------

def summarise(outcome: dict, counts: dict) -> dict:
    lat = outcome["latencies"]
    return {
        "votes_answered": len(lat), "seconds": round(outcome["seconds"], 3),
        "votes_per_second": round(len(lat) / outcome["seconds"], 1) if outcome["seconds"] else None,
        "server_cpu_ms_per_vote": round(outcome["server_cpu_seconds"] * 1000 / len(lat), 2) if lat else None,
        "postgres_cpu_ms_per_vote": round(outcome["postgres_cpu_seconds"] * 1000 / len(lat), 2) if lat else None,
        "server_cpu_ms_per_vote_other_threads":
            round(outcome["server_cpu_seconds_other_threads"] * 1000 / len(lat), 2) if lat else None,
        "effects_pending_after": outcome["effects_pending"], "effects_wait_seconds": outcome["effects_wait_seconds"],
        "latency_ms": {"p50": round(percentile(lat, 50) * 1000, 1), "p95": round(percentile(lat, 95) * 1000, 1),
                       "p99": round(percentile(lat, 99) * 1000, 1),
                       "mean": round(statistics.fmean(lat) * 1000, 1) if lat else None},
        "load_1min": [round(outcome["load_at_start"], 2), round(outcome["load_at_end"], 2)],
        "check": counts, "failures": outcome["failures"][:20], "failure_count": len(outcome["failures"]),
        "ok": not outcome["failures"] and not counts["problems"] and len(lat) == counts["expected_votes"]
        and not outcome["effects_pending"],
    }


def show(label: str, summary: dict) -> None:
    lat = summary["latency_ms"]
    print(f"{label:8s} {summary['votes_answered']} votes in {summary['seconds']:.2f}s: {summary['votes_per_second']} "
          f"votes/s; latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms; server CPU "
          f"{summary['server_cpu_ms_per_vote']} ms/vote ({summary['server_cpu_ms_per_vote_other_threads']} in "
          f"threads other than the workers' main ones), PostgreSQL {summary['postgres_cpu_ms_per_vote']} ms/vote; "
          f"effects applied {summary['effects_wait_seconds']}s after the last answer, "
          f"{summary['effects_pending_after']} pending; load {summary['load_1min'][0]} -> {summary['load_1min'][1]}; "
          f"{summary['check']['vote_rows']} vote rows, scores total {summary['check']['score_total']} "
          f"(expected {summary['check']['expected_votes']}) {'OK' if summary['ok'] else 'FAILED'}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=50)
    parser.add_argument("--posts", type=int, default=20, help="posts in the thread; each voter votes on all")
    parser.add_argument("--authors", type=int, default=10, help="members who wrote the posts, in turn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread only; sync is 1)")
    parser.add_argument("--ref", default="HEAD", help="git ref to benchmark, or WORKTREE")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the write ceiling (run before and after)")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL",
                                                              "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", default="bench_votes", help="dropped and created afresh")
    parser.add_argument("--seed", type=int, default=1, help="shuffles each voter's order of posts")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, tree)")
    args = parser.parse_args()

    sys.path.insert(0, str(BENCH))
    import write_ceiling_app  # noqa: PLC0415 - bench-only, beside this script

    tmp = Path(tempfile.mkdtemp(prefix="bench-votes-"))
    runs: dict[str, list[dict]] = {"app": [], "ceiling": []}
    try:
        source = export_tree(args.ref, tmp / "src")
        described = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                   capture_output=True, text=True)
        commit = described.stdout.strip() or "unknown"
        database_url = recreate_database(args.admin_url, args.database)
        env = app_environment(tmp, database_url, args.posts)
        print(f"--- migrating {args.database}; seeding {args.voters} voters and {args.posts} posts", flush=True)
        run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=source, env=env)
        out = run([sys.executable, str(BENCH / "seed_votes.py"), "--voters", str(args.voters),
                   "--posts", str(args.posts), "--authors", str(args.authors)], cwd=source, env=dict(env, PYTHONPATH=str(source)))
        seeded = json.loads(out.stdout.strip().splitlines()[-1])
        # C A C: the ceiling just before and just after the app, so that both see the same machine.
        order = ["app"] if args.no_ceiling else ["ceiling", "app", "ceiling"]
        for n, target in enumerate(order):
            ceiling = target == "ceiling"
            if ceiling:
                write_ceiling_app.reset(database_url, seeded["post_ids"])
            server = Server(BENCH if ceiling else source, env, args, tmp / f"gunicorn-{n}.log",
                            target="write_ceiling_app:app" if ceiling else "wsgi:app")
            try:
                server.wait_ready() if not ceiling else _wait_port(server)
                print(f"--- {target}: {args.voters} voters signing in, then voting at once on {args.posts} posts "
                      f"(gunicorn {args.workers} {args.worker_class} workers x {server.threads_per_worker} threads)",
                      flush=True)
                outcome = run_voters(server.port, seeded, args.seed + n, server, database_url, ceiling=ceiling)
            finally:
                server.stop()
            summary = summarise(outcome, check_counts(database_url, seeded, ceiling=ceiling))
            runs[target].append(summary)
            show(target, summary)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    app = runs["app"][0]
    ceiling_rate = (statistics.fmean(r["votes_per_second"] for r in runs["ceiling"]) if runs["ceiling"] else None)
    ratio = round(100 * app["votes_per_second"] / ceiling_rate, 1) if ceiling_rate else None
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "ref": args.ref, "commit": commit, "voters": args.voters, "posts": args.posts, "authors": args.authors,
        "server": {"workers": args.workers, "worker_class": args.worker_class,
                   "threads": args.threads if args.worker_class == "gthread" else 1},
        "database": "postgresql", "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "app": app, "ceiling_runs": runs["ceiling"], "ceiling_votes_per_second": ceiling_rate,
        "ratio_percent": ratio,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"votes-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2))
    ok = all(r["ok"] for rs in runs.values() for r in rs)
    if ceiling_rate:
        print(f"app {app['votes_per_second']} votes/s against the write ceiling's {ceiling_rate:.1f} "
              f"(mean of {len(runs['ceiling'])} runs): {ratio} %")
    for line in app["failures"][:10] + app["check"]["problems"]:
        print("PROBLEM:", line)
    print(("OK" if ok else "FAILED") + f"; written to {path.relative_to(ROOT)}")
    return 0 if ok else 1


def _wait_port(server: Server, timeout: float = 30) -> None:
    """Wait until the ceiling answers (it has no /healthz: a 404 is an answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            sys.exit(f"gunicorn exited with {server.proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("the ceiling did not answer")


if __name__ == "__main__":
    sys.exit(main())
