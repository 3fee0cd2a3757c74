"""Benchmark replies through HTTP on PostgreSQL (issue 18): 20 members replying at once, every side effect checked.

    .venv/bin/python bench/replies.py                         # 20 members x 10 replies, 4 threads
    .venv/bin/python bench/replies.py --members 20 --replies 10 --threads 4 --profile 100 --ref HEAD

Steps (the shape of votes.py, whose helpers it uses): the tree of git --ref exported to a temp dir; a
fresh PostgreSQL database (--database), migrated; through the real services (bench/replies_app.py
seed) one public board, --threads threads opened by a staff member and --members members; the search
index built. `wsgi:app` is served by gunicorn (--workers sync workers) and, beside it, the real
Socket.IO server (`python wsgi.py`); both publish through Redis ($BENCH_REDIS_URL, a channel of this
run's own), as a deployment with gunicorn does. A python-socketio client joins every thread's room
before the run. Each member is a thread with its own HTTP connection and cookie jar: it signs in
through the login form, reads the reply form of each thread for its CSRF token, waits at a barrier,
then posts --replies replies round the threads, each a `POST /t/<id>/reply` with the composer's
fields (csrf_token, body, reply_to) as the browser form sends it; the answer must be a 302 to the
new post. Bodies are realistic, bilingual (about 40% Chinese), each carrying a unique token.

Measured: replies/s from the barrier to the last answer, latency p50/p95/p99, and the CPU used by
the gunicorn processes (master + workers, /proc/<pid>/stat) per reply. Checked afterwards (exit 1
on any mismatch): every reply is a row with its token in body_html, public (not pending); exactly
one `replied` CRM timeline entry for its author; exactly one `post.created` outbox row; one
sentiment row; its token found in the Whoosh index (the servers' writer threads write it after
commit: waited for) on that post only; exactly one `post_created` live event per reply.

With --profile K (default 100), K more replies are made in one process through
`forum.services.reply` + commit with the same bodies under cProfile, and the CPU per reply is broken
down: render (markdown-it), sanitize (bleach), sentiment, the signal subscribers, commit. Results go
to bench/results/replies-<time>.json. Needs Redis and PostgreSQL.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import socketio
from votes import Browser, Server, _csrf, export_tree, free_port, percentile, recreate_database, run

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PASSWORD = "bench-replier-password-1"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

ENGLISH = [
    "I ran into the same thing last week. Rolling the migration out in two steps (add the column, backfill "
    "in batches of 1000, then add the constraint) kept the table writable the whole time.",
    "Thanks for writing this up! One small thing: the **second** step needs an index first, otherwise the "
    "backfill scans the whole table for every batch. See the docs on `CREATE INDEX CONCURRENTLY`.",
    "Honestly this was frustrating. The new theme looks great, but the grey text on white is really hard "
    "to read on my laptop, and I had to zoom in to 150% to get through the thread.",
    "+1 to the suggestion above. A few points from our side:\n\n- keep the old endpoint for a month\n"
    "- log who still calls it\n- then remove it with a clear notice",
    "Could you share the exact error message? It sounds like the session expired while the form was "
    "open, which happens after two hours. Reloading the page should fix it.",
    "Love it. The search is much faster now, and finding old answers by tag works exactly as I hoped.",
]
CHINESE = [
    "我也遇到过同样的问题。后来把迁移分成两步来做：先加字段，再分批回填数据，整个过程表都可以正常写入，效果很好。",
    "谢谢分享！我觉得地点选在市中心比较方便，地铁站附近有几家咖啡馆，周六下午人不会太多。",
    "说实话这次更新让我有点失望，新主题的灰色文字在白色背景上很难看清，希望能调整一下对比度。",
    "同意楼上的看法。搜索功能比以前快多了，按标签找旧帖子也很准确，给开发团队点赞！",
    "能不能把具体的报错信息贴出来？听起来像是表单打开太久，会话过期了，刷新一下页面应该就好了。",
]
MIXED = ["We tried this at our meetup too — 大家都觉得效果不错, but the projector setup took 20 minutes.",
         "The docs say `flask db upgrade` 就可以了, but on PostgreSQL you also need the extension first."]


def bodies(count: int, rng: random.Random) -> list[str]:
    """`count` bodies: 45% English, 40% Chinese, 15% mixed (each gets a unique token appended later)."""
    out = []
    for _ in range(count):
        roll = rng.random()
        pool = ENGLISH if roll < 0.45 else CHINESE if roll < 0.85 else MIXED
        out.append(rng.choice(pool))
    return out


def token(rng: random.Random) -> str:
    return "zq" + "".join(rng.choice("bcdfghjklmnpvwxz") for _ in range(10))


def app_environment(tmp: Path, database_url: str, channel: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("COMMUNITY_") and key not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "FLASK_APP")}
    env.update({
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "COMMUNITY_SOCKETIO_CHANNEL": channel,
        "COMMUNITY_INSTANCE_PATH": str(tmp / "instance"),
        "COMMUNITY_SEARCH_INDEX_DIR": str(tmp / "search-index"),
        "COMMUNITY_WEBHOOK_WORKER_IN_PROCESS": "false",  # the outbox rows stay to be counted
        "SECRET_KEY": "bench-secret-not-for-production",
        "RATELIMIT_ENABLED": "false",
        "COMMUNITY_TRUST_POSTS_PER_DAY": "{}",  # levels not listed have no daily posting limit
        "COMMUNITY_ARGON2_TIME_COST": "1",
        "COMMUNITY_ARGON2_MEMORY_COST": "1024",
        "COMMUNITY_ARGON2_PARALLELISM": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _ticks(path: str) -> float:
    try:
        raw = Path(path).read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "stat").read_text()
            except OSError:
                continue
            if raw[raw.rindex(")") + 2:].split()[1] == str(pid):
                found.append(int(entry.name))
    return found


def cpu_budget(server: Server, sockets: SocketServer) -> dict:
    """CPU seconds so far: gunicorn workers' main threads (requests) and other threads (the search writer,
    Redis; with gthread, the requests too), the gunicorn master, the Socket.IO server, every `postgres` process, and this bench process."""
    out = {"gunicorn requests (main threads)": 0.0, "gunicorn other threads (search writer...)": 0.0, "gunicorn master": 0.0,
           "socket server": _ticks(f"/proc/{sockets.proc.pid}/stat"), "postgres (all)": 0.0,
           "bench client": _ticks(f"/proc/{os.getpid()}/stat")}
    out["gunicorn master"] = _ticks(f"/proc/{server.proc.pid}/task/{server.proc.pid}/stat")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm, rest = raw[raw.index("(") + 1:raw.rindex(")")], raw[raw.rindex(")") + 2:].split()
        if rest[1] == str(server.proc.pid):  # a worker: its main thread serves the requests
            for task in (entry / "task").iterdir():
                key = "gunicorn requests (main threads)" if task.name == entry.name else "gunicorn other threads (search writer...)"
                out[key] += _ticks(str(task / "stat"))
        elif comm.startswith("postgres"):
            out["postgres (all)"] += _ticks(str(entry / "stat"))
    return out


class Gunicorn(Server):
    """votes.py's Server, with the worker class and threads as asked: gunicorn reads the tree's own
    gunicorn.conf.py (gthread, 100 threads) from its working directory, and a sync worker with
    `threads` above 1 silently becomes gthread; `--threads 1` keeps sync workers sync."""

    def __init__(self, chdir: Path, env: dict, args, log: Path):
        self.port, self.log = free_port(), log
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--worker-class", args.worker_class,
               "--threads", str(args.threads if args.worker_class == "gthread" else 1),
               "--bind", f"127.0.0.1:{self.port}", "--chdir", str(chdir), "--log-level", "warning",
               "--error-logfile", str(log), "--graceful-timeout", "5", "--backlog", "2048", "wsgi:app"]
        self.cmd = cmd
        self.output = open(log.with_suffix(".out"), "wb")
        # cwd: `python -m` puts its working directory first on sys.path, and gunicorn's --chdir inserts the tree
        # only when it is not on sys.path already; with PYTHONPATH naming the tree it is, so without cwd the
        # workers imported the code of the directory the bench was started from (the checkout), not --ref's
        self.proc = subprocess.Popen(cmd, env=env, cwd=chdir, stdout=self.output, stderr=subprocess.STDOUT,
                                     start_new_session=True)


class SocketServer:
    """`python wsgi.py`: the Socket.IO server the live events reach through Redis."""

    def __init__(self, chdir: Path, env: dict, log: Path):
        self.port = free_port()
        self.output = open(log, "wb")
        self.proc = subprocess.Popen([sys.executable, "wsgi.py"], cwd=chdir, stdout=self.output,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=dict(env, PORT=str(self.port), HOST="127.0.0.1", PYTHONPATH=str(chdir)))
        self.url, self.log = f"http://127.0.0.1:{self.port}", log

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"socket server exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        sys.exit("socket server did not answer")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.output.close()


class Listener:
    """A python-socketio client in every thread's room, counting `post_created` events per post id."""

    def __init__(self, url: str, thread_ids: list[int]):
        self.events: dict[int, int] = {}
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("post_created", self._created)
        self.sio.connect(url, transports=["websocket"], wait_timeout=30)
        for thread_id in thread_ids:
            answer = self.sio.call("join_thread", {"thread_id": thread_id}, timeout=30)
            if not (answer or {}).get("ok"):
                sys.exit(f"could not join thread {thread_id}: {answer}")

    def _created(self, data):
        with self.lock:
            self.events[data["post_id"]] = self.events.get(data["post_id"], 0) + 1

    def close(self):
        self.sio.disconnect()


