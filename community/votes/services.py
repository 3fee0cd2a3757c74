"""Voting on posts: cast, change or retract a vote; the scores move in SQL by the vote's delta.

Concurrency: each vote first locks the member's vote row for the post (or, on SQLite, the database)
with a no-op UPDATE, so the previous value it reads is the one it replaces; a vote that does not exist
yet is inserted with ON CONFLICT DO NOTHING, and if a parallel request of the same member inserted it
first, the loop goes round and locks that row instead. Scores then move by `new - previous` with
`score = score + :delta`, so 50 members voting at once, or one member flip-flopping in two tabs,
always leave a post's score equal to the sum of its votes.

Locks: a vote first takes a transaction-level lock on its voter (PostgreSQL: an advisory lock keyed by the
member id; SQLite has one writer at a time anyway), so one member's votes are written one at a time and the
daily allowance counted in the INSERT cannot be overshot by parallel tabs. It takes no lock on any member
row: what a vote writes about its members is either an INSERT (CRM timeline entries, the daily-active
mark, the outbox row, the effects marker) or lags behind it in the effects drain (reputation, points,
badges, trust, the CRM profiles' counts; community/votes/effects.py), which locks the member rows it
writes, in id order, in a transaction of its own. Two votes therefore share only the rows of the post
(and, for an opening post, its thread, always taken first), held from the score update to the commit;
an advisory lock never blocks on those rows, nor the drain on a voter.
"""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, delete, exists, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from .. import dbbatch
from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ServiceError, ValidationFailed
from ..extensions import db
from ..forum.models import Post, Thread
from ..members.models import Member
from ..permissions import can_view_post, can_vote
from ..signals import vote_cast
from . import effects
from .models import Vote

VALUES = (1, 0, -1)


class VoteLimitReached(ServiceError):
    code = "vote_limit_reached"
    status = 429


def parse_value(raw) -> int:
    """Return the vote value in a form field (1, -1 or 0), or raise ValidationFailed."""
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = None
    if value not in VALUES:
        raise ValidationFailed(_l("A vote is 1 (up), -1 (down) or 0 (take back your vote)."),
                               {"value": _l("Choose 1, -1 or 0.")})
    return value


def daily_limit(member) -> int:
    """Return how many new votes `member` may cast in 24 hours, by trust level."""
    limits = current_app.config["VOTES_PER_DAY_BY_TRUST_LEVEL"]
    level = min(max(int(member.trust_level or 0), 0), len(limits) - 1)
    return int(limits[level])


def _refusal(voter, post):
    if not can_view_post(voter, post):
        return NotPermitted(_l("You cannot vote on this post."))
    if post.author_id == voter.id:
        return NotPermitted(_l("You cannot vote on your own posts."))
    if post.is_deleted or post.thread.is_deleted:
        return NotPermitted(_l("Deleted posts cannot be voted on."))
    return NotPermitted(_l("You cannot vote on this post."))


