"""The in-tree half of replies.py: seeding, the search-index check and the CPU breakdown.

Run by replies.py inside the exported tree (working directory and PYTHONPATH the tree, DATABASE_URL
and the COMMUNITY_* settings of the served app), so the application imported here is the one being
measured. Each subcommand prints one JSON line.

    seed --members 20 --threads 4        board, threads (by a staff member), members; the index built
    search --tokens FILE                 waits until every token is in the Whoosh index: post ids found
    profile --replies K --bodies FILE    K replies through forum.services.reply + commit under cProfile
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import statistics
import sys
import threading
import time

import bleach.sanitizer
import blinker
import markdown_it
from content import signed_in_client
from sqlalchemy import select
from whoosh.query import Term

import crm_bridge.moods
from application import create_app
from community import settings, text
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Board, BoardKind, Thread, Visibility
from community.members.models import Member, Role
from community.members.services import register_member
from community.search.backends.whoosh import service
from crm_bridge.sentiment import analyse, is_chinese, read_html

PASSWORD = "bench-replier-password-1"
TOPICS = [("How do you keep a long-running migration safe?", "Share what worked for you, and what did not."),
          ("周末的线下聚会安排在哪里比较好？", "大家说说自己的想法，交通、场地和时间都可以讨论。"),
          ("Dark mode contrast on the new theme", "Is the text readable for everyone? Screenshots welcome."),
          ("新版本的搜索功能体验如何？", "用了一周，欢迎反馈好的和不好的地方。")]


def seed(members: int, threads: int) -> dict:
    app = create_app()
    with app.app_context():
        board = Board(slug="bench", name="Bench", kind=BoardKind.discussion, visibility=Visibility.public)
        db.session.add(board)
        db.session.flush()
        host = register_member("bench_host", "bench_host@example.com", PASSWORD, role=Role.staff)
        # the staff host signs in with a password alone (no authenticator app in a bench)
        settings.save({"twofactor.required_for_staff": False})
        ids = []
        for n in range(threads):
            title, body = TOPICS[n % len(TOPICS)]
            ids.append(forum.start_thread(host, board, title if n < len(TOPICS) else f"{title} ({n})", body).id)
        names = [f"bench_replier_{n:02d}" for n in range(members)]
        for name in names:
            register_member(name, f"{name}@example.com", PASSWORD)
        db.session.commit()
        search = service()
        try:
            search.index()
        except Exception:  # noqa: BLE001 - a fresh folder: the writer thread rebuilds it
            pass
        search.wait(120)
        return {"thread_ids": ids, "members": names, "host": "bench_host"}


def search_check(tokens_file: str, timeout: float) -> dict:
    """Find each token's posts in the index, waiting (the servers' writer threads) until all are there."""
    wanted = json.loads(open(tokens_file).read())  # {token: post_id}
    app = create_app()
    with app.app_context():
        search = service()
        deadline = time.monotonic() + timeout
        while True:
            found, missing = {}, []
            ix = search.index()
            field = ix.schema["body"]
            with ix.searcher() as searcher:
                for token, post_id in wanted.items():
                    terms = [t for t in field.process_text(token, mode="query")]
                    hits = {hit["post_id"] for t in terms for hit in searcher.search(Term("body", t), limit=None)}
                    if str(post_id) in hits and len(hits) == 1:
                        found[token] = post_id
                    else:
                        missing.append([token, post_id, sorted(hits)[:3]])
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(1)
            search._ix = None  # reopen: other processes' writers committed segments
        return {"found": len(found), "missing": missing[:10], "missing_count": len(missing),
                "waited_seconds": round(timeout - max(0.0, deadline - time.monotonic()), 1)}


# the parts of a reply's CPU, each the cumulative time of these functions (file suffix, function name)
PARTS = {
    "render (markdown-it)": [("markdown_it/main.py", "render")],
    "sanitize (bleach)": [("bleach/sanitizer.py", "clean")],
    "sentiment (linear model)": [("crm_bridge/sentiment.py", "read_html")],
    "signal subscribers (all, incl. sentiment)": [("blinker/base.py", "send")],
    "commit": [("sqlalchemy/orm/scoping.py", "commit"), ("sqlalchemy/orm/session.py", "commit")],
    "after-commit hooks (search queue, live events)": [("community/aftercommit.py", "_run")],
    "reply service (all)": [("community/forum/services.py", "reply")],
}


class Timers:
    """CPU time (this thread) spent in a few library and app functions, wrapped while `on()`; only the
    outermost call of each counts (a signal sent inside a receiver is in its caller's time)."""

    def __init__(self):
        self.totals: dict[str, float] = {}
        self.targets = [(markdown_it.MarkdownIt, "render", "render (markdown-it)"),
                        (bleach.sanitizer.Cleaner, "clean", "bleach (sanitize + plain text for excerpts)"),
                        (crm_bridge.moods, "read_html", "sentiment (linear model)"),
                        (blinker.base.Signal, "send", "signal subscribers (incl. sentiment, excerpts)")]
        self.depth: dict[str, int] = {}

    def add(self, label: str, seconds: float) -> None:
        self.totals[label] = self.totals.get(label, 0.0) + seconds

    def _wrap(self, original, label):
        def timed(*args, **kwargs):
            depth = self.depth.get(label, 0)
            self.depth[label] = depth + 1
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.depth[label] = depth
                if depth == 0:
                    self.add(label, time.thread_time() - started)
        return timed

    def on(self):
        @contextlib.contextmanager
        def patched():
            saved = [(owner, name, owner.__dict__[name]) for owner, name, _label in self.targets]
            for owner, name, label in self.targets:
                setattr(owner, name, self._wrap(getattr(owner, name), label))
            try:
                yield
            finally:
                for owner, name, original in saved:
                    setattr(owner, name, original)
        return patched()


def _writer_cpu() -> float:
    """CPU seconds (user + system) of this process's search writer thread, from /proc."""
    for thread in threading.enumerate():
        if thread.name.startswith("search-writer") and thread.native_id:
            fields = open(f"/proc/self/task/{thread.native_id}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def profile(replies: int, bodies_file: str, top: int) -> dict:
    bodies = json.loads(open(bodies_file).read())
    app = create_app()
    with app.app_context():
        names = dict(db.session.execute(select(Member.id, Member.username).where(Member.username.like("bench_replier_%"))).all())
        member_ids = list(names)
        thread_ids = list(db.session.scalars(select(Thread.id).order_by(Thread.id)))
        for warm in ("Warm-up reply: imports and caches.", "热身回复：加载模型和缓存。"):
            forum.reply(db.session.get(Member, member_ids[0]), db.session.get(Thread, thread_ids[0]), warm)
            db.session.commit()
        service().wait(60)
        timers = Timers()
        unprofiled = []
        writer_before = _writer_cpu()
        for k in range(replies):  # the same work without the profiler: CPU of this thread, parts timed by wrappers
            body = bodies[k % len(bodies)] + f"\n\nplain{k:04d}x{int(time.time()) % 100000}"
            db.session.remove()
            member = db.session.get(Member, member_ids[k % len(member_ids)])
            thread = db.session.get(Thread, thread_ids[k % len(thread_ids)])
            with timers.on():
                one = time.thread_time()
                forum.reply(member, thread, body)
                two = time.thread_time()
                db.session.commit()
                three = time.thread_time()
            timers.add("commit (flush, after-commit hooks)", three - two)
            unprofiled.append(three - one)
        timed = {k: round(v * 1000 / replies, 2) for k, v in timers.totals.items()}
        timed["total (reply + commit)"] = round(sum(unprofiled) * 1000 / replies, 2)
        service().wait(60)
        # the search writer thread's CPU for these replies (it writes after commit, in this process)
        timed["search writer thread (after commit)"] = round((_writer_cpu() - writer_before) * 1000 / replies, 2)
        parts_alone = {"render": [], "sanitize": [], "sentiment": []}
        for body in bodies:  # each part alone, without the profiler (CPU of this thread)
            one = time.thread_time()
            raw = text._markdown().render(body, {"known": {}, "profile_url": lambda n: n, "found": []})
            two = time.thread_time()
            html = text._cleaner().clean(raw)
            three = time.thread_time()
            read_html(html)
            parts_alone["render"].append(two - one)
            parts_alone["sanitize"].append(three - two)
            parts_alone["sentiment"].append(time.thread_time() - three)
        profiler = cProfile.Profile(time.thread_time)  # CPU of this thread: not the search writer's, no waits
        started = time.perf_counter()
        per_language = {"en": [], "zh": []}
        for k in range(replies):
            body = bodies[k % len(bodies)] + f"\n\nprof{k:04d}x{int(started) % 100000}"
            db.session.remove()  # a fresh session per reply, as per request
            member = db.session.get(Member, member_ids[k % len(member_ids)])
            thread = db.session.get(Thread, thread_ids[k % len(thread_ids)])
            one = time.perf_counter()
            profiler.enable()
            forum.reply(member, thread, body)
            db.session.commit()
            profiler.disable()
            per_language["zh" if is_chinese(body) else "en"].append(time.perf_counter() - one)
        wall = time.perf_counter() - started
        service().wait(60)
        sentiment_ms = {"en": [], "zh": []}
        for body in bodies:  # the scoring alone, per language (CPU of this thread)
            one = time.thread_time()
            analyse(body)
            sentiment_ms["zh" if is_chinese(body) else "en"].append(time.thread_time() - one)
    # outside the app context: each request pushes its own, as under gunicorn (flask-login keeps the user on g)
    # the same replies as whole requests (Flask test client: session, CSRF, form, service, redirect)
    http_timers, http_cpu = Timers(), []
    clients = []
    for member_id in member_ids[:4]:
        clients.append(signed_in_client(app, names[member_id], PASSWORD, f"/t/{thread_ids[0]}/reply"))
    for k in range(replies):
        client, csrf = clients[k % len(clients)]
        body = bodies[k % len(bodies)] + f"\n\nhttp{k:04d}x{int(time.time()) % 100000}"
        with http_timers.on():
            one = time.thread_time()
            answer = client.post(f"/t/{thread_ids[k % len(thread_ids)]}/reply",
                                 data={"csrf_token": csrf, "body": body, "reply_to": ""})
            http_cpu.append(time.thread_time() - one)
        assert answer.status_code == 302, (answer.status_code, answer.get_data(as_text=True)[:300])
    http_timed = {k: round(v * 1000 / replies, 2) for k, v in http_timers.totals.items()}
    http_timed["total (whole request)"] = round(sum(http_cpu) * 1000 / replies, 2)
    stats = pstats.Stats(profiler)
    parts = {}
    for label, keys in PARTS.items():
        total = 0.0
        for (filename, _line, name), (_cc, _nc, _tt, ct, callers) in stats.stats.items():
            if name in [n for f, n in keys if filename.endswith(f)]:
                # count only outermost calls: skip entries whose callers include the same function
                if not any(c[2] == name and c[0] == filename for c in callers):
                    total += ct
        parts[label] = round(total * 1000 / replies, 2)
    total = sum(v[3] for k, v in stats.stats.items() if k[2] == "reply" and k[0].endswith("forum/services.py"))
    parts["profiled total (reply + commit)"] = round(total * 1000 / replies + parts["commit"], 2)
    named = ("render (markdown-it)", "sanitize (bleach)", "signal subscribers (all, incl. sentiment)", "commit")
    parts["other (queries of the service, models)"] = round(parts["profiled total (reply + commit)"]
                                                           - sum(parts[k] for k in named), 2)
    subscribers = {}

    def callees_of(target):
        for key, (_cc, _nc, _tt, _ct, callers) in stats.stats.items():
            if target in callers:
                yield key, callers[target][3]

    def short(key):
        return f"{key[0].split('/src/')[-1].split('site-packages/')[-1]}:{key[2]}"

    sends = [key for key in stats.stats if key[0].endswith("blinker/base.py") and key[2] == "send"]
    for send in sends:
        for key, ct in callees_of(send):
            # the bridge's wrappers (`run`): charge what they call, each receiver by name
            inner = list(callees_of(key)) if key[2] == "run" else [(key, ct)]
            for sub, sub_ct in inner:
                label = short(sub) + (" (in crm run wrapper)" if key[2] == "run" else "")
                subscribers[label] = subscribers.get(label, 0) + sub_ct
    subscriber_rows = sorted(((round(v * 1000 / replies, 2), k) for k, v in subscribers.items() if v * 1000 / replies >= 0.05),
                             reverse=True)
    stats.sort_stats("cumulative")
    rows = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in sorted(stats.stats.items(), key=lambda kv: -kv[1][3])[:top]:
        rows.append([round(ct * 1000 / replies, 2), round(tt * 1000 / replies, 2), nc, f"{filename.split('site-packages/')[-1]}:{line}({name})"])
    return {"replies": replies, "unprofiled_cpu_ms_per_reply": round(statistics.fmean(unprofiled) * 1000, 2),
            "unprofiled_cpu_ms_p95": round(sorted(unprofiled)[int(0.95 * (len(unprofiled) - 1))] * 1000, 2),
            "timed_cpu_ms_per_reply": timed, "timed_cpu_ms_per_request": http_timed,
            "parts_alone_cpu_ms": {k: round(statistics.fmean(v) * 1000, 2) for k, v in parts_alone.items()},
            "wall_ms_per_reply_profiled": round(wall * 1000 / replies, 2),
            "wall_ms_per_reply_by_language": {k: round(sum(v) * 1000 / len(v), 2) for k, v in per_language.items() if v},
            "ms_per_reply": parts, "subscribers_ms_per_reply": subscriber_rows,
            "sentiment_scoring_cpu_ms": {k: round(statistics.fmean(v) * 1000, 2) for k, v in sentiment_ms.items() if v},
            "top": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--members", type=int, default=20)
    s.add_argument("--threads", type=int, default=4)
    c = sub.add_parser("search")
    c.add_argument("--tokens", required=True)
    c.add_argument("--timeout", type=float, default=120)
    p = sub.add_parser("profile")
    p.add_argument("--replies", type=int, default=100)
    p.add_argument("--bodies", required=True)
    p.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    if args.cmd == "seed":
        out = seed(args.members, args.threads)
    elif args.cmd == "search":
        out = search_check(args.tokens, args.timeout)
    else:
        out = profile(args.replies, args.bodies, args.top)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
