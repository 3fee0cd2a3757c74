"""Benchmark the thread page (50 posts) under gunicorn against a plain Flask+Jinja "ceiling" page.

    .venv/bin/python bench/thread_page.py                 # the defaults below, about 2 minutes
    .venv/bin/python bench/thread_page.py --duration 5 --rounds 1   # a quick look

Steps: a fresh SQLite database in a temp dir, migrated with `flask --app wsgi db upgrade`; one board,
the bench members and a thread of --posts posts created through the real services (seed_thread.py);
`wsgi:app` and `ceiling_app:app` served by gunicorn with the same worker settings on 127.0.0.1;
a check that the thread page answers 200 with every post and that the ceiling page is the same size
(+-20 %); a warm-up; then wrk runs, alternating the two targets (ABBA order) so drift and noise hit
both alike. Raw wrk output and parsed figures go to bench/results/thread_page-<time>.json.
Target: thread page requests/s >= 50 % of the ceiling's.

Issue 18, a signed-in reader: `--reader member` (or `--reader both`, guest and member in the same run)
seeds content.READER's state too (follows the thread, votes, reactions, bookmarks, notifications;
seed_thread.py --reader), signs that member in through the real login form (CSRF token from the page)
and gives wrk the resulting session cookie (`-H "Cookie: ..."`). The member's ceiling is the ceiling
app's `/member/t/<id>`: the same page behind a signed Flask session cookie. Target for the member:
requests/s >= 40 % of the guest ceiling's (issue 18; next bar 80 %).

    .venv/bin/python bench/thread_page.py --reader both --worker-class sync --connections 16
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import http.cookies
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from importlib.metadata import version
from pathlib import Path

import content

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
TARGET_RATIO = 0.50
MEMBER_TARGET_RATIO = 0.40  # issue 18: the signed-in thread page against the same-size signed-in ceiling (ceiling-member: the member page's size, behind a session cookie)
USER_AGENT = "bench-thread-page"  # sent at sign-in and by wrk, so Flask-Login's session protection agrees
SIZE_TOLERANCE = 0.20


# ---- preparing -----------------------------------------------------------------------------

def export_ref(ref: str, dest: Path) -> Path:
    """Write the tree of git `ref` into dest (read-only use of the repository; no checkout)."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def app_environment(tmp: Path, posts: int) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("COMMUNITY_") and key not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "FLASK_APP")}
    env.update({
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "COMMUNITY_INSTANCE_PATH": str(tmp / "instance"),
        "SECRET_KEY": "bench-secret-not-for-production",
        "RATELIMIT_ENABLED": "false",
        # Show the whole thread on one page, so the page carries all the posts being measured.
        "COMMUNITY_POSTS_PER_PAGE": str(posts),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}\n{result.stdout}\n{result.stderr}")
    return result


def prepare_database(source: Path, env: dict, posts: int, reader: bool = False) -> dict:
    run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=source, env=env)
    seed_env = dict(env, PYTHONPATH=os.pathsep.join([str(source), str(BENCH)]))
    out = run([sys.executable, str(BENCH / "seed_thread.py"), "--posts", str(posts), *(["--reader"] if reader else [])],
              cwd=source, env=seed_env)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- serving -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn process serving `app_spec` from `chdir`, stopped on exit."""

    def __init__(self, name, app_spec, chdir: Path, env: dict, args, log_dir: Path):
        self.name, self.port = name, free_port()
        self.log = log_dir / f"gunicorn-{name}.log"
        # gunicorn reads the tree's gunicorn.conf.py (threads = 100), and a "sync" worker with more than one
        # thread silently becomes gthread: say the threads every time, 1 for sync.
        threads = args.threads if args.worker_class == "gthread" else 1
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--worker-class", args.worker_class,
               "--threads", str(threads), "--bind", f"127.0.0.1:{self.port}", "--chdir", str(chdir),
               "--log-level", "warning", "--error-logfile", str(self.log), "--graceful-timeout", "5"]
        cmd.append(app_spec)
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"gunicorn ({self.name}) exited with {self.proc.returncode}; see {self.log}:\n"
                         + self.log.read_text(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(self.base + path, timeout=5):
                    return
            except urllib.error.HTTPError:
                return  # it answers; the content check below says whether the answer is right
            except OSError:
                time.sleep(0.2)
        sys.exit(f"gunicorn ({self.name}) did not answer within {timeout:.0f}s; see {self.log}")

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) used so far by the gunicorn master and its workers."""
        return sum(_proc_cpu(pid) for pid in [self.proc.pid, *_children(self.proc.pid)])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2:].split()  # the fields after "(comm)", which may contain spaces


