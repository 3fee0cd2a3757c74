"""Search benchmark: a generated bilingual corpus, full reindex speed, query latency, index size.

    .venv/bin/python bench/search.py [--posts 100000] [--queries 200] [--workdir /tmp/search-bench]
        [--backend whoosh|postgres|both --database-url postgresql+psycopg://.../DB]

With --backend postgres or both, the corpus is built in the PostgreSQL database given (its tables are dropped
and created afresh: use a database of its own), and each backend is reindexed from it and queried, in the
same run, so their figures sit side by side.

Builds a fresh SQLite database (schema from the models) with boards of every visibility, 300 members
and threads of 1-20 posts whose text is English, Chinese or both (40/40/20), inserted in bulk (the
corpus is the thing measured, not the posting services). Then times `flask community search reindex`'s
code path (`community.search.index.rebuild`), then, in a fresh process as a server's would be (not one
holding the reindex's heap), `community.search.query.search` as a signed-in member sees it - parsing, the reader's filter, collecting, highlighting and the page's permission check -
for single English words, phrases, Chinese words and filtered queries. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import bindparam, func, insert, select, text, update  # noqa: E402  (the imports below need the source on sys.path)

from application import create_app  # noqa: E402
from community.extensions import db  # noqa: E402
from community.forum.models import Board, BoardKind, IdeaStatus, Post, Tag, Thread, ThreadTag, Visibility  # noqa: E402
from community.members.models import Member, Role  # noqa: E402
from community.search.analysis import segmenter  # noqa: E402
from community.search.backends import backend as search_backend  # noqa: E402
from community.search.query import search  # noqa: E402

EN_WORDS = ("sync client upload battery charger firmware update router printer screen bluetooth headset "
            "warranty refund invoice order delivery account password login crash freeze error timeout proxy "
            "cache offline mobile desktop settings backup restore install license subscription payment "
            "cable dock speaker microphone camera keyboard mouse monitor driver network wifi signal").split()
EN_FILL = ("the a my it this after when then but and with without again still only every night morning "
           "works fails stops starts shows keeps stalls drops returns restarts hangs loads").split()
ZH_SENTENCES = [
    "如何办理退货流程", "我的订单已经签收了但是商品有质量问题", "蓝牙耳机连接不稳定声音断断续续", "充满电只能用两个小时",
    "发票抬头写错了需要重新开", "固件升级以后无法连接无线网络", "客服电话一直打不通", "快递显示已送达但是没有收到",
    "保修期内可以免费维修吗", "手机应用闪退怎么办", "会员积分什么时候到账", "路由器每天晚上自动重启",
    "打印机卡纸而且有异响", "同步进度一直停在百分之九十九", "退款申请提交后多久到账", "新版本的界面比以前好用多了",
    "希望增加深色模式", "登录的时候提示密码错误", "摄像头画面模糊不清", "显示器偶尔闪屏",
]
ZH_QUERIES = ["退货", "发票", "耳机", "固件", "维修", "快递", "退款", "路由器", "闪退", "积分", "深色模式", "密码"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(EN_WORDS if rng.random() < 0.45 else EN_FILL) for _ in range(rng.randint(6, 14))]
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random) -> str:
    kind = rng.random()
    parts = []
    for _ in range(rng.randint(1, 4)):
        if kind < 0.4:
            parts.append(_sentence(rng))
        elif kind < 0.8:
            parts.append("，".join(rng.sample(ZH_SENTENCES, rng.randint(1, 3))) + "。")
        else:
            parts.append(rng.choice(ZH_SENTENCES) + " " + rng.choice(EN_WORDS) + " " + _sentence(rng))
    return "".join(f"<p>{p}</p>\n" for p in parts)


def build_corpus(posts: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    boards = [("help", BoardKind.question, Visibility.public), ("lounge", BoardKind.discussion, Visibility.public),
              ("ideas", BoardKind.idea, Visibility.public), ("insiders", BoardKind.discussion, Visibility.members),
              ("staff-room", BoardKind.discussion, Visibility.staff)]
    db.session.execute(insert(Board), [dict(id=i + 1, slug=s, name=s.title(), description="", kind=k, visibility=v,
                                            position=i, thread_count=0, post_count=0, created_at=now)
                                       for i, (s, k, v) in enumerate(boards)])
    db.session.execute(insert(Member), [dict(id=i, username=f"user{i}", username_key=f"user{i}", email=f"u{i}@x.test",
                                             email_key=f"u{i}@x.test", password_hash="x", display_name="",
                                             bio="", role=Role.staff if i <= 3 else Role.member, created_at=now)
                                        for i in range(1, 301)])
    tags = ["hardware", "software", "billing", "shipping", "退货", "固件", "account", "mobile"]
    db.session.execute(insert(Tag), [dict(id=i + 1, name=t, created_at=now) for i, t in enumerate(tags)])
    thread_rows, post_rows, tag_rows = [], [], []
    accepted_of: dict = {}
    post_id = thread_id = 0

    def flush() -> None:  # 1 000 000 posts' rows would take gigabytes: insert them 50 000 at a time
        for row in thread_rows:
            accepted_of[row["id"]] = row.pop("_accepted")
        for start in range(0, len(thread_rows), 5000):
            db.session.execute(insert(Thread), thread_rows[start:start + 5000])
        for start in range(0, len(post_rows), 5000):
            db.session.execute(insert(Post), post_rows[start:start + 5000])
        if tag_rows:
            db.session.execute(insert(ThreadTag), tag_rows)
        thread_rows.clear(), post_rows.clear(), tag_rows.clear()

    while post_id < posts:
        if len(post_rows) >= 50_000:
            flush()
        thread_id += 1
        board = rng.randrange(5) + 1
        size = min(rng.randint(1, 20), posts - post_id)
        started = now - timedelta(days=rng.randint(0, 900), minutes=rng.randint(0, 1440))
        author = rng.randint(1, 300)
        title = (rng.choice(ZH_SENTENCES) if rng.random() < 0.5
                 else " ".join(rng.choice(EN_WORDS + EN_FILL) for _ in range(rng.randint(3, 8))).capitalize())
        accepted = None
        for number in range(1, size + 1):
            post_id += 1
            post_rows.append(dict(id=post_id, thread_id=thread_id, number=number,
                                  author_id=author if number == 1 else rng.randint(1, 300),
                                  body_source="", body_html=_body(rng), is_official=False,
                                  created_at=started + timedelta(hours=number), edit_count=0,
                                  score=rng.randint(-2, 30)))
            if board == 1 and number > 1 and accepted is None and rng.random() < 0.2:
                accepted = post_id
        thread_rows.append(dict(id=thread_id, board_id=board, author_id=author, title=title, reply_count=size - 1,
                                post_seq=size, created_at=started, last_posted_at=started + timedelta(hours=size),
                                score=0, accepted_post_id=None, _accepted=accepted,
                                idea_status=IdeaStatus.open if board == 3 else None, locked_reason="",
                                pinned_globally=False))
        for tag in rng.sample(range(1, len(tags) + 1), rng.randint(0, 2)):
            tag_rows.append(dict(thread_id=thread_id, tag_id=tag))
    flush()
    pairs = [{"tid": tid, "pid": pid} for tid, pid in accepted_of.items() if pid]
    if pairs:
        threads = Thread.__table__
        db.session.execute(update(threads).where(threads.c.id == bindparam("tid"))
                           .values(accepted_post_id=bindparam("pid")), pairs)
    db.session.commit()


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _app(work: Path, url: str | None = None, backend: str = "whoosh"):
    return create_app({"INSTANCE_PATH": str(work), "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{work / 'bench.db'}",
                       "SEARCH_INDEX_DIR": str(work / "index"), "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                       "SEARCH_BACKEND": backend})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--workdir", default="/tmp/search-bench")
    parser.add_argument("--backend", choices=("whoosh", "postgres", "both"), default="whoosh")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (needed for postgres and both)")
    parser.add_argument("--reuse-corpus", action="store_true",
                        help="keep the workdir's (or --database-url's) corpus when it holds exactly --posts posts")
    parser.add_argument("--no-queries", action="store_true", help="reindex only")
    parser.add_argument("--no-reindex", action="store_true", help="query the index the last run left")
    parser.add_argument("--only-queries", action="store_true",
                        help="(internal) run the queries against the workdir's database and index")
    args = parser.parse_args()
    if args.only_queries:
        print(json.dumps(run_queries(Path(args.workdir), args.queries, args.database_url, args.backend),
                         ensure_ascii=False))
        return
    backends = ["whoosh", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in backends and not (args.database_url or "").startswith("postgresql"):
        parser.error("--backend postgres needs --database-url postgresql+psycopg://...")

    work = Path(args.workdir)
    if not (args.reuse_corpus or args.no_reindex):
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    app = _app(work, args.database_url)
    report: dict = {"posts": args.posts, "database": "postgresql" if args.database_url else "sqlite"}
    with app.app_context():
        reuse = False
        if args.reuse_corpus or args.no_reindex:
            try:
                reuse = db.session.scalar(select(func.count(Post.id))) == args.posts
            except Exception:  # no tables yet
                db.session.rollback()
        if not reuse:
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            build_corpus(args.posts)
            report["corpus_seconds"] = round(time.perf_counter() - started, 1)
        else:
            report["corpus"] = "reused"
        report["peak_rss_megabytes_before_reindex"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        segmenter()  # jieba's dictionary load is a process start-up cost, not indexing
        for name in ([] if args.no_reindex else backends):
            part = report.setdefault(name, {})
            index = search_backend(app, name)
            started, cpu = time.perf_counter(), time.process_time()
            count = index.reindex()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            part["reindex_seconds"] = round(elapsed, 1)
            part["reindex_posts_per_second"] = round(count / elapsed)
            part["reindex_cpu_seconds"] = round(cpu, 1)
            part["reindex_posts_per_cpu_second"] = round(count / cpu)
            part["load_average_1min"] = round(os.getloadavg()[0], 1)
            if name == "whoosh":
                part["index_megabytes"] = round(sum(f.stat().st_size for f in index.path.iterdir()) / 1e6, 1)
            else:
                db.session.commit()
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM ANALYZE search_documents"))  # what autovacuum does soon after
                    connection.execute(text("VACUUM ANALYZE search_pairs"))
                part["index_megabytes"] = round(db.session.scalar(text(
                    "SELECT pg_total_relation_size('search_documents')")) / 1e6, 1)
                part["pairs_megabytes"] = round(db.session.scalar(text(
                    "SELECT pg_total_relation_size('search_pairs')")) / 1e6, 1)
            part["peak_rss_megabytes_so_far"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    # Queries run in a fresh process, as a server's would: not in one that holds a reindex's heap.
    for name in ([] if args.no_queries else backends):
        command = [sys.executable, __file__, "--only-queries", "--workdir", str(work), "--queries", str(args.queries),
                   "--backend", name] + (["--database-url", args.database_url] if args.database_url else [])
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        report.setdefault(name, {}).update(json.loads(done.stdout.strip().splitlines()[-1]))
        report[name]["load_average_1min_after_queries"] = round(os.getloadavg()[0], 1)
    print(json.dumps(report, ensure_ascii=False))


def _pg_cpu_ms(pid: int | None) -> float:
    """CPU time (user + system) the PostgreSQL backend `pid` has used so far, in ms (clock ticks: 10 ms steps)."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _pg_pid() -> int | None:
    """The PostgreSQL backend of the session's connection (None on SQLite)."""
    connection = db.session.connection().connection.dbapi_connection
    info = getattr(connection, "info", None)
    return getattr(info, "backend_pid", None)


