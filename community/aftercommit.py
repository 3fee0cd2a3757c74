"""Run side effects (socket emits, index writes, outgoing HTTP) only after the transaction commits.

Services call `after_commit(fn, *args)`; the callables run in order once the session commits and
are dropped if it rolls back, so nothing external happens for a change that did not happen.
`at_commit(fn, *args)` queues statements as the transaction's last, just before its COMMIT (shared counters).
"""
import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db

log = logging.getLogger(__name__)
_KEY = "community.after_commit"


def after_commit(fn, *args, **kwargs) -> None:
    """Queue `fn(*args, **kwargs)` to run after the current session commits."""
    db.session().info.setdefault(_KEY, []).append((fn, args, kwargs))


@event.listens_for(Session, "after_commit")
def _run(session):
    pending = session.info.pop(_KEY, [])
    for fn, args, kwargs in pending:
        try:
            fn(*args, **kwargs)
        except Exception:  # a failed side effect must not turn a committed change into an error page
            log.exception("after-commit task %r failed", fn)


@event.listens_for(Session, "after_soft_rollback")
def _drop(session, previous_transaction):
    if previous_transaction.parent is None:  # only the outermost transaction decides
        session.info.pop(_KEY, None)


# ---- the transaction's last statements ----------------------------------------------------------

_LAST = "community.at_commit"
_connected = False


def at_commit(fn, *args, **kwargs) -> None:
    """Queue `fn(*args, **kwargs)` to run in the current transaction as its last statements, just before COMMIT.

    For writes to a row that every concurrent writer of a kind shares (a board's counters, a day's rollup):
    PostgreSQL holds a row lock from the statement to the commit, so written in the middle of a reply, the
    board row would make every other reply wait through the rest of this one (its signal subscribers);
    written here, for the commit only. The callables run in order after every other `before_commit`
    listener (`connect`), inside the transaction, so they commit or roll back with it; those queued inside
    a savepoint that rolls back are dropped with it. Code that reads such a value back in the same
    transaction sees it before the change (nothing does: the forum's readers come after the commit).
    """
    session = db.session()
    if not _connected:
        connect()
    # the transaction it belongs to (begun now if none is: a rollback must find the queue to drop it)
    queued_in = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_LAST, []).append((queued_in, fn, args, kwargs))


def _run_last(session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint's release: what was queued waits for the outermost commit
    if session.info.get(_LAST):
        session.flush()  # the rest of the transaction's writes first: these are its last
    while queued := session.info.pop(_LAST, None):  # a callable may queue more
        for _queued_in, fn, args, kwargs in queued:
            fn(*args, **kwargs)


def _within(transaction, ended) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_last(session, previous_transaction):
    queued = session.info.get(_LAST)
    if not queued:
        return
    if previous_transaction.parent is None:
        session.info.pop(_LAST, None)
    else:  # a savepoint: only what it queued goes
        session.info[_LAST] = [entry for entry in queued if not _within(entry[0], previous_transaction)]


@event.listens_for(Session, "after_commit")
def _left_over(session):
    if session.get_nested_transaction() is not None:
        return  # a savepoint released (SQLAlchemy announces it as a commit too)
    if queued := session.info.pop(_LAST, None):  # committed while a savepoint was still open: never run
        log.error("at-commit statements not run (committed with a savepoint open): %r", [e[1] for e in queued])


def connect() -> None:
    """Run the at-commit queue after every `before_commit` listener connected so far: the application factory
    calls it once every area is set up (`at_commit` connects it too, for an app built another way)."""
    global _connected
    _connected = True
    if not event.contains(Session, "before_commit", _run_last):
        event.listen(Session, "before_commit", _run_last)
