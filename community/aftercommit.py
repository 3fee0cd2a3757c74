"""Run side effects (socket emits, index writes, outgoing HTTP) only after the transaction commits.

Services call `after_commit(fn, *args)`; the callables run in order once the session commits and
are dropped if it rolls back, so nothing external happens for a change that did not happen.
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