def _timed(reader, q: str, sort: str = "relevance"):
    """Run one search; return (results, wall ms, bench CPU ms, PostgreSQL backend CPU ms)."""
    pid = _pg_pid()
    pg = _pg_cpu_ms(pid)
    started, cpu = time.perf_counter(), time.process_time()
    results = search(reader, q, sort=sort)
    wall, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    return results, wall, cpu, _pg_cpu_ms(pid) - pg


def _figures(times, cpus, pgs) -> dict:
    found = {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 0.95), 1),
             "max_ms": round(max(times), 1), "cpu_p50_ms": round(statistics.median(cpus), 1),
             "cpu_p95_ms": round(percentile(cpus, 0.95), 1)}
    if any(pgs):
        found["pg_cpu_mean_ms"] = round(sum(pgs) / len(pgs), 1)
        found["pg_cpu_p95_ms"] = round(percentile(pgs, 0.95), 1)
    return found


def run_queries(work: Path, queries: int, url: str | None = None, backend: str = "whoosh") -> dict:
    """Time `community.search.query.search` as a member sees it, per kind of query."""
    app = _app(work, url, backend)
    report: dict = {}
    with app.app_context():
        segmenter()  # jieba's dictionary: loaded once per server process, before its first Chinese search
        reader = db.session.get(Member, 10)  # a member: public and members' boards
        rng = random.Random(11)
        kinds = {
            "single_word": lambda: rng.choice(EN_WORDS),
            "phrase": lambda: f'"{rng.choice(EN_WORDS)} {rng.choice(EN_FILL)}"',
            "chinese_word": lambda: rng.choice(ZH_QUERIES),
            "date_filtered": lambda: rng.choice([f"{rng.choice(EN_WORDS)} after:2026-01-01",
                                                 f"{rng.choice(ZH_QUERIES)} date:2025-03..2025-09",
                                                 f"{rng.choice(EN_WORDS)} before:2025-06-01 -{rng.choice(EN_WORDS)}"]),
            "filtered": lambda: rng.choice([f"{rng.choice(EN_WORDS)} board:help is:solved",
                                            f"{rng.choice(ZH_QUERIES)} tag:hardware",
                                            f"{rng.choice(EN_WORDS)} after:2026-01-01 -{rng.choice(EN_WORDS)}",
                                            f"{rng.choice(EN_WORDS)} OR {rng.choice(EN_WORDS)} author:user{rng.randint(1, 300)}"]),
        }
        with app.test_request_context("/search"):
            for _ in range(5):
                search(reader, "sync")  # warm caches
            for kind, make_query in kinds.items():
                times, cpus, pgs, totals = [], [], [], []
                for _ in range(queries):
                    results, wall, cpu, pg = _timed(reader, make_query())
                    times.append(wall), cpus.append(cpu), pgs.append(pg), totals.append(results.total)
                    db.session.remove()
                report[kind] = {**_figures(times, cpus, pgs), "median_hits": int(statistics.median(totals))}
                report[kind]["load_average_1min"] = round(os.getloadavg()[0], 1)
            for sort in ("newest", "votes"):
                times, cpus, pgs = [], [], []
                for _ in range(queries):
                    _results, wall, cpu, pg = _timed(reader, rng.choice(EN_WORDS), sort)
                    times.append(wall), cpus.append(cpu), pgs.append(pg)
                    db.session.remove()
                report[f"single_word_{sort}"] = _figures(times, cpus, pgs)
    return report


if __name__ == "__main__":
    main()
