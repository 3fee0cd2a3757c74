"""What may lag behind a vote, applied after its commit from a durable marker, in batches.

A vote's request writes what must be exact at once: the vote row, the post's (and thread's) score, the
CRM timeline and the outbox (vote_cast's subscribers, in the vote's transaction), and one `vote_effects`
row, the marker. Everything else a vote moves (the author's reputation ledger entry and reputation, reward
points, upvote and custom badges, trust likes and levels) is `vote_settled`'s subscribers' work, run by
`drain()`:

- right after the vote commits, in the same process: once the committing session has ended its transaction
  and given its connection back to the pool (`after_transaction_end`; a session cannot run SQL in its
  commit hook, and holding two connections per request would drain the pool under many threads), in a
  fresh app context with a session of its own. With `VOTE_EFFECTS_DELAY` > 0 (seconds; the default
  outside tests) the commit only wakes the process's drain thread, which drains that long after the first
  vote that woke it, so every vote committed meanwhile (by any process) goes in one batch: a batch's
  fixed part (lock, claim, posts, members, settings, CRM scores, commit) is paid once for many votes, not
  for every one or two, and the request answers without the drain's work in it;
- by the scheduler job `votes.apply-effects` (every minute, and at the scheduler's start), which picks up
  what a crash or a failed drain left behind.

A batch takes up to `limit` markers in id order (DELETE ... RETURNING, the same transaction as their
effects), locks the member rows of their voters and authors in id order (the vote's own lock order, so a
drain and a vote cannot deadlock), sends `vote_settled` once per marker, oldest first, each dated at its
vote (`stamping_at`), and commits. A crash before that commit leaves every marker in place; after it, no
marker is left: effects are applied exactly once. Markers are applied in the order their votes committed
(a member's votes on one post are serialised by the vote row's lock), so a vote and its retraction, both
still pending, give and then take back exactly the same.

One drainer at a time: on PostgreSQL a transaction-level advisory lock (pg_try_advisory_xact_lock; a
process that does not get it leaves its markers to the one that holds it, which looks again after its
commit), the markers themselves chosen FOR UPDATE SKIP LOCKED; SQLite lets one writer in.
"""
from __future__ import annotations

import atexit
import contextvars
import logging
import os
import threading
import time

from flask import current_app
from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.orm import Session

from .. import dbbatch, settings
from ..dbtypes import stamping_at
from ..extensions import db
from ..forum.models import Post
from ..members import counters
from ..members.models import Member
from ..reputation import services as ledger
from ..reputation.badges import HELD
from ..rewards import services as rewards
from ..signals import vote_settled
from ..trust import services as trust
from .models import VoteEffect

log = logging.getLogger(__name__)
BATCH = 500
# pg_try_advisory_xact_lock(class, key): "vote" in ASCII (recognisable in pg_locks), key 0: the drain.
_ADVISORY_CLASS = 0x766F7465
_DRAIN_KEY = 0
_DUE = "community.vote_effects_due"  # session.info: this transaction wrote markers (value: the app)
_COMMITTED = "community.vote_effects_committed"  # ... and committed them


_MARK = insert(VoteEffect.__table__)


def mark(post: Post, voter: Member, value: int, previous: int, at) -> None:
    """Record in the vote's transaction that this vote's lagging effects are due, and drain after commit."""
    dbbatch.insert(_MARK, {"post_id": post.id, "voter_id": voter.id, "value": value, "previous": previous,
                           "at": at})
    db.session().info[_DUE] = current_app._get_current_object()


@event.listens_for(Session, "after_commit")
def _committed(session) -> None:
    app = session.info.pop(_DUE, None)
    if app is not None:
        session.info[_COMMITTED] = app


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_DUE, None)


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is None:
        app = session.info.pop(_COMMITTED, None)
        if app is not None:
            _drain_after_commit(app)


def _drain_after_commit(app) -> None:
    delay = app.config.get("VOTE_EFFECTS_DELAY") or 0
    if delay > 0:
        _Drainer.of(app, delay).wake.set()
        return
    # An empty context: no request (like the scheduler's drain), so nothing in it reloads the signed-in member or
    # reads the request; a new app context, so a new scoped session on the connection the vote just gave back.
    contextvars.Context().run(_drain_in_app, app)


def _drain_in_app(app, look_again: bool = True) -> bool:
    """Drain in a new app context; return whether it ran to the end (False: another process held the lock)."""
    try:
        with app.app_context():
            return _drain(BATCH, look_again)[1]
    except Exception:  # the vote is committed; its markers wait for the next drain or the scheduled job
        log.exception("applying vote effects after commit failed")
        return True


