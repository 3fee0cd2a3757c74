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
"""
from __future__ import annotations

import argparse
import datetime as dt
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
import urllib.request
from importlib.metadata import version
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
TARGET_RATIO = 0.50
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


def prepare_database(source: Path, env: dict, posts: int) -> dict:
    run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=source, env=env)
    seed_env = dict(env, PYTHONPATH=os.pathsep.join([str(source), str(BENCH)]))
    out = run([sys.executable, str(BENCH / "seed_thread.py"), "--posts", str(posts)], cwd=source, env=seed_env)
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
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--worker-class", args.worker_class,
               "--bind", f"127.0.0.1:{self.port}", "--chdir", str(chdir), "--log-level", "warning",
               "--error-logfile", str(self.log), "--graceful-timeout", "5"]
        if args.worker_class == "gthread":
            cmd += ["--threads", str(args.threads)]
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


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def check_page(name: str, url: str, posts: int) -> int:
    """Fail unless `url` answers 200 and shows every post (anchor and text); return its size in bytes."""
    status, html = fetch(url)
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


def wrk(url: str, args, duration: float, server: Server | None = None) -> tuple[str, dict]:
    """Run wrk against `url`; with `server`, also account where the CPU time went during the run.

    cpu_ms_per_request (the server's own CPU time per request) hardly depends on what else runs on
    the machine, unlike requests/s; other_cpu_s says how much CPU other processes took meanwhile.
    """
    cmd = ["wrk", "--threads", str(args.wrk_threads), "--connections", str(args.connections),
           "--duration", f"{duration:g}s", "--timeout", "10s", "--latency", url]
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


def summarise(runs: list[dict], duration: float) -> dict:
    out = {}
    for name in ("thread", "ceiling"):
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
    out["ratio"] = out["thread"]["rps_median"] / out["ceiling"]["rps_median"]
    # The same comparison from server CPU time per request: steadier when other work shares the machine.
    out["cpu_ratio"] = out["ceiling"]["cpu_ms_per_request_median"] / out["thread"]["cpu_ms_per_request_median"]
    return out


def print_table(summary: dict, sizes: dict, settings: dict) -> None:
    print()
    print(f"workers: {settings['workers']} x {settings['worker_class']}"
          + (f" ({settings['threads']} thread(s) each)" if settings["worker_class"] == "gthread" else "")
          + f"; wrk -t{settings['wrk_threads']} -c{settings['connections']} -d{settings['duration']:g}s"
          f" x {settings['rounds']} round(s) each, ABBA order")
    print(f"{'page':<10} {'bytes':>8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11} {'errors':>7}"
          f" {'other load':>11}   runs req/s")
    for name in ("thread", "ceiling"):
        row = summary[name]
        errors = row["non_2xx"] + row["socket_errors"]
        print(f"{name:<10} {sizes[name]:>8} {row['rps_median']:>9.1f} {row['p50_ms_median']:>8.1f} "
              f"{row['p99_ms_median']:>8.1f} {row['cpu_ms_per_request_median']:>11.2f} {errors:>7} "
              f"{row['other_load_cores_max']:>11.2f}   " + ", ".join(f"{v:.1f}" for v in row["rps_runs"]))
    verdict = "meets" if summary["ratio"] >= TARGET_RATIO else "BELOW"
    print(f"ratio thread/ceiling (median req/s): {summary['ratio'] * 100:.1f} %  ({verdict} the "
          f"{TARGET_RATIO * 100:.0f} % target)")
    print(f"ratio by server CPU per request (ceiling/thread): {summary['cpu_ratio'] * 100:.1f} %")
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
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--posts", type=int, default=50, help="posts in the thread (all shown on one page)")
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
        seeded = prepare_database(source, env, args.posts)
        path = f"/t/{seeded['thread_id']}"

        app = Server("thread", "wsgi:app", source, env, args, tmp)
        ceiling = Server("ceiling", "ceiling_app:app", BENCH, dict(env, PYTHONPATH=str(BENCH)), args, tmp)
        servers += [app, ceiling]
        app.wait_ready(path)
        ceiling.wait_ready(path)
        sizes = {"thread": check_page("thread", app.base + path, args.posts),
                 "ceiling": check_page("ceiling", ceiling.base + path, args.posts)}
        if abs(sizes["ceiling"] / sizes["thread"] - 1) > SIZE_TOLERANCE:
            sys.exit(f"the ceiling page ({sizes['ceiling']} bytes) is not within {SIZE_TOLERANCE:.0%} of the thread "
                     f"page ({sizes['thread']} bytes); adjust bench/ceiling_templates so the comparison is fair.")
        print(f"checked: thread page 200 with all {args.posts} posts ({sizes['thread']} bytes); "
              f"ceiling {sizes['ceiling']} bytes", flush=True)

        urls = {"thread": app.base + path, "ceiling": ceiling.base + path}
        servers_by_name = {"thread": app, "ceiling": ceiling}
        if args.warmup > 0:
            for name in ("thread", "ceiling"):
                print(f"warm-up {name} {args.warmup:g}s", flush=True)
                wrk(urls[name], args, args.warmup)

        runs = []
        for round_no in range(args.rounds):
            order = ("thread", "ceiling") if round_no % 2 == 0 else ("ceiling", "thread")
            for name in order:
                raw, parsed = wrk(urls[name], args, args.duration, servers_by_name[name])
                runs.append({"round": round_no + 1, "target": name, "parsed": parsed, "raw": raw})
                print(f"round {round_no + 1} {name:<8} {parsed['rps']:>8.1f} req/s  p50 {parsed['p50_ms']:.1f} ms"
                      f"  p99 {parsed['p99_ms']:.1f} ms  server CPU {parsed['cpu_ms_per_request']:.2f} ms/req"
                      f"  other load {parsed['other_cpu_s'] / args.duration:.2f} cores"
                      + (f"  NON-2xx {parsed['non_2xx']}" if parsed["non_2xx"] else ""), flush=True)

        # The page must still be right after the load (no error pages served half-way through).
        check_page("thread", urls["thread"], args.posts)
        summary = summarise(runs, args.duration)
        settings = {key: getattr(args, key) for key in ("duration", "warmup", "rounds", "connections", "wrk_threads",
                                                        "workers", "worker_class", "threads", "posts")}
        settings["database"] = "SQLite (WAL) in a temp dir"
        settings["ratelimit_enabled"] = False
        record = {"benchmark": "thread_page", "started": started.isoformat(timespec="seconds"),
                  "machine": machine(), "versions": versions(), "code": code_state(args.ref),
                  "settings": settings, "gunicorn_cmd": {s.name: s.cmd for s in servers},
                  "html_bytes": sizes, "summary": summary, "target_ratio": TARGET_RATIO, "runs": runs}
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