def cast_vote(voter, post: Post, value: int, voter_held: bool = False) -> tuple[int, int]:
    """Set `voter`'s vote on `post` to `value` (1, -1, or 0 to retract); return (score, my vote).

    `voter_held`: the caller took the voter's vote lock in this transaction already (the vote view, in the
    statement that loaded the post: `voter_hold`)."""
    if value not in VALUES:
        raise ValidationFailed(_l("A vote is 1 (up), -1 (down) or 0 (take back your vote)."),
                               {"value": _l("Choose 1, -1 or 0.")})
    if not can_vote(voter, post):
        raise _refusal(voter, post)
    # The author held in a local until the subscribers have run: the session's identity map holds rows weakly,
    # and the CRM timeline reading it would otherwise load the whole row.
    author = _hold_voter(voter.id, post, voter_held)  # noqa: F841
    now = utcnow()  # the vote row's created_at / updated_at, and the signal's `at`
    score = _insert_and_count(voter, post, value, now)
    if score is not None:  # a new vote on a reply, counted in the same statement (PostgreSQL)
        previous, delta = 0, value
        set_committed_value(post, "score", score)
    else:
        previous = _write_vote(voter, post, value, now)
        delta = value - previous
    if delta and score is None:
        # Thread before post: the same lock order as deleting an opening post, so the two cannot deadlock.
        # Core statements built once (the identity map is told by set_committed_value, as before).
        if post.is_opening:
            thread_score = db.session.execute(_THREAD_SCORE, {"row_id": post.thread_id, "delta": delta}).scalar_one()
            set_committed_value(post.thread, "score", thread_score)
        score = db.session.execute(_POST_SCORE, {"row_id": post.id, "delta": delta}).scalar_one()
        set_committed_value(post, "score", score)
    if delta:
        # The rows the subscribers and the marker insert (timeline, daily active, outbox, marker) go to the
        # database together: one statement on PostgreSQL (community/dbbatch.py).
        with dbbatch.combined():
            vote_cast.send(post, voter=voter, value=value, previous=previous, at=now)
            effects.mark(post, voter, value, previous, now)  # reputation, points, badges, trust: after commit
    else:
        score = db.session.scalar(select(Post.score).where(Post.id == post.id))
    return score, value


def _score_update(table):
    return (update(table).where(table.c.id == bindparam("row_id"))
            .values(score=table.c.score + bindparam("delta", type_=Integer)).returning(table.c.score))


_THREAD_SCORE = _score_update(Thread.__table__)
_POST_SCORE = _score_update(Post.__table__)
_INSERTS: dict[tuple, object] = {}  # (dialect name, parameter prefix) -> the guarded INSERT of a new vote
_COLUMNS = ("post_id", "member_id", "value", "created_at", "updated_at")


@lru_cache(maxsize=1)
def _insert_counted():
    """PostgreSQL: the guarded INSERT of a new vote as a CTE, and the post's score moved by :delta only if it
    inserted a row, RETURNING the score: one statement for the common vote (built once)."""
    inserted = _guarded_insert("postgresql", prefix="vote_").cte("new_vote")
    table = Post.__table__
    return (update(table).where(table.c.id == bindparam("row_id"), exists(select(inserted.c.id)))
            .values(score=table.c.score + bindparam("delta", type_=Integer)).returning(table.c.score)
            .add_cte(inserted))


def _insert_and_count(voter, post: Post, value: int, now) -> int | None:
    """Insert a new vote and move the post's score by it in one statement; return the score, or None when
    that is not how this vote goes: nothing inserted (a vote there already, or the allowance used up: the
    general path finds out which), a retraction, an opening post (its thread's score moves first, in its
    own statement: the lock order of deleting it) or another database than PostgreSQL."""
    if not value or post.is_opening or db.session.get_bind().dialect.name != "postgresql":
        return None
    params = {"vote_post_id": post.id, "vote_member_id": voter.id, "vote_value": value, "vote_created_at": now,
              "vote_updated_at": now, "since": now - timedelta(days=1), "allowance": daily_limit(voter),
              "row_id": post.id, "delta": value}
    return db.session.execute(_insert_counted(), params).scalar()


def _guarded_insert(dialect: str, prefix: str = ""):
    """INSERT ... SELECT the new vote WHERE the voter's votes of the last 24 hours < limit ON CONFLICT DO NOTHING.

    Its parameters are the columns' names (`prefix`ed: inside an UPDATE, a column's name is the SET clause's),
    "since" and "allowance"."""
    statement = _INSERTS.get((dialect, prefix))
    if statement is None:
        table = Vote.__table__
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        used = (select(func.count()).select_from(table)
                .where(table.c.member_id == bindparam(f"{prefix}member_id"), table.c.created_at >= bindparam("since"))
                .scalar_subquery())
        source = select(*[bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in _COLUMNS]) \
            .where(used < bindparam("allowance", type_=Integer))
        statement = _INSERTS[(dialect, prefix)] = (insert(table).from_select(list(_COLUMNS), source)
                                                   .on_conflict_do_nothing(index_elements=["post_id", "member_id"])
                                                   .returning(table.c.id))
    return statement


