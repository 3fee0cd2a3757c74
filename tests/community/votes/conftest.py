"""Vote tests' shared helpers, imported by the test modules: fresh rows, vote rows, scores on a page,
signal capture, trust levels."""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select, update

from community.members.models import Member
from community.votes.models import Vote

JSON = {"Accept": "application/json"}
ROOT = Path(__file__).resolve().parents[3]


# ---- helpers -------------------------------------------------------------------------------

def fresh(db, model, ident):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, ident)


def vote_rows(db, post_id=None):
    db.session.rollback()
    query = select(Vote.member_id, Vote.value)
    if post_id is not None:
        query = query.where(Vote.post_id == post_id)
    return dict(db.session.execute(query).all())


def score_on_page(html: str, post_number: int) -> str:
    """Return the score shown in the vote box of post #n."""
    start = html.index(f'id="post-{post_number}"')
    match = re.search(r'class="score"[^>]*>(-?\d+)<', html[start:])
    assert match, "no score shown on the post"
    return match.group(1)


@contextmanager
def captured(signal):
    calls = []

    def receiver(sender, **kwargs):  # plain values: the objects are gone with the request's session
        calls.append((sender.id, {key: getattr(value, "id", value) for key, value in kwargs.items()}))

    signal.connect(receiver)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)


def set_trust_level(db, member, level):
    db.session.execute(update(Member).where(Member.id == member.id).values(trust_level=level, trust_level_locked=True))
    db.session.commit()