def _proc_cpu(pid: int) -> float:
    try:
        fields = _stat_fields(pid)
    except (OSError, ValueError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == parent:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                pass
    return found


def system_busy_seconds() -> float:
    """Return the CPU time all processes on the machine have used since boot (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / _TICK


def fetch(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


class Browser:
    """Cookies and requests as a browser keeps them (no redirects followed), for signing in."""

    def __init__(self, base: str):
        self.base, self.cookies = base, http.cookies.SimpleCookie()

    def header(self) -> str:
        return "; ".join(f"{key}={morsel.value}" for key, morsel in self.cookies.items())

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, list[str]]:
        parts = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"User-Agent": USER_AGENT}
        if self.cookies:
            headers["Cookie"] = self.header()
        body = urllib.parse.urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read().decode("utf-8", "replace")
            set_cookies = response.msg.get_all("Set-Cookie") or []
        finally:
            conn.close()
        for line in set_cookies:
            self.cookies.load(line)
        return response.status, data, set_cookies


def sign_in(base: str, username: str, password: str, path: str) -> str:
    """Sign `username` in through the login form and return the Cookie header a browser would now send.

    The thread page is read twice after signing in: the first read may add to the session (its CSRF
    token), so the cookie taken is the one a browser holds from then on; the second must set no cookie,
    or every wrk request would be a first visit."""
    browser = Browser(base)
    status, page, _ = browser.request("GET", "/login")
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or not match:
        sys.exit(f"no login form with a CSRF token at {base}/login ({status})")
    status, page, _ = browser.request("POST", "/login", {"csrf_token": match.group(1), "login": username,
                                                         "password": password})
    if status != 302:
        sys.exit(f"{username} could not sign in ({status}): {page[:500]}")
    browser.request("GET", path)
    status, page, set_cookies = browser.request("GET", path)
    if status != 200 or f"/u/{username}" not in page or 'class="vote-up' not in page:
        sys.exit(f"signed in as {username}, but {path} ({status}) does not look like their page")
    if set_cookies:
        print(f"note: the signed-in thread page still sets cookies on a repeat visit: {set_cookies}", flush=True)
    return browser.header()


def check_page(name: str, url: str, posts: int, headers: dict | None = None) -> int:
    """Fail unless `url` answers 200 and shows every post (anchor and text); return its size in bytes."""
    status, html = fetch(url, headers)
    if status != 200:
        sys.exit(f"{name}: {url} answered {status}, not 200; refusing to benchmark an error page.\n{html[:2000]}")
    missing = [n for n in range(1, posts + 1) if f'id="post-{n}"' not in html or f"Post {n}:" not in html]
    if missing:
        sys.exit(f"{name}: {url} lacks {len(missing)} of {posts} posts (first missing: #{missing[0]}); "
                 "refusing to benchmark an incomplete page.")
    return len(html.encode("utf-8"))


# ---- measuring -----------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unexpected wrk time {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict:
    """Pick requests/s, latency percentiles and error counts out of `wrk --latency` output."""
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
              "requests": int(re.search(r"(\d+) requests in", output).group(1))}
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M)
        result[f"p{pct}_ms"] = _ms(match.group(1)) if match else None
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)) \
        if errors else {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    return result


def wrk(url: str, args, duration: float, server: Server | None = None,
        headers: dict | None = None) -> tuple[str, dict]:
    """Run wrk against `url`; with `server`, also account where the CPU time went during the run.

    cpu_ms_per_request (the server's own CPU time per request) hardly depends on what else runs on
    the machine, unlike requests/s; other_cpu_s says how much CPU other processes took meanwhile.
    """
    cmd = ["wrk", "--threads", str(args.wrk_threads), "--connections", str(args.connections),
           "--duration", f"{duration:g}s", "--timeout", "10s", "--latency"]
    for key, value in {"User-Agent": USER_AGENT, **(headers or {})}.items():
        cmd += ["--header", f"{key}: {value}"]
    cmd.append(url)
    load_before = os.getloadavg()[0]
    busy0, server0 = system_busy_seconds(), server.cpu_seconds() if server else 0.0
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = run(cmd).stdout
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, server1 = system_busy_seconds(), server.cpu_seconds() if server else 0.0
    parsed = parse_wrk(output)
    if server:
        wrk_cpu = (children1.ru_utime - children0.ru_utime) + (children1.ru_stime - children0.ru_stime)
        parsed.update({
            "server_cpu_s": round(server1 - server0, 3),
            "cpu_ms_per_request": round((server1 - server0) * 1000 / max(parsed["requests"], 1), 3),
            "wrk_cpu_s": round(wrk_cpu, 3),
            "other_cpu_s": round(max(0.0, (busy1 - busy0) - (server1 - server0) - wrk_cpu), 3),
            "loadavg_1m_before": load_before,
        })
    return output, parsed


# ---- reporting -----------------------------------------------------------------------------

def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return {"cores": os.cpu_count(), "cpu": model, "memory": memory, "kernel": platform.release(),
            "python": platform.python_version()}


def versions() -> dict:
    found = {}
    for name in ("gunicorn", "flask", "jinja2", "sqlalchemy", "werkzeug"):
        try:
            found[name] = version(name)
        except Exception:
            found[name] = None
    found["wrk"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[0:1]
    return found


def code_state(ref: str | None) -> dict:
    def git(*argv):
        return subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True).stdout.strip()

    state = {"commit": git("rev-parse", ref or "HEAD"), "source": f"git archive {ref}" if ref else "working tree"}
    if not ref:
        state["uncommitted_files"] = len([line for line in git("status", "--porcelain").splitlines() if line])
    return state


def summarise(runs: list[dict], duration: float, names: list[str]) -> dict:
    out = {}
    for name in names:
        mine = [r["parsed"] for r in runs if r["target"] == name]
        out[name] = {
            "rps_median": statistics.median(r["rps"] for r in mine),
            "rps_runs": [r["rps"] for r in mine],
            "p50_ms_median": statistics.median(r["p50_ms"] for r in mine),
            "p99_ms_median": statistics.median(r["p99_ms"] for r in mine),
            "cpu_ms_per_request_median": statistics.median(r["cpu_ms_per_request"] for r in mine),
            "other_load_cores_max": max(r["other_cpu_s"] for r in mine) / duration,
            "non_2xx": sum(r["non_2xx"] for r in mine),
            "socket_errors": sum(sum(r["socket_errors"].values()) for r in mine),
        }
    # The same comparison from server CPU time per request too: steadier when other work shares the machine.
    out["ratios"] = {}
    for thread, ceiling in (("thread", "ceiling"), ("thread-member", "ceiling"), ("thread-member", "ceiling-member")):
        if thread in out and ceiling in out:
            out["ratios"][f"{thread}/{ceiling}"] = {
                "rps": out[thread]["rps_median"] / out[ceiling]["rps_median"],
                "cpu": out[ceiling]["cpu_ms_per_request_median"] / out[thread]["cpu_ms_per_request_median"]}
    if "thread/ceiling" in out["ratios"]:  # the keys of earlier records
        out["ratio"], out["cpu_ratio"] = out["ratios"]["thread/ceiling"]["rps"], out["ratios"]["thread/ceiling"]["cpu"]
    return out


def print_table(summary: dict, sizes: dict, settings: dict) -> None:
    print()
    print(f"workers: {settings['workers']} x {settings['worker_class']}"
          + f" ({settings['threads'] if settings['worker_class'] == 'gthread' else 1} thread(s) each, passed as --threads)"
          + f"; wrk -t{settings['wrk_threads']} -c{settings['connections']} -d{settings['duration']:g}s"
          f" x {settings['rounds']} round(s) each, ABBA order")
    print(f"{'page':<15} {'bytes':>8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11} {'errors':>7}"
          f" {'other load':>11}   runs req/s")
    for name in sizes:
        row = summary[name]
        errors = row["non_2xx"] + row["socket_errors"]
        print(f"{name:<15} {sizes[name]:>8} {row['rps_median']:>9.1f} {row['p50_ms_median']:>8.1f} "
              f"{row['p99_ms_median']:>8.1f} {row['cpu_ms_per_request_median']:>11.2f} {errors:>7} "
              f"{row['other_load_cores_max']:>11.2f}   " + ", ".join(f"{v:.1f}" for v in row["rps_runs"]))
    for key, ratio in summary["ratios"].items():
        target = {"thread/ceiling": TARGET_RATIO, "thread-member/ceiling-member": MEMBER_TARGET_RATIO}.get(key)
        verdict = "" if target is None else \
            f"  ({'meets' if ratio['rps'] >= target else 'BELOW'} the {target * 100:.0f} % target)"
        print(f"ratio {key}: {ratio['rps'] * 100:.1f} % by median req/s{verdict}; "
              f"{ratio['cpu'] * 100:.1f} % by server CPU per request")
    print("(other load: the most CPU, in cores, that other processes used during one run; above ~0.2 the "
          "req/s figures are disturbed)")


# ---- main ----------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--duration", type=float, default=15, help="seconds per measured wrk run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured wrk load per target first")
    parser.add_argument("--rounds", type=int, default=2,
                        help="measured runs per target; targets alternate A B, B A, ...")
    parser.add_argument("--connections", type=int, default=20, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (each server)")
    parser.add_argument("--worker-class", choices=("gthread", "sync"), default="gthread",
                        help="gunicorn worker class (gthread keeps connections alive; sync closes each one)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per gthread worker (sync is always 1: passed explicitly, since gunicorn.conf.py "
                             "says 100 and a sync worker with threads > 1 becomes gthread)")
    parser.add_argument("--posts", type=int, default=50, help="posts in the thread (all shown on one page)")
    parser.add_argument("--reader", choices=("guest", "member", "both"), default="guest",
                        help="who reads: a guest (no cookie), the signed-in member of issue 18, or both in one run")
    parser.add_argument("--ref", help="benchmark this git ref (exported with git archive) instead of the working tree")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, logs) and print its path")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get update && apt-get install -y wrk")
    started = dt.datetime.now().astimezone()
    tmp = Path(tempfile.mkdtemp(prefix="bench-thread-page-"))
    servers: list[Server] = []
    try:
        source = export_ref(args.ref, tmp / "src") if args.ref else ROOT
        env = app_environment(tmp, args.posts)
        print(f"preparing database in {tmp} ...", flush=True)
        members = args.reader in ("member", "both")
        seeded = prepare_database(source, env, args.posts, reader=members)
        path = f"/t/{seeded['thread_id']}"

        app = Server("thread", "wsgi:app", source, env, args, tmp)
        ceiling = Server("ceiling", "ceiling_app:app", BENCH, dict(env, PYTHONPATH=str(BENCH)), args, tmp)
        servers += [app, ceiling]
        app.wait_ready(path)
        ceiling.wait_ready(path)
        # name: (server, url, extra request headers)
        targets = {"thread": (app, app.base + path, {}), "ceiling": (ceiling, ceiling.base + path, {})}
        if members:
            cookie = sign_in(app.base, seeded["reader"], content.PASSWORD, path)
            ceiling_cookie = Browser(ceiling.base)
            ceiling_cookie.request("GET", "/member/sign-in")
            targets["thread-member"] = (app, app.base + path, {"Cookie": cookie})
            targets["ceiling-member"] = (ceiling, ceiling.base + "/member" + path, {"Cookie": ceiling_cookie.header()})
            if args.reader == "member":
                del targets["thread"]
        sizes = {name: check_page(name, url, args.posts, headers) for name, (_, url, headers) in targets.items()}
        for name in sizes:
            ceiling_name = "ceiling-member" if name == "thread-member" else "ceiling"
            if name.startswith("thread") and abs(sizes[ceiling_name] / sizes[name] - 1) > SIZE_TOLERANCE:
                message = (f"the {ceiling_name} page ({sizes[ceiling_name]} bytes) is not within {SIZE_TOLERANCE:.0%} "
                           f"of the {name} page ({sizes[name]} bytes)")
                if name == "thread":
                    sys.exit(message + "; adjust bench/ceiling_templates so the comparison is fair.")
                print(f"note: {message} (the member's page carries their buttons and forms)", flush=True)
        print("checked: " + "; ".join(f"{name} 200 with all {args.posts} posts ({size} bytes)"
                                      for name, size in sizes.items()), flush=True)

        names = list(targets)
        if args.warmup > 0:
            for name in names:
                print(f"warm-up {name} {args.warmup:g}s", flush=True)
                wrk(targets[name][1], args, args.warmup, headers=targets[name][2])

        runs = []
        for round_no in range(args.rounds):
            order = names if round_no % 2 == 0 else names[::-1]
            for name in order:
                server, url, headers = targets[name]
                raw, parsed = wrk(url, args, args.duration, server, headers)
                runs.append({"round": round_no + 1, "target": name, "parsed": parsed, "raw": raw})
                print(f"round {round_no + 1} {name:<14} {parsed['rps']:>8.1f} req/s  p50 {parsed['p50_ms']:.1f} ms"
                      f"  p99 {parsed['p99_ms']:.1f} ms  server CPU {parsed['cpu_ms_per_request']:.2f} ms/req"
                      f"  other load {parsed['other_cpu_s'] / args.duration:.2f} cores"
                      + (f"  NON-2xx {parsed['non_2xx']}" if parsed["non_2xx"] else ""), flush=True)

        # The page must still be right after the load (no error pages served half-way through).
        for name in names:
            if name.startswith("thread"):
                check_page(name, targets[name][1], args.posts, targets[name][2])
        summary = summarise(runs, args.duration, names)
        settings = {key: getattr(args, key) for key in ("duration", "warmup", "rounds", "connections", "wrk_threads",
                                                        "workers", "worker_class", "threads", "posts", "reader")}
        settings["database"] = "SQLite (WAL) in a temp dir"
        settings["ratelimit_enabled"] = False
        record = {"benchmark": "thread_page", "started": started.isoformat(timespec="seconds"),
                  "machine": machine(), "versions": versions(), "code": code_state(args.ref),
                  "settings": settings, "gunicorn_cmd": {s.name: s.cmd for s in servers},
                  "html_bytes": sizes, "summary": summary, "target_ratio": TARGET_RATIO,
                  "member_target_ratio": MEMBER_TARGET_RATIO, "seeded": seeded, "runs": runs}
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"thread_page-{started.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(record, indent=2))
        print_table(summary, sizes, settings)
        print(f"raw results: {out.relative_to(ROOT)}")
        return 0
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