@lru_cache(maxsize=1)
def _author_columns():
    return load_only(Member.id, Member.deleted_at)  # built at first use: the mappers are configured by then


# pg_advisory_xact_lock(class, key): "vtr " in ASCII (recognisable in pg_locks), key the voter's member id.
_VOTER_LOCK_CLASS = 0x76747220
_VOTER_LOCK = text("SELECT pg_advisory_xact_lock(:cls, :key)")


def hold_voters(voter_ids) -> None:
    """Take the vote lock of every member `voter_ids` (a SELECT of member ids) names, in id order, one statement:
    what moves votes of many members (an idea merge) waits for their votes under way, and makes their next ones
    wait, before it locks the threads and posts those votes lock after their voter's (PostgreSQL; SQLite
    has one writer at a time)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    ids = voter_ids.subquery()
    ordered = select(ids.c[0].label("id")).distinct().order_by(ids.c[0]).subquery()
    # the aggregate calls the lock function row by row in the subquery's sorted order
    db.session.execute(select(func.count(func.pg_advisory_xact_lock(_VOTER_LOCK_CLASS, ordered.c.id))))


@lru_cache(maxsize=1)
def _voter_lock_column():
    return func.pg_advisory_xact_lock(bindparam("voter_lock_class", type_=Integer),
                                      bindparam("voter_lock_key", type_=Integer)).label("voter_locked")


def voter_hold(voter) -> dict:
    """`web.load_post`'s arguments that take `voter`'s vote lock (`_hold_voter`) in the statement that loads
    the post, one round trip less for a vote: then `cast_vote(..., voter_held=True)`. {} when there is no lock
    to take (no signed-in voter, or not PostgreSQL). The lock is held from the post's load: a vote refused
    after it (its permission checks) rolls back, which lets it go."""
    if not getattr(voter, "is_authenticated", False) or db.session.get_bind().dialect.name != "postgresql":
        return {}
    return {"also": _voter_lock_column(), "params": {"voter_lock_class": _VOTER_LOCK_CLASS, "voter_lock_key": voter.id}}


def _hold_voter(voter_id: int, post: Post, held: bool = False) -> Member | None:
    """Serialise `voter_id`'s votes until the transaction ends; return the post's author, loaded.

    PostgreSQL: a transaction-level advisory lock on the voter, not a row lock: the effects drain locks the
    member rows of a whole batch of votes while it applies them, and a row lock here would make every voter
    of that batch wait for it. SQLite: its one writer at a time serialises the votes already. The author is
    what the vote's own subscribers read (the CRM timeline: id and deleted_at): the vote view loads it with
    the post (`load_post(author_state=True)`), other callers here, those two columns only.
    """
    if not held and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_VOTER_LOCK, {"cls": _VOTER_LOCK_CLASS, "key": voter_id})
    if post.author_id is None:
        return None
    author = post.__dict__.get("author") or db.session.identity_map.get(identity_key(Member, post.author_id))
    if author is not None:
        return author
    return db.session.scalars(select(Member).where(Member.id == post.author_id).options(_author_columns())).first()


def _write_vote(voter, post: Post, value: int, now) -> int:
    """Make the stored vote `value` and return the value it replaced (0 when there was none).

    Most votes are new: a vote is first inserted, guarded by the daily allowance in the same statement
    (ON CONFLICT DO NOTHING), and only when that inserts nothing is the existing row locked and changed.
    The allowance cannot be overshot by parallel tabs: the voter is locked (`_hold_voter`) before, so one
    member's votes are written one at a time, each counting what the last one committed.
    """
    mine = (Vote.post_id == post.id, Vote.member_id == voter.id)
    options = {"synchronize_session": False}
    for _attempt in range(5):
        if value and _insert_vote(voter, post, value, now):
            return 0
        # A no-op write: it waits for and then holds the row lock (PostgreSQL) or the write lock
        # (SQLite), so `previous` cannot change under us before we replace it.
        previous = db.session.execute(update(Vote).where(*mine).values(value=Vote.value).returning(Vote.value),
                                      execution_options=options).scalar_one_or_none()
        if previous is not None:
            if value == previous:
                return previous
            if value == 0:
                db.session.execute(delete(Vote).where(*mine), execution_options=options)
            else:
                db.session.execute(update(Vote).where(*mine).values(value=value, updated_at=now),
                                   execution_options=options)
            return previous
        if value == 0:
            return 0
        # Nothing inserted and no row to change: the allowance is used up (raises), or a parallel
        # retraction deleted the row the insert met: go round.
        _check_daily_limit(voter)
    raise Conflict(_l("Your vote is being changed in another window. Please try again."))


def _insert_vote(voter, post: Post, value: int, now) -> bool:
    """Insert the vote unless it exists or the voter's daily allowance is used up; return whether it was."""
    row = {"post_id": post.id, "member_id": voter.id, "value": value, "created_at": now, "updated_at": now}
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        params = dict(row, since=now - timedelta(days=1), allowance=daily_limit(voter))
        return db.session.execute(_guarded_insert(dialect), params).first() is not None
    if db.session.scalar(select(Vote.id).where(Vote.post_id == post.id, Vote.member_id == voter.id)) is None:
        _check_daily_limit(voter)
    try:  # other databases: let the unique constraint decide, inside a savepoint
        with db.session.begin_nested():
            db.session.execute(Vote.__table__.insert().values(**row))
        return True
    except IntegrityError:
        return False


