"""The Whoosh backend: an index in files in the instance folder, the single writer that keeps it,
rebuilding, health, and searching it (scoring and columns in whoosh_scoring.py and whoosh_columns.py).

One document per post (documents.py). Thread facts (board, visibility, tags, status, solved, answered,
deleted) are copied onto every post of the thread, so that a reader's filter is one query over indexed
fields.

Writes never happen in a request. Signal subscribers (community/search/__init__.py) note which posts,
threads and members changed; after the commit those ids go on a queue, and one writer thread per
process and index folder loads the committed rows and updates the index. Requests never wait on the
index nor meet Whoosh's LockError; the writer waits for the lock instead (another process's writer,
or `flask community search reindex`) and retries.

The index is on this host's disk: a second host would not see it. Several hosts use SEARCH_BACKEND=postgres.
"""
from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import threading
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.index import LockError
from whoosh.writing import CLEAR

from ...extensions import db
from ...forum.models import Post
from ..analysis import segmenter
from ..documents import BATCH, all_posts, document, iter_documents, load_posts
from ..readerfilter import NothingReadable, reader_filter, reader_key
from . import whoosh_private as private
from .base import Found, IndexUnavailable
from .whoosh_schema import INDEX_NAME, schema
from .whoosh_scoring import collect, matching_docs

log = logging.getLogger(__name__)
private.remember_missing_columns()


def index_dir() -> Path:
    return Path(current_app.config["SEARCH_INDEX_DIR"])


# ---- opening, rebuilding ---------------------------------------------------------------------

def _shape(found: Schema) -> dict:
    """The schema's fields and their kinds: an index of another shape is rebuilt, not misread."""
    return {name: (type(field).__name__, type(getattr(field, "column_type", None)).__name__)
            for name, field in found.items()}


def _open(path: Path):
    if not whoosh_index.exists_in(str(path), indexname=INDEX_NAME):
        raise FileNotFoundError(path)
    ix = whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
    if _shape(ix.schema) != _shape(schema()):
        raise IndexUnavailable("the index was written with another schema")
    return ix


def _fresh(path: Path):
    """Remove this index's files from `path` (nothing else there) and create an empty index."""
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.is_file() and entry.name.startswith((f"_{INDEX_NAME}_", f"{INDEX_NAME}_")):
            entry.unlink()
    return whoosh_index.create_in(str(path), schema(), indexname=INDEX_NAME)