class _Drainer:
    """The process's drain thread (`VOTE_EFFECTS_DELAY` > 0): woken by committed votes, drains `delay` later.

    One per app and process (a forked worker starts its own). A wake during a drain makes it drain again, and a
    drain that found another process draining tries again `delay` later (that one's last look may have missed
    a marker committed just before it let go). A process that exits normally while woken (a CLI command that
    voted, a worker told to stop) drains first; one that dies leaves its markers, which are durable, to the
    next drain anywhere or to the scheduled job.
    """

    _lock = threading.Lock()

    def __init__(self, app, delay: float):
        self.app, self.delay, self.pid = app, delay, os.getpid()
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name="vote-effects-drain", daemon=True)
        self.thread.start()
        atexit.register(self._at_exit)

    @classmethod
    def of(cls, app, delay: float) -> _Drainer:
        drainer = app.extensions.get("vote_effects_drainer")
        if drainer is None or drainer.pid != os.getpid():
            with cls._lock:
                drainer = app.extensions.get("vote_effects_drainer")
                if drainer is None or drainer.pid != os.getpid():
                    drainer = app.extensions["vote_effects_drainer"] = cls(app, delay)
        return drainer

    def _run(self) -> None:
        while True:
            self.wake.wait()
            time.sleep(self.delay)  # the votes of the next `delay` seconds join this batch
            self.wake.clear()
            # No last look for markers committed during the drain: their votes woke this thread (or another
            # process's) again, and their batch is the next window's, not a batch of one or two right away.
            if not contextvars.Context().run(_drain_in_app, self.app, False):
                self.wake.set()

    def _at_exit(self) -> None:
        if self.wake.is_set() and self.pid == os.getpid():
            contextvars.Context().run(_drain_in_app, self.app)


def drain(limit: int = BATCH) -> int:
    """Apply the effects of every pending vote, `limit` per transaction; return how many were applied.

    Returns early (0 or what it did) when another process is draining: that one looks again once done.
    """
    return _drain(limit)[0]


def _drain(limit: int, look_again: bool = True) -> tuple[int, bool]:
    """Drain as `drain` does; return (how many applied, whether it ran to the end rather than met the lock).

    Without `look_again`, a batch of fewer than `limit` markers ends it (the drain thread's way).
    """
    done = 0
    while True:
        try:
            applied = _apply_batch(limit)
        except Exception:
            db.session.rollback()  # the markers stay for the next drain
            raise
        if applied is None:
            return done, False
        done += applied
        if applied < limit and (not look_again or db.session.scalar(select(VoteEffect.id).limit(1)) is None):
            db.session.commit()
            return done, True


def _apply_batch(limit: int) -> int | None:
    session = db.session
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:cls, :key)"), {"cls": _ADVISORY_CLASS, "key": _DRAIN_KEY}):
        session.rollback()
        return None
    held: list = []  # the batch's members, held through the commit: its CRM refresh reads them (identity map)
    applied = _claim_and_apply(limit, held)
    session.commit()
    return applied


def apply_now() -> int:
    """Apply the pending markers inside the caller's transaction, without committing; return how many.

    For loaders that replay past events in one transaction (the demo), where a later event (a redemption)
    needs an earlier vote's points; the markers go with the caller's commit, as their effects do.
    """
    return _claim_and_apply(None)


def _claim_and_apply(limit: int | None, held: list | None = None) -> int:
    session = db.session
    postgres = session.get_bind().dialect.name == "postgresql"
    table = VoteEffect.__table__
    chosen = select(table.c.id).order_by(table.c.id).limit(limit)
    if postgres:
        chosen = chosen.with_for_update(skip_locked=True)
    rows = session.execute(delete(table).where(table.c.id.in_(chosen.scalar_subquery()))
                           .returning(table.c.id, table.c.post_id, table.c.voter_id, table.c.value,
                                      table.c.previous, table.c.at)).all()
    if not rows:
        return 0
    rows.sort(key=lambda row: row.id)
    posts = {post.id: post for post in session.scalars(select(Post).where(Post.id.in_({r.post_id for r in rows})))}
    ids = {row.voter_id for row in rows} | {post.author_id for post in posts.values() if post.author_id is not None}
    query = select(Member).where(Member.id.in_(ids)).order_by(Member.id)
    if postgres:
        query = query.with_for_update(key_share=True)
    members = {member.id: member for member in session.scalars(query)}  # held here: the identity map is weak
    if held is not None:
        held.extend(members.values())
    # held badges read once per author for the batch (upvote badges are checked per vote); the batch's own
    # grants are added as they are made
    session.info[HELD] = {}
    # the vote entries' nets of the batch's (author, post, voter) pairs, read once (reputation.services.PAIRS)
    ledger.track_vote_pairs({(posts[row.post_id].author_id, row.post_id, row.voter_id) for row in rows
                             if row.post_id in posts and posts[row.post_id].author_id is not None})
    try:
        # outside a request the site settings would be read per use; at the end of the batch, the ledgers'
        # entries are written by one INSERT per ledger (reputation.services `entries_batched`, then
        # rewards.services `points_batched`), trust likes by one upsert, each touched member's level
        # re-evaluated once (trust.services `likes_batched`), and reputation and points move once per member
        # (members/counters.py)
        with (settings.read_once(), counters.batched(), rewards.points_batched(), ledger.entries_batched(),
              trust.likes_batched()):
            for row in rows:
                post, voter = posts.get(row.post_id), members.get(row.voter_id)
                if post is None or voter is None:
                    continue
                with stamping_at(row.at):
                    vote_settled.send(post, voter=voter, value=row.value, previous=row.previous, at=row.at)
                    session.flush()  # column defaults take the vote's time
    finally:
        session.info.pop(HELD, None)
        ledger.untrack_vote_pairs()
    return len(rows)


def apply_pending() -> str:
    """Apply the effects of votes a crash or a failed drain left pending (reputation, points, badges, trust)."""
    return f"{drain()} pending vote effects applied"
