"""Poll tests' shared helpers, imported by the test modules: forms, polls added through the service,
counts read back from the database, signal capture."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from community.dbtypes import utcnow
from community.extensions import db
from community.polls import services as polls
from community.polls.models import Poll, PollOption

# ---- helpers -------------------------------------------------------------------------------

def thread_form(title="Which colour should the next model be?", body="Tell us what you like best.", **poll):
    data = {"title": title, "body": body}
    data.update({f"poll-{key}": value for key, value in poll.items()})
    return data


def add_poll(thread, author, options=("Red", "Green", "Blue"), question="Which colour?", **kwargs):
    poll = polls.create_poll(author, thread, question, list(options), **kwargs)
    db.session.commit()
    return poll


def option_ids(poll):
    return [option.id for option in sorted(poll.options, key=lambda o: o.position)]


def counts(db, poll):
    """Return {label: vote_count} fresh from the database."""
    return dict(db.session.execute(select(PollOption.label, PollOption.vote_count)
                                   .where(PollOption.poll_id == poll.id)).all())


def row_count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def close_now(db, poll):
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(closes_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    db.session.expire_all()


def _plain(value):
    """A signal argument as the assertions compare it: an object's id, "now" for the time of the event."""
    if isinstance(value, datetime):
        return "now" if abs((utcnow() - value).total_seconds()) < 60 else value
    return getattr(value, "id", value)


@contextmanager
def captured(signal):
    seen = []

    def receiver(sender, **kwargs):  # keep ids: the objects outlive their request's session
        seen.append((sender.id, {key: _plain(value) for key, value in kwargs.items()}))

    with signal.connected_to(receiver):
        yield seen


PERCENT = re.compile(r"\d+%")