def _writer(ix, timeout: float = 120.0, limitmb: int = 64):
    """Return a writer, waiting up to `timeout` seconds for another writer to finish.

    `limitmb`: the posting pool's size before it spills sorted runs to disk (then merged at commit).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return ix.writer(limitmb=limitmb)
        except LockError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def rebuild(path: Path, progress=None, session=None) -> int:
    """Rebuild the index at `path` from the database; return the number of posts indexed.

    A readable index stays searchable until the new one replaces it in one commit; an unreadable
    one is replaced by an empty index first. Must run inside an app context.
    """
    if session is None:
        session = db.session
    try:
        ix = _open(path)
        fresh = False
    except Exception:
        ix = _fresh(path)
        fresh = True
    writer = _writer(ix, limitmb=current_app.config.get("SEARCH_REINDEX_MEMORY_MB", 768))
    count = 0
    try:
        for doc in iter_documents(session, progress):
            writer.add_document(**doc)
            count += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit(mergetype=None if fresh else CLEAR, optimize=fresh)
    return count


# ---- the per-process service: cached index, writer thread, state ------------------------------

CHANGES = ("posts", "threads", "openings", "members")  # the queue's kinds of change (ids each)
RETRY = 1.0  # seconds between tries of changes held back by another writer's lock


def _nothing_held() -> dict:
    return {"posts": set(), "threads": set(), "openings": set(), "members": set(), "clear": False}


class SearchIndex:
    """The index at one folder, as this process sees it: reads, the writer queue, and rebuilds."""

    name = "whoosh"
    in_transaction = False  # changes are written after the commit, by the writer thread

    def __init__(self, app, path: Path):
        self.app = app
        self.path = path
        self.queue: queue.Queue = queue.Queue()
        self.rebuilding = False
        self.error: str | None = None
        self._ix = None
        self._lock = threading.RLock()  # index() may start the writer thread while holding it
        self._thread: threading.Thread | None = None
        self._engine = None
        self._atexit = False
        self._pid = os.getpid()
        self._local = threading.local()  # each thread's open searcher (shared_searcher)
        self._held = _nothing_held()  # changes not written yet (writer thread only; see _apply)
        self._retrying = False  # held changes wait for another writer's lock: tried every RETRY seconds

    # reading
    def index(self):
        """Return the open index, or raise IndexUnavailable (and start a rebuild) when there is none."""
        if self.rebuilding:
            raise IndexUnavailable("rebuilding")
        ix = self._ix
        if ix is not None:
            return ix
        with self._lock:
            if self._ix is not None:
                return self._ix
            try:
                self._ix = _open(self.path)
                self.error = None
                return self._ix
            except Exception as exc:  # missing, corrupt or of an older schema: rebuild it
                if self.path.exists() and not self.path.is_dir():
                    self.error = "NotADirectoryError"
                    raise IndexUnavailable(self.error) from exc
                log.warning("search index at %s unusable (%r); rebuilding", self.path, exc)
                self.error = type(exc).__name__
                self.schedule_rebuild()
                raise IndexUnavailable(self.error) from exc

    def searcher(self):
        ix = self.index()
        try:
            return ix.searcher()
        except Exception as exc:  # files removed or damaged under an open index
            self._ix = None
            log.warning("search index at %s unreadable (%r); rebuilding", self.path, exc)
            self.error = type(exc).__name__
            self.schedule_rebuild()
            raise IndexUnavailable(self.error) from exc

    def shared_searcher(self):
        """Return (as a context manager) this thread's searcher, kept open between searches and refreshed when the index changed.

        Opening a searcher reads every segment's tables (about 0.1 s CPU at 100 000 posts): it is opened
        again only after a commit. One per thread: Whoosh's readers are not shared between threads.
        """
        ix = self.index()
        local = self._local
        cached = getattr(local, "searcher", None)
        try:
            if (cached is None or getattr(local, "ix", None) is not ix
                    or cached.reader().generation() != ix.latest_generation()):
                if cached is not None:  # (Whoosh's refresh() would reuse a segment's reader with stale deletions)
                    cached.close()
                cached = ix.searcher()
        except Exception as exc:  # files removed or damaged under an open index
            local.searcher = None
            self._ix = None
            log.warning("search index at %s unreadable (%r); rebuilding", self.path, exc)
            self.error = type(exc).__name__
            self.schedule_rebuild()
            raise IndexUnavailable(self.error) from exc
        local.searcher, local.ix = cached, ix
        return _Borrowed(cached, local)

    # the backend interface (backends/__init__.py)
    def search(self, member, query, boards, limit: int, sort: str, count: bool = True) -> Found:
        """Return the top `limit` post ids `member` may find for `query`, and how many there are."""
        with self.shared_searcher() as searcher:
            excluded = excluded_docs(searcher, self, member, boards)
            found, total, partial = collect(searcher, query, excluded, limit, sort, count=count)
            ids = [int(found[i]["post_id"]) for i in range(min(limit, found.scored_length()))]
        return Found(ids, total, partial)

    def spelling(self, word: str) -> str | None:
        """Return the closest title word within two edits of `word`, or None."""
        with self.shared_searcher() as searcher:
            options = searcher.suggest("title", word, limit=1, maxdist=2)
        return options[0] if options else None

    def changed(self, session, changed: dict) -> None:
        """After the commit: hand the changed ids to the writer thread (which reads the committed rows)."""
        if changed["threads"]:
            self.enqueue("threads", changed["threads"])
        if changed["posts"]:
            self.enqueue("posts", changed["posts"])
        if changed["openings"]:
            self.enqueue("openings", changed["openings"])
        if changed["members"]:
            self.enqueue("members", changed["members"])

    def reindex(self, progress=None) -> int:
        """Rebuild the index from the database (searches keep the old index until the new one is swapped in)."""
        count = rebuild(self.path, progress=progress)
        self._ix = None
        return count

    def clear(self) -> None:
        self.enqueue("clear")

    def health(self) -> dict:
        return health()

    def document_count(self) -> int:
        with self.searcher() as searcher:
            return searcher.doc_count()

    # writing
    def enqueue(self, op: str, ids=()) -> None:
        self._ensure_thread()
        self.queue.put((op, tuple(ids)))

    def schedule_rebuild(self) -> None:
        self.rebuilding = True
        self.enqueue("rebuild")

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until every queued change is written (tests, the CLI); False on timeout.

        The writer is told to write what it gathered now rather than after SEARCH_WRITE_DELAY.
        """
        deadline = time.monotonic() + timeout
        if self.queue.unfinished_tasks:
            self.enqueue("flush")
        with self.queue.all_tasks_done:
            while self.queue.unfinished_tasks or self._retrying:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                # changes held back by another writer's lock are retried without a task to finish
                self.queue.all_tasks_done.wait(min(remaining, 0.1) if self._retrying else remaining)
        return True

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():  # forked (gunicorn): the parent's thread and queue stay there
                self._pid, self.queue, self._ix, self._engine = os.getpid(), queue.Queue(), None, None
                self._held, self._retrying = _nothing_held(), False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=f"search-writer:{self.path.name}",
                                                daemon=True)
                self._thread.start()
                if not self._atexit:  # a CLI command (seed-demo, imports) must not exit with writes queued
                    atexit.register(self.wait, 120.0)
                    self._atexit = True

    def _held_any(self) -> bool:
        held = self._held
        return bool(held["clear"] or any(held[kind] for kind in CHANGES))

    def _run(self) -> None:
        while True:
            batch = self._gather()
            try:
                with self.app.app_context(), self._session() as session:
                    self._apply(batch, session)
            except Exception:
                log.exception("search index update failed")
            finally:
                for _ in batch:
                    self.queue.task_done()

    def _gather(self) -> list:
        """Wait for a change, then gather what else arrives within SEARCH_WRITE_DELAY seconds (or until
        BATCH items, a flush, a rebuild or a clear), to write it all in one Whoosh commit: each commit
        costs a writer, a new segment and merges, whatever it holds. With held changes (a lock to wait
        for), give up waiting after RETRY seconds to try them again."""
        try:
            batch = [self.queue.get(timeout=RETRY if self._retrying else None)]
        except queue.Empty:
            return []
        # no index open yet (a fresh process or folder): write at once, so that a missing index is noticed
        # and its rebuild starts with the first change, as before batching
        delay = float(self.app.config.get("SEARCH_WRITE_DELAY", 1.0)) if self._ix is not None else 0.005
        deadline = time.monotonic() + delay
        while len(batch) < BATCH and batch[-1][0] in CHANGES:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self.queue.get(timeout=remaining) if remaining > 0 else self.queue.get_nowait())
            except queue.Empty:
                break
        while len(batch) < BATCH:  # what a flush or rebuild found queued goes with it
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _session(self):
        """Return a session of the writer's own engine: its reads stay out of the requests' pool."""
        if self._engine is None:
            config = self.app.config
            self._engine = create_engine(config["SQLALCHEMY_DATABASE_URI"],
                                         **config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        return Session(self._engine)

    def _hold(self, batch) -> None:
        """Add a batch's changes to the held ones, in order: a clear forgets what came before it."""
        held = self._held
        for op, ids in batch:
            if op == "clear":
                self._held = held = _nothing_held()
                held["clear"] = True
            elif op in CHANGES:
                held[op].update(ids)

    def _apply(self, batch, session) -> None:
        """Write the batch's changes with those held from before, in one commit.

        Changes are held, never dropped, while they cannot be written: a rebuild is pending (it will read
        them from the database; if it fails they are written to the index that stays), the index is
        unavailable (a rebuild was scheduled), or another writer (a reindex) keeps the lock too long.
        """
        self._hold(batch)
        if any(op == "rebuild" for op, _ in batch):
            # every change queued so far was committed before now: the rebuild reads them all
            if self._rebuild_now(session):
                self._held, self._retrying = _nothing_held(), False
                return
            try:  # the rebuild failed: the held changes go to the index that stays, if it opens
                ix = _open(self.path)
            except Exception:
                return  # held until the next rebuild
        else:
            if self.rebuilding:
                return  # held: the pending rebuild will read them (or they are written if it fails)
            try:
                ix = self._ix or self.index()
            except IndexUnavailable:
                return  # held: a rebuild is queued behind this batch
        held = self._held
        if not self._held_any():
            return
        try:
            writer = _writer(ix)
        except LockError:
            log.warning("search index at %s locked by another writer; will retry", self.path)
            self._retrying = True
            return  # held: retried after RETRY seconds
        self._held = _nothing_held()
        try:
            self._write(session, writer, held["posts"], held["threads"], held["openings"] - held["threads"],
                        held["members"])
        except BaseException:
            writer.cancel()
            raise
        else:
            if held["clear"]:
                writer.commit(mergetype=CLEAR)
            else:
                writer.commit()
        finally:  # only now: wait() keeps waiting for a retried write until it is committed
            self._retrying = False

    def _write(self, session, writer, post_ids, thread_ids, opening_of, member_ids) -> None:
        for start in range(0, len(thread_ids), BATCH):
            chunk = sorted(thread_ids)[start:start + BATCH]
            for tid in chunk:  # a thread's posts may have left it (merge, split): start it afresh
                writer.delete_by_term("thread_id", str(tid))
            for post in all_posts(session, Post.thread_id.in_(chunk)):
                writer.add_document(**document(post))
        post_ids = set(post_ids)
        for start in range(0, len(opening_of), BATCH):
            chunk = sorted(opening_of)[start:start + BATCH]
            for post in load_posts(session, Post.thread_id.in_(chunk) & (Post.number == 1)):
                post_ids.discard(post.id)
                writer.update_document(**document(post))
        for start in range(0, len(member_ids), BATCH):
            chunk = sorted(member_ids)[start:start + BATCH]
            for post in all_posts(session, Post.author_id.in_(chunk)):
                post_ids.discard(post.id)
                if post.thread_id not in thread_ids:
                    writer.update_document(**document(post))
        ordered = sorted(post_ids)
        for start in range(0, len(ordered), BATCH):
            chunk = ordered[start:start + BATCH]
            found = set()
            for post in load_posts(session, Post.id.in_(chunk)):
                found.add(post.id)
                if post.thread_id not in thread_ids:
                    writer.update_document(**document(post))
            for missing in set(chunk) - found:
                writer.delete_by_term("post_id", str(missing))

    def _rebuild_now(self, session) -> bool:
        self.rebuilding = True
        try:
            self._ix = None
            count = rebuild(self.path, session=session)
            self._ix = _open(self.path)
            self.error = None
            log.info("search index rebuilt: %d posts", count)
            return True
        except Exception as exc:
            self.error = type(exc).__name__
            log.exception("search index rebuild failed")
            return False
        finally:
            self.rebuilding = False


class _Borrowed:
    """`with` a thread's shared searcher: left open afterwards, unless the search failed inside."""

    def __init__(self, searcher, local):
        self.searcher, self.local = searcher, local

    def __enter__(self):
        return self.searcher

    def __exit__(self, kind, value, traceback):
        if kind is not None:  # a failure mid-search may leave it in any state: open afresh next time
            self.local.searcher = None
            with contextlib.suppress(Exception):
                self.searcher.close()
        return False


_services: dict[str, SearchIndex] = {}
_services_lock = threading.Lock()
_resolved: dict[str, str] = {}  # an absolute SEARCH_INDEX_DIR as configured -> its resolved path


def _warm_up() -> None:
    segmenter()


def service(app=None) -> SearchIndex:
    """Return this process's SearchIndex for the app's index folder."""
    app = app or current_app._get_current_object()
    configured = str(app.config["SEARCH_INDEX_DIR"])
    key = _resolved.get(configured)
    if key is None:  # resolving walks the path's parts on disk: once per absolute folder, not per request
        key = str(Path(configured).resolve())
        if Path(configured).is_absolute():
            _resolved[configured] = key
    found = _services.get(key)
    if found is None:
        with _services_lock:
            found = _services.setdefault(key, SearchIndex(app, Path(configured)))
            # jieba reads its dictionary in a second or two: do it now, not in the first Chinese search
            threading.Thread(target=_warm_up, name="search-warm-up", daemon=True).start()
    found.app = app  # the latest app built on this folder (tests build several)
    return found


def health() -> dict:
    """Return {"ok": bool, ...}: the index is readable, or being rebuilt from the database."""
    search = service()
    if search.rebuilding:
        return {"ok": True, "rebuilding": True}
    try:
        with search.searcher() as searcher:
            return {"ok": True, "documents": searcher.doc_count()}
    except IndexUnavailable:
        if search.rebuilding:
            return {"ok": True, "rebuilding": True}
        return {"ok": False, "error": search.error or "IndexUnavailable"}
    except Exception as exc:  # any failure to open or read is "down" for /healthz
        return {"ok": False, "error": type(exc).__name__}


# ---- the reader's filter as a set of documents ------------------------------------------------------

# The documents a class of readers may not find, per open index state: {(state, reader key): set}.
_excluded_cache: dict = {}
_excluded_lock = threading.Lock()


def _index_state(searcher, search: SearchIndex) -> tuple:
    """Identify what `searcher` reads: the index generation and its segments (docnums are stable within)."""
    reader = searcher.reader()
    segments = tuple(sub.segment().segment_id() if hasattr(sub, "segment") else id(sub)
                     for sub, _offset in reader.leaf_readers())
    return (str(search.path), reader.generation(), segments)


def excluded_docs(searcher, search: SearchIndex, member, boards) -> set:
    """Return the docnums (in `searcher`) that `member` may not find, cached per index state and per
    class of reader (readerfilter.reader_key).

    Raises NothingReadable when the member may read no board at all.
    """
    query = reader_filter(member, boards)
    key = (_index_state(searcher, search), reader_key(member, boards))
    found = _excluded_cache.get(key)
    if found is None:
        found = matching_docs(searcher, query)  # a set (Whoosh's filters take no frozenset); never changed
        with _excluded_lock:
            if any(other[0] != key[0] for other in _excluded_cache) or len(_excluded_cache) > 64:
                _excluded_cache.clear()  # the index changed: the old sets describe other documents
            _excluded_cache[key] = found
    return found


__all__ = ["IndexUnavailable", "NothingReadable", "SearchIndex", "health", "rebuild", "schema", "service"]
