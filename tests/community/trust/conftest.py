"""Trust tests' shared helpers, imported by the test modules: members put at a level or given
activity, activity presets per level, signal capture."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from community.dbtypes import utcnow
from community.forum.models import Post
from community.members.models import Member
from community.trust import services as trust
from community.trust.models import MemberVisit

# ---- helpers ---------------------------------------------------------------------------------

def at_level(db, member, level: int, locked: bool | None = None):
    """Put `member` at `level`; a hand-set level 3 is locked, as staff would (unlocked, the next visit
    re-evaluates it and a member who does not qualify goes back to 2)."""
    locked = level == 3 if locked is None else locked
    db.session.execute(update(Member).where(Member.id == member.id)
                       .values(trust_level=level, trust_level_locked=locked))
    db.session.commit()
    return db.session.get(Member, member.id)


def fresh(db, member) -> Member:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Member, member.id)


def give_activity(db, member, *, replies: int = 0, recent_days: int = 0, **counters):
    """Give `member` exactly these counters (MemberStats), replies and visits in the level-3 window."""
    trust.bump_stats(member.id, **counters)
    if replies:
        db.session.execute(update(Member).where(Member.id == member.id)
                           .values(post_count=Member.post_count + replies))
    today = utcnow().date()
    for n in range(recent_days):  # the day of a sign-in may be recorded already
        db.session.execute(trust._insert(MemberVisit.__table__)
                           .values(member_id=member.id, day=today - timedelta(days=n)).on_conflict_do_nothing())
    db.session.commit()
    return fresh(db, member)


LEVEL1 = dict(topics_entered=5, posts_read=30)
LEVEL2 = dict(LEVEL1, days_visited=15, posts_read=100, likes_given=1, likes_received=1, replies=3)
LEVEL3 = dict(LEVEL2, recent_days=50, days_visited=50, posts_read=500, likes_given=30, likes_received=20,
              replies=10)


def links(n: int) -> str:
    return "Have a look: " + " ".join(f"[page {i}](https://example.com/{i})" for i in range(n))


def post_count(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Post))


# ---- signal capture-------------------------------------------------------------------------------

def _plain(value):
    """A signal argument as the assertions compare it: an object's id, "now" for the time of the event."""
    if isinstance(value, datetime):
        return "now" if abs((utcnow() - value).total_seconds()) < 60 else value
    return getattr(value, "id", value)


@contextmanager
def captured(signal):
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender.id, {key: _plain(value) for key, value in kwargs.items()}))

    with signal.connected_to(receiver):
        yield seen