def sign_in(browser: Browser, username: str, thread_ids: list[int]) -> dict[int, str]:
    status, _, page = browser.request("GET", "/login")
    status, _, page = browser.request("POST", "/login", {"csrf_token": _csrf(page, "/login"), "login": username,
                                                         "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"{username} could not sign in ({status}): {page[:300]}")
    tokens = {}
    for thread_id in thread_ids:
        status, _, page = browser.request("GET", f"/t/{thread_id}/reply")
        if status != 200:
            raise RuntimeError(f"{username}: reply form of thread {thread_id} answered {status}")
        tokens[thread_id] = _csrf(page, f"/t/{thread_id}/reply")
    return tokens


def warm_up(port: int, seeded: dict, count: int) -> list[float]:
    """The host (staff) posts `count` replies, Chinese and English, over two connections at once, so that
    each sync worker has loaded SnowNLP and its caches before the measured run (not checked, not timed)."""
    thread_id = seeded["thread_ids"][0]
    latencies: list[float] = []

    def one(k: int) -> None:
        browser = Browser(port)
        token = sign_in(browser, seeded["host"], [thread_id])[thread_id]
        for n in range(k, count, 2):
            body = (CHINESE if (n // 2) % 2 == 0 else ENGLISH)[n % 5] + f"\n\nwarm{n}"  # each connection: zh, en, ...
            started = time.perf_counter()
            status, _, page = browser.request("POST", f"/t/{thread_id}/reply", {"csrf_token": token, "body": body})
            latencies.append(time.perf_counter() - started)
            if status != 302:
                sys.exit(f"warm-up reply refused ({status}): {page[:300]}")

    threads = [threading.Thread(target=one, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def run_members(port: int, seeded: dict, plan: list[list[tuple[int, str, str]]], server: Server,
                sockets: SocketServer) -> dict:
    members, thread_ids = seeded["members"], seeded["thread_ids"]
    browsers = [Browser(port) for _ in members]
    latencies: list[list[float]] = [[] for _ in members]
    posted: dict[str, tuple[int, int]] = {}  # token -> (thread id, post number) from the redirect
    failures: list[str] = []
    barrier = threading.Barrier(len(members) + 1)
    done = [0.0] * len(members)

    def member(i: int) -> None:
        tokens = None
        try:
            tokens = sign_in(browsers[i], members[i], thread_ids)
        except Exception as exc:  # noqa: BLE001 - reported and fails the run
            failures.append(f"sign-in {members[i]}: {exc}")
        barrier.wait()
        if tokens is None:
            return
        for thread_id, body, tok in plan[i]:
            started = time.perf_counter()
            try:
                status, location, page = browsers[i].request(
                    "POST", f"/t/{thread_id}/reply", {"csrf_token": tokens[thread_id], "body": body, "reply_to": ""})
            except OSError as exc:
                failures.append(f"{members[i]} on thread {thread_id}: {exc!r}")
                continue
            latencies[i].append(time.perf_counter() - started)
            found = re.search(rf"/t/{thread_id}\b[^#]*#post-(\d+)$", location or "")
            if status != 302 or not found:
                failures.append(f"{members[i]} on thread {thread_id}: {status} {location} {page[:200]}")
                continue
            posted[tok] = (thread_id, int(found.group(1)))
        done[i] = time.perf_counter()

    threads = [threading.Thread(target=member, args=(i,), daemon=True) for i in range(len(members))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started, cpu, load = time.perf_counter(), server.cpu_seconds(), os.getloadavg()[0]
    budget = cpu_budget(server, sockets)
    for thread in threads:
        thread.join()
    finished = max(done) if any(done) else time.perf_counter()
    cpu_used = server.cpu_seconds() - cpu
    time.sleep(2)  # the workers' search writers finish the last batches
    budget = {k: v - budget[k] for k, v in cpu_budget(server, sockets).items()}
    budget["threads of gunicorn workers"] = sorted(len(list(Path(f"/proc/{pid}/task").iterdir()))
                                                   for pid in _children(server.proc.pid))
    return {"seconds": finished - started, "latencies": sorted(x for per in latencies for x in per),
            "failures": failures, "posted": posted, "server_cpu_seconds": cpu_used, "budget": budget,
            "load_at_start": load, "load_at_end": os.getloadavg()[0]}


def check_sql(database_url: str, expected: dict[str, tuple[str, int]], posted: dict[str, tuple[int, int]]) -> dict:
    """expected: token -> (author username, thread id); posted: token -> (thread id, number) of the redirect."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    problems = []
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT p.id, p.number, p.body_source, p.body_html, m.username, p.thread_id, p.pending, p.deleted_at, p.is_whisper "
            "FROM posts p JOIN members m ON m.id = p.author_id WHERE m.username LIKE 'bench_replier_%%'").fetchall()
        timeline = dict(conn.execute(
            "SELECT post_id, count(*) FROM crm_timeline_events WHERE kind = 'replied' GROUP BY post_id").fetchall())
        timeline_author = dict(conn.execute(
            "SELECT e.post_id, min(m.username) FROM crm_timeline_events e JOIN members m ON m.id = e.member_id "
            "WHERE e.kind = 'replied' GROUP BY e.post_id").fetchall())
        outbox = dict(conn.execute(
            "SELECT (payload->'data'->'post'->>'id')::int, count(*) FROM crm_outbox WHERE type = 'post.created' "
            "GROUP BY 1").fetchall())
        sentiment = dict(conn.execute("SELECT post_id, count(*) FROM crm_post_sentiments GROUP BY post_id").fetchall())
    by_token = {}
    for pid, number, source, html, username, thread_id, pending, deleted, whisper in rows:
        for tok in re.findall(r"zq[a-z]{10}", source):
            by_token.setdefault(tok, []).append((pid, number, html, username, thread_id, pending, deleted, whisper))
    ids = {}
    for tok, (username, thread_id) in expected.items():
        found = by_token.get(tok, [])
        if len(found) != 1:
            problems.append(f"{tok}: {len(found)} post rows")
            continue
        pid, number, html, author, tid, pending, deleted, whisper = found[0]
        ids[tok] = pid
        if posted.get(tok) != (tid, number):
            problems.append(f"{tok}: redirected to (thread, number) {posted.get(tok)}, row is {(tid, number)}")
        if tok not in (html or "") or author != username or tid != thread_id or pending or deleted or whisper:
            problems.append(f"{tok}: post {pid} wrong (html has token {tok in (html or '')}, author {author}, "
                            f"thread {tid}, pending {pending}, deleted {deleted}, whisper {whisper})")
        if timeline.get(pid) != 1 or timeline_author.get(pid) != username:
            problems.append(f"post {pid}: {timeline.get(pid, 0)} 'replied' timeline entries (author {timeline_author.get(pid)})")
        if outbox.get(pid) != 1:
            problems.append(f"post {pid}: {outbox.get(pid, 0)} post.created outbox rows")
        if sentiment.get(pid) != 1:
            problems.append(f"post {pid}: {sentiment.get(pid, 0)} sentiment rows")
    extra = len(by_token) - len(expected)
    if extra:
        problems.append(f"{extra} reply rows nobody sent")
    return {"post_ids": ids, "rows": len(rows), "timeline": sum(timeline.get(p, 0) for p in ids.values()),
            "outbox": sum(outbox.get(p, 0) for p in ids.values()),
            "sentiment": sum(sentiment.get(p, 0) for p in ids.values()), "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--replies", type=int, default=10, help="replies per member")
    parser.add_argument("--threads", type=int, default=4, help="threads the members reply to, in turn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads-per-worker", dest="worker_threads", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=8, help="replies by the host before the run, two at a time")
    parser.add_argument("--profile", type=int, default=100, help="replies profiled in-process afterwards (0: none)")
    parser.add_argument("--ref", default="HEAD", help="git ref to benchmark, or WORKTREE")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL",
                                                              "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", default="bench_replies", help="dropped and created afresh")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, tree)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-replies-"))
    server = sockets = listener = None
    profile = None
    try:
        source = export_tree(args.ref, tmp / "src")
        shutil.copy(BENCH / "replies_app.py", source / "replies_app.py")
        shutil.copy(BENCH / "content.py", source / "content.py")  # replies_app.py signs its clients in with it
        described = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.ref if args.ref != "WORKTREE" else "HEAD"],
                                   capture_output=True, text=True)
        commit = described.stdout.strip() or "unknown"
        database_url = recreate_database(args.admin_url, args.database)
        env = app_environment(tmp, database_url, f"bench-replies-{uuid.uuid4().hex[:10]}")
        in_tree = dict(env, PYTHONPATH=str(source))
        print(f"--- migrating {args.database}; seeding {args.members} members and {args.threads} threads", flush=True)
        run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=source, env=env)
        out = run([sys.executable, "replies_app.py", "seed", "--members", str(args.members),
                   "--threads", str(args.threads)], cwd=source, env=in_tree)
        seeded = json.loads(out.stdout.strip().splitlines()[-1])
        texts = bodies(args.members * args.replies, rng)
        plan, expected = [], {}
        for i, name in enumerate(seeded["members"]):
            mine = []
            for k in range(args.replies):
                tok = token(rng)
                thread_id = seeded["thread_ids"][(i + k) % len(seeded["thread_ids"])]
                mine.append((thread_id, f"{texts[i * args.replies + k]}\n\n{tok}", tok))
                expected[tok] = (name, thread_id)
            plan.append(mine)
        gunicorn_args = argparse.Namespace(workers=args.workers, worker_class=args.worker_class,
                                           threads=args.worker_threads)
        server = Gunicorn(source, in_tree, gunicorn_args, tmp / "gunicorn.log")
        sockets = SocketServer(source, env, tmp / "socket-server.log")
        server.wait_ready()
        sockets.wait_ready()
        listener = Listener(sockets.url, seeded["thread_ids"])
        cold = warm_up(server.port, seeded, args.warmup) if args.warmup else []
        print(f"--- {args.members} members signing in, then {args.replies} replies each at once "
              f"(gunicorn {args.workers} {args.worker_class} workers)", flush=True)
        outcome = run_members(server.port, seeded, plan, server, sockets)
        print("--- checking rows, timeline, outbox, sentiment, search index, live events", flush=True)
        checked = check_sql(database_url, expected, outcome["posted"])
        tokens_file = tmp / "tokens.json"
        tokens_file.write_text(json.dumps(checked["post_ids"]))
        out = run([sys.executable, "replies_app.py", "search", "--tokens", str(tokens_file)], cwd=source, env=in_tree)
        searched = json.loads(out.stdout.strip().splitlines()[-1])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(listener.events.get(p, 0) < 1 for p in checked["post_ids"].values()):
            time.sleep(0.2)
        time.sleep(1)  # a duplicate would arrive now
        live = {p: listener.events.get(p, 0) for p in checked["post_ids"].values()}
        live_problems = [f"post {p}: {n} live events" for p, n in live.items() if n != 1]
        server.stop()
        server = None
        if args.profile:
            print(f"--- profiling {args.profile} replies in-process (cProfile)", flush=True)
            bodies_file = tmp / "bodies.json"
            bodies_file.write_text(json.dumps(bodies(200, random.Random(args.seed + 1)), ensure_ascii=False))
            out = run([sys.executable, "replies_app.py", "profile", "--replies", str(args.profile),
                       "--bodies", str(bodies_file)], cwd=source, env=in_tree)
            profile = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if listener is not None:
            listener.close()
        for proc in (server, sockets):
            if proc is not None:
                proc.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    lat = outcome["latencies"]
    n = len(lat)
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "ref": args.ref, "commit": commit,
        "members": args.members, "replies_per_member": args.replies, "threads": args.threads,
        "server": {"workers": args.workers, "worker_class": args.worker_class,
                   "threads": args.worker_threads if args.worker_class == "gthread" else 1}, "database": "postgresql",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_1min_at_start": outcome["load_at_start"], "load_1min_at_end": outcome["load_at_end"]},
        "replies_answered": n, "seconds": round(outcome["seconds"], 3),
        "replies_per_second": round(n / outcome["seconds"], 1) if outcome["seconds"] else None,
        "latency_ms": {"p50": round(percentile(lat, 50) * 1000, 1), "p95": round(percentile(lat, 95) * 1000, 1),
                       "p99": round(percentile(lat, 99) * 1000, 1),
                       "mean": round(statistics.fmean(lat) * 1000, 1) if lat else None},
        "cpu_ms_per_reply_by_process": {k: (round(v * 1000 / n, 1) if isinstance(v, float) else v)
                                        for k, v in outcome["budget"].items()} if n else None,
        "warmup_latency_ms": [round(x * 1000, 1) for x in cold],
        "server_cpu_ms_per_reply": round(outcome["server_cpu_seconds"] * 1000 / n, 1) if n else None,
        "check": {k: v for k, v in checked.items() if k != "post_ids"}, "search": searched,
        "live_events": sum(live.values()), "live_problems": live_problems[:20],
        "failures": outcome["failures"][:20], "failure_count": len(outcome["failures"]), "profile": profile,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"replies-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    expected_n = args.members * args.replies
    problems = outcome["failures"][:10] + checked["problems"][:10] + live_problems[:10]
    if searched["missing_count"]:
        problems.append(f"{searched['missing_count']} replies not found in the search index: {searched['missing'][:3]}")
    if n != expected_n:
        problems.append(f"{n} replies answered, {expected_n} sent")
    print(f"{n} replies in {outcome['seconds']:.2f}s: {result['replies_per_second']} replies/s; latency p50 "
          f"{result['latency_ms']['p50']} ms, p95 {result['latency_ms']['p95']} ms, p99 {result['latency_ms']['p99']} ms; "
          f"gunicorn CPU {result['server_cpu_ms_per_reply']} ms/reply; load {outcome['load_at_start']:.1f} -> "
          f"{outcome['load_at_end']:.1f} on {os.cpu_count()} CPUs")
    print("CPU ms per reply during the run (+2 s after it), by process: " + ", ".join(
        f"{k} {v}" for k, v in (result["cpu_ms_per_reply_by_process"] or {}).items()))
    print(f"warm-up replies before the run (ms): {result['warmup_latency_ms']}")
    print(f"checked: {checked['rows']} rows, {checked['timeline']} timeline, {checked['outbox']} outbox, "
          f"{checked['sentiment']} sentiment, {searched['found']} in the index, {result['live_events']} live events "
          f"(expected {expected_n} each)")
    if profile:
        print(f"CPU per reply in one process, {profile['replies']} replies through forum.services.reply + commit, "
              "without a profiler (CPU of the calling thread; outermost calls of each wrapped function):")
        for label, ms in profile["timed_cpu_ms_per_reply"].items():
            print(f"    {label:50s} {ms:8.2f} ms")
        print("  the same as whole requests through the Flask test client (session, CSRF, form, service, commit, redirect):")
        for label, ms in profile["timed_cpu_ms_per_request"].items():
            print(f"    {label:50s} {ms:8.2f} ms")
        print(f"  p95 {profile['unprofiled_cpu_ms_p95']} ms; each part alone over the bodies: {profile['parts_alone_cpu_ms']}; "
              f"sentiment scoring alone by language: {profile['sentiment_scoring_cpu_ms']}")
        print(f"under cProfile (its overhead inflates call-heavy code such as SnowNLP's), {profile['replies']} replies, "
              f"wall {profile['wall_ms_per_reply_profiled']} ms, by language {profile['wall_ms_per_reply_by_language']}:")
        for label, ms in profile["ms_per_reply"].items():
            print(f"    {label:50s} {ms:8.2f} ms")
        print("  signal subscribers under cProfile, ms per reply:")
        for ms, name in profile["subscribers_ms_per_reply"]:
            print(f"    {ms:8.2f}  {name}")
        for row in profile["top"][:25]:
            print(f"    {row[0]:8.2f} cum {row[1]:7.2f} own {row[2]:6d}  {row[3]}")
    for line in problems:
        print("PROBLEM:", line)
    print(("OK" if not problems else "FAILED") + f"; written to {path.relative_to(ROOT)}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