def _check_daily_limit(voter) -> None:
    """Refuse a new vote beyond the member's daily allowance (changing or retracting is always fine)."""
    limit = daily_limit(voter)
    since = utcnow() - timedelta(days=1)
    used = db.session.scalar(select(func.count()).select_from(Vote)
                             .where(Vote.member_id == voter.id, Vote.created_at >= since))
    if used >= limit:
        raise VoteLimitReached(_l("You have cast the %(n)d votes you may cast in 24 hours. You can still "
                                  "change or take back a vote; new votes are possible again tomorrow.", n=limit))


@lru_cache(maxsize=1)
def _my_votes_select():
    """SQL: `member_id`'s votes on the posts `post_ids`; built once per process (every signed-in thread page asks)."""
    return select(Vote.post_id, Vote.value).where(Vote.member_id == bindparam("member_id"),
                                                  Vote.post_id.in_(bindparam("post_ids", expanding=True)))


def my_votes(member, post_ids) -> dict[int, int]:
    """Return {post id: 1 or -1} for `member`'s votes on these posts, in one query."""
    post_ids = list(post_ids)
    if not post_ids or not getattr(member, "is_authenticated", False):
        return {}
    rows = db.session.execute(_my_votes_select(), {"member_id": member.id, "post_ids": post_ids})
    return {post_id: value for post_id, value in rows}


def recount_score(post: Post) -> int:
    """Set `post`'s score (and its thread's, for an opening post) to the sum of its votes; return it.

    For repairs and merges (e.g. votes moved to another idea); ordinary voting moves scores by delta.
    """
    total = select(func.coalesce(func.sum(Vote.value), 0)).where(Vote.post_id == post.id).scalar_subquery()
    options = {"synchronize_session": False}
    score = db.session.execute(update(Post).where(Post.id == post.id).values(score=total).returning(Post.score),
                               execution_options=options).scalar_one()
    set_committed_value(post, "score", score)
    if post.is_opening:
        db.session.execute(update(Thread).where(Thread.id == post.thread_id).values(score=score),
                           execution_options=options)
        set_committed_value(post.thread, "score", score)
    return score
