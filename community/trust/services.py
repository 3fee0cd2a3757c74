"""Trust levels: record the activity they are computed from, compute them, promote and demote.

Counters live on MemberStats and move with single upsert statements (INSERT .. ON CONFLICT DO
UPDATE .. RETURNING), so concurrent requests never lose a count and the new values come back with
the write: re-evaluating a member after a page view costs no extra query.

Levels 1 and 2 depend on lifetime counters only and are re-evaluated after every counted event.
Level 3 also needs the visits of the last 100 days (one query), so it is re-evaluated on a member's
first visit of the day, after votes and posts, by staff, and by `flask community trust refresh`.
Levels 1 and 2 are kept for good; level 3 is lost again when no longer earned (as in Discourse);
level 4 is given by staff only. A locked level (`Member.trust_level_locked`) is never changed here.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from .. import dbbatch
from ..dbtypes import stamping_at, utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..members.models import Member
from ..signals import trust_level_changed
from .models import MemberStats, MemberVisit, ThreadRead

log = logging.getLogger(__name__)

MAX_LEVEL = 4
LEVEL_NAMES = {0: _l("New member"), 1: _l("Basic member"), 2: _l("Member"), 3: _l("Regular"), 4: _l("Leader")}
COUNTERS = ("days_visited", "topics_entered", "posts_read", "likes_given", "likes_received", "flags_against")

# What each requirement key measures, for people (the profile's "what you need next").
REQUIREMENT_LABELS = {
    "days_visited": _l("Days visited"),
    "topics_entered": _l("Threads read"),
    "posts_read": _l("Posts read"),
    "likes_given": _l("Likes given"),
    "likes_received": _l("Likes received"),
    "replies": _l("Replies written"),
    "max_flags_against": _l("Posts flagged by others (at most)"),
}

DEFAULT_REQUIREMENTS = {
    1: {"topics_entered": 5, "posts_read": 30},
    2: {"days_visited": 15, "posts_read": 100, "likes_given": 1, "likes_received": 1, "replies": 3},
    3: {"days_visited_recent": 50, "posts_read": 500, "likes_given": 30, "likes_received": 20, "replies": 10,
        "max_flags_against": 0},
}


def level_name(level: int):
    """Return the name of a trust level, for people."""
    return LEVEL_NAMES.get(int(level or 0), LEVEL_NAMES[0])


def requirements() -> dict[int, dict[str, int]]:
    """Return TRUST_LEVEL_REQUIREMENTS with integer levels (JSON from the environment has string keys)."""
    raw = current_app.config.get("TRUST_LEVEL_REQUIREMENTS") or DEFAULT_REQUIREMENTS
    return {int(level): {str(k): int(v) for k, v in (needs or {}).items()} for level, needs in raw.items()
            if 1 <= int(level) <= 3}


@dataclass
class Activity:
    """What a member has done, as far as trust levels care."""

    days_visited: int = 0
    topics_entered: int = 0
    posts_read: int = 0
    likes_given: int = 0
    likes_received: int = 0
    flags_against: int = 0
    replies: int = 0
    days_visited_recent: int | None = None  # loaded on demand: only when level 3 is within reach
    member_id: int | None = None
    may_load_recent: bool = False

    def recent(self) -> int | None:
        if self.days_visited_recent is None and self.may_load_recent and self.member_id is not None:
            self.days_visited_recent = recent_days_visited(self.member_id)
        return self.days_visited_recent

    def value(self, key: str) -> int:
        if key == "max_flags_against":
            return self.flags_against
        if key == "days_visited_recent":
            return self.recent() or 0
        return getattr(self, key, 0) or 0


def _replies(member: Member) -> int:
    return max(0, (member.post_count or 0) - (member.thread_count or 0))


@lru_cache(maxsize=1)
def _stats_select():
    """SQL: the trust counters of `member_id` (built once per process: every new post re-evaluates its author)."""
    return select(*[getattr(MemberStats, name) for name in COUNTERS]).where(
        MemberStats.member_id == bindparam("member_id"))


def activity(member: Member, stats_row=None, *, recent: bool = True) -> Activity:
    """Return a member's activity; `stats_row` (from an upsert) spares loading MemberStats."""
    if stats_row is None:
        stats_row = db.session.execute(_stats_select(), {"member_id": member.id}).first()
    found = Activity(replies=_replies(member), member_id=member.id, may_load_recent=recent)
    if stats_row is not None:
        for name in COUNTERS:
            setattr(found, name, getattr(stats_row, name) or 0)
    return found


def recent_days_visited(member_id: int, today: date | None = None) -> int:
    """Return on how many of the last TRUST_LEVEL3_WINDOW_DAYS days (today included) the member came by."""
    today = today or utcnow().date()
    since = today - timedelta(days=int(current_app.config["TRUST_LEVEL3_WINDOW_DAYS"]) - 1)
    return db.session.scalar(select(func.count()).select_from(MemberVisit)
                             .where(MemberVisit.member_id == member_id, MemberVisit.day >= since)) or 0


def _meets(act: Activity, needs: dict[str, int]) -> bool:
    # The counters first: the recent-visits query runs only when everything else is met.
    for key, needed in sorted(needs.items(), key=lambda item: item[0] == "days_visited_recent"):
        if key == "max_flags_against":
            if act.flags_against > needed:
                return False
        elif key == "days_visited_recent":
            recent = act.recent()
            if recent is None or recent < needed:
                return False
        elif act.value(key) < needed:
            return False
    return True


def level_for(act: Activity) -> int:
    """Return the highest level (0-3) whose requirements, and those of every level below, `act` meets."""
    level = 0
    for candidate, needs in sorted(requirements().items()):
        if not _meets(act, needs):
            break
        level = candidate
    return level


def compute_trust_level(member: Member) -> int:
    """Return the level (0-3) the member's activity earns; locks and staff-given level 4 are not considered."""
    return level_for(activity(member))


def refresh_trust_level(member: Member, stats_row=None, *, full: bool = True) -> int:
    """Promote (or demote from 3) `member` to the level their activity earns; return the level now held.

    `full=False` re-evaluates levels 0-2 from the counters alone, with no query (after a page view).
    """
    current = member.trust_level or 0
    if member.trust_level_locked or current >= MAX_LEVEL:
        return current
    if not full:
        if current >= 3:
            return current
        earned = min(level_for(activity(member, stats_row, recent=False)), 2)
        return _set_level(member, earned) if earned > current else current
    earned = level_for(activity(member, stats_row, recent=True))
    if earned > current:
        return _set_level(member, earned)
    if current == 3 and earned < 3:  # regulars who stop qualifying go back to 2, never lower
        return _set_level(member, 2)
    return current


def _set_level(member: Member, level: int, by: Member | None = None, locked: bool | None = None) -> int:
    previous = member.trust_level or 0
    values = {"trust_level": level}
    if locked is not None:
        values["trust_level_locked"] = locked
    # Conditional on the level we saw: of two concurrent re-evaluations only one announces the change.
    changed = db.session.execute(
        update(Member).where(Member.id == member.id, Member.trust_level == previous).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.refresh(member, ["trust_level", "trust_level_locked"])
        return member.trust_level
    # The row is written already: tell the ORM without marking the member dirty (no second UPDATE).
    set_committed_value(member, "trust_level", level)
    if locked is not None:
        set_committed_value(member, "trust_level_locked", locked)
    if level != previous:
        trust_level_changed.send(member, previous=previous, level=level, by=by, at=utcnow())
    return level


def set_trust_level(staff: Member, member: Member, level, locked: bool = True) -> int:
    """Set a member's level by hand (staff); it is locked (kept from being recomputed) unless told otherwise."""
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = -1
    if not 0 <= level <= MAX_LEVEL:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"level": _l("The trust level is a whole number from 0 to %(n)d.", n=MAX_LEVEL)})
    if level == (member.trust_level or 0) and bool(locked) == bool(member.trust_level_locked):
        return level
    log.info("staff member %s (%s) set the trust level of member %s (%s) to %s%s", staff.id, staff.username,
             member.id, member.username, level, ", locked" if locked else "")
    return _set_level(member, level, by=staff, locked=bool(locked))


def unlock_trust_level(staff: Member, member: Member) -> int:
    """Let activity decide a hand-set level again, re-evaluating it at once; return the level now held."""
    if not member.trust_level_locked:
        return member.trust_level or 0
    db.session.execute(update(Member).where(Member.id == member.id).values(trust_level_locked=False)
                       .execution_options(synchronize_session=False))
    set_committed_value(member, "trust_level_locked", False)
    log.info("staff member %s (%s) unlocked the trust level of member %s (%s)", staff.id, staff.username,
             member.id, member.username)
    return refresh_trust_level(member)


def refresh_all(batch: int = 500) -> int:
    """Re-evaluate every unlocked member below level 4 (a daily job demotes regulars gone quiet)."""
    changed, last_id = 0, 0
    while True:
        members = db.session.scalars(select(Member).where(Member.id > last_id, Member.trust_level_locked.is_(False),
                                                          Member.trust_level < MAX_LEVEL)
                                     .order_by(Member.id).limit(batch)).all()
        if not members:
            return changed
        for member in members:
            before = member.trust_level
            if refresh_trust_level(member) != before:
                changed += 1
        last_id = members[-1].id


# ---- recording activity ----------------------------------------------------------------------

def _insert(table):
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def bump_stats(member_id: int, **deltas: int):
    """Add `deltas` to a member's counters in one atomic upsert; return the row of new values."""
    table = MemberStats.__table__
    stmt = _insert(table).values(member_id=member_id, updated_at=utcnow(),
                                 **{name: max(0, deltas.get(name, 0)) for name in COUNTERS})
    changes = {"updated_at": stmt.excluded.updated_at}
    for name, delta in deltas.items():
        if delta:
            moved = table.c[name] + literal(delta)
            changes[name] = case((moved < 0, 0), else_=moved)  # a retraction never drives a count below 0
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.member_id], set_=changes)
    return db.session.execute(stmt.returning(*[table.c[name] for name in COUNTERS])).first()


def bump_stats_of(deltas_by_member: dict[int, dict[str, int]]) -> dict:
    """`bump_stats` for several members in one upsert (rows in member id order); return their rows by member id.

    Each member's counters move by their own deltas exactly as `bump_stats` moves them (never below 0).
    """
    if len(deltas_by_member) == 1:
        (member_id, deltas), = deltas_by_member.items()
        return {member_id: bump_stats(member_id, **deltas)}
    table = MemberStats.__table__
    now = utcnow()
    stmt = _insert(table).values([
        dict(member_id=member_id, updated_at=now,
             **{name: max(0, deltas_by_member[member_id].get(name, 0)) for name in COUNTERS})
        for member_id in sorted(deltas_by_member)])
    changes = {"updated_at": stmt.excluded.updated_at}
    for name in COUNTERS:
        moving = [(member_id, deltas[name]) for member_id, deltas in deltas_by_member.items() if deltas.get(name)]
        if not moving:
            continue
        column = table.c[name]
        moved = case(*[(table.c.member_id == member_id, column + literal(delta)) for member_id, delta in moving],
                     else_=column)
        changes[name] = case((moved < 0, 0), else_=moved)  # a retraction never drives a count below 0
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.member_id], set_=changes)
    rows = db.session.execute(stmt.returning(table.c.member_id, *[table.c[name] for name in COUNTERS])).all()
    return {row.member_id: row for row in rows}


def record_visit(member: Member, day: date | None = None) -> bool:
    """Record that the member came by on `day` (UTC today); return whether it was their first time that day."""
    day = day or utcnow().date()
    table = MemberVisit.__table__
    new = db.session.execute(
        _insert(table).values(member_id=member.id, day=day).on_conflict_do_nothing()
        .returning(table.c.day)).first()
    if new is None:
        return False
    row = bump_stats(member.id, days_visited=1)
    refresh_trust_level(member, row, full=True)
    return True


@lru_cache(maxsize=1)
def _read_so_far_select():
    """SQL: how far `member_id` has read `thread_id`; built once per process (every signed-in thread page asks)."""
    return select(ThreadRead.last_read_number).where(ThreadRead.member_id == bindparam("member_id"),
                                                     ThreadRead.thread_id == bindparam("thread_id"))


def record_read(member: Member, thread_id: int, last_number: int) -> int:
    """Record that the member was shown a thread up to post `last_number`; return how many posts were new.

    Nothing is written when the member had read that far already. Otherwise two statements: the ThreadRead upsert (which returns how far the member had read before)
    and, when something new was read, the MemberStats upsert.
    """
    if last_number < 1:
        return 0
    # No write when nothing new was read (the common re-read): one indexed read decides, and a repeat within
    # the request costs nothing. The upsert below still settles concurrent views of new posts.
    seen = g.__dict__.setdefault("_thread_reads", {}) if has_request_context() else {}
    known = seen.get((member.id, thread_id))
    if known is None:
        known = db.session.scalar(_read_so_far_select(), {"member_id": member.id, "thread_id": thread_id}) or 0
    seen[(member.id, thread_id)] = max(known, last_number)
    if known >= last_number:
        return 0
    table = ThreadRead.__table__
    stmt = _insert(table).values(member_id=member.id, thread_id=thread_id, last_read_number=last_number,
                                 previous_read_number=0, read_at=utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.member_id, table.c.thread_id],
        set_={"previous_read_number": table.c.last_read_number,  # the old value: SET sees the row before
              "last_read_number": stmt.excluded.last_read_number, "read_at": stmt.excluded.read_at},
        where=table.c.last_read_number < stmt.excluded.last_read_number)
    advanced = db.session.execute(stmt.returning(table.c.last_read_number, table.c.previous_read_number)).first()
    if advanced is None:  # nothing new on this page
        return 0
    new_posts = advanced.last_read_number - advanced.previous_read_number
    row = bump_stats(member.id, posts_read=new_posts, topics_entered=1 if advanced.previous_read_number == 0 else 0)
    refresh_trust_level(member, row, full=False)
    return new_posts


def record_like(voter: Member, author_id: int | None, delta: int) -> None:
    """Move the likes given by `voter` and received by the post's author by `delta` (+1 or -1).

    Inside `likes_batched()` (the vote effects drain) the moves wait for the end of the batch.
    """
    if not delta:
        return
    # Both counters in one upsert; each level is then re-evaluated from its own row, as one upsert each did.
    author = db.session.get(Member, author_id) if author_id is not None and author_id != voter.id else None
    pending = db.session().info.get(LIKES)
    if pending is not None:
        at = utcnow()  # the vote's time in the drain (stamping_at)
        _pend_like(pending, voter, "likes_given", delta, at)
        if author is not None:
            _pend_like(pending, author, "likes_received", delta, at)
        return
    if author is None:
        rows = {voter.id: bump_stats(voter.id, likes_given=delta)}
    else:
        rows = _bump_likes(voter.id, author.id, delta)
    refresh_trust_level(voter, rows[voter.id])
    if author is not None:
        refresh_trust_level(author, rows[author.id])


# ---- likes within a batch of vote effects ----------------------------------------------------------
# Inside `likes_batched()` (the vote effects drain, community/votes/effects.py, which holds the members' rows
# locked in id order) a like moves nothing at once: each member's moves are kept, in order, and written when the
# batch ends by one upsert for all of them, in member id order; each touched member's level is then re-evaluated
# once, from the row the upsert returned, dated at the member's last like of the batch. The counts come out as the
# moves one by one would leave them (each never below 0, `_net_move`); a level is evaluated at the end only, so a
# like given and taken back within one batch (0.2 s) no longer promotes in passing.
LIKES = "community.trust_likes_pending"  # session.info: {member id: _PendingLikes} while batched


@dataclass
class _PendingLikes:
    member: Member
    at: datetime
    moves: dict[str, list[int]]  # counter -> its deltas, in order


def _pend_like(pending: dict, member: Member, counter: str, delta: int, at: datetime) -> None:
    found = pending.get(member.id)
    if found is None:
        found = pending[member.id] = _PendingLikes(member, at, {})
    found.at = max(found.at, at)
    found.moves.setdefault(counter, []).append(delta)


def _net_move(deltas: list[int]) -> tuple[int, int]:
    """Return (sum, floor) of moves applied one by one, each never below 0: from a count c they leave
    max(c + sum, floor), where floor is the most the moves after any point add up to (at least 0)."""
    total = floor = 0
    for delta in reversed(deltas):
        total += delta
        floor = max(floor, total)
    return total, floor


def likes_batched():
    """Keep the likes recorded inside; write them and re-evaluate the touched members when the block ends."""
    return dbbatch.pending(LIKES, dict, flush_likes)


def flush_likes() -> None:
    """Write the batch's pending likes in one upsert (member id order), then re-evaluate each member once."""
    pending = db.session().info.get(LIKES)
    if not pending:
        return
    batch = sorted(pending.items())
    pending.clear()
    rows = _bump_net(batch)
    for member_id, found in batch:
        with stamping_at(found.at):  # as the member's last like would have: the level's change at its time
            refresh_trust_level(found.member, rows[member_id])


def _bump_net(batch: list[tuple[int, _PendingLikes]]) -> dict:
    """Upsert the members' MemberStats rows moved by their pending likes; return the new rows by member id."""
    nets = [(member_id, found.at, {name: _net_move(deltas) for name, deltas in found.moves.items()})
            for member_id, found in batch]
    # Nearly always a member's moves, from 0, never go below it (total == floor): the count simply moves by the
    # total, and one statement built once moves all of them (insertmanyvalues: one INSERT, rows in member id
    # order). The rest (a like taken back before one given, in the batch) need each their floor: a statement of
    # their own, built for them.
    plain, dipping = [], []
    for net in nets:
        (plain if all(total == floor for total, floor in net[2].values()) else dipping).append(net)
    rows = {}
    if plain:
        dialect = db.session.get_bind().dialect.name
        stmt = _PLAIN_LIKES.get(dialect)
        if stmt is None:
            stmt = _PLAIN_LIKES[dialect] = _plain_likes_upsert()
        rows.update((row.member_id, row) for row in db.session.execute(stmt, [
            dict({name: 0 for name in COUNTERS}, member_id=member_id, updated_at=at,
                 **{name: total for name, (total, _floor) in moved.items()})
            for member_id, at, moved in plain]))
    if dipping:
        rows.update(_bump_with_floors(dipping))
    return rows


_PLAIN_LIKES: dict = {}  # dialect name -> the batch's upsert of likes that move by their totals, built once


def _plain_likes_upsert():
    table = MemberStats.__table__
    stmt = _insert(table)
    changes = {"updated_at": stmt.excluded.updated_at}
    for name in ("likes_given", "likes_received"):
        changes[name] = table.c[name] + stmt.excluded[name]
    return (stmt.on_conflict_do_update(index_elements=[table.c.member_id], set_=changes)
            .returning(table.c.member_id, *[table.c[name] for name in COUNTERS]))


def _bump_with_floors(nets) -> dict:
    table = MemberStats.__table__
    stmt = _insert(table).values([
        dict({name: 0 for name in COUNTERS}, member_id=member_id, updated_at=at,
             **{name: max(total, floor) for name, (total, floor) in moved.items()})
        for member_id, at, moved in nets])
    changes = {"updated_at": stmt.excluded.updated_at}
    for name in ("likes_given", "likes_received"):
        moving = [(member_id, moved[name]) for member_id, _at, moved in nets if name in moved]
        if not moving:
            continue
        column = table.c[name]
        target = case(*[(table.c.member_id == member_id, column + literal(total)) for member_id, (total, _f) in moving],
                      else_=column)
        floors = [(table.c.member_id == member_id, literal(floor)) for member_id, (_t, floor) in moving if floor]
        floor = case(*floors, else_=literal(0)) if floors else literal(0)
        changes[name] = case((target < floor, floor), else_=target)  # never below 0, as one by one
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.member_id], set_=changes)
    rows = db.session.execute(stmt.returning(table.c.member_id, *[table.c[name] for name in COUNTERS])).all()
    return {row.member_id: row for row in rows}


_LIKES: dict = {}  # dialect name -> the like upsert of two members, built once


def _bump_likes(voter_id: int, author_id: int, delta: int) -> dict:
    """`bump_stats_of` for a like: the voter's likes given and the author's likes received, one upsert built once."""
    dialect = db.session.get_bind().dialect.name
    stmt = _LIKES.get(dialect)
    if stmt is None:
        stmt = _LIKES[dialect] = _like_upsert()
    (first, first_role), (second, _) = sorted(((voter_id, "given"), (author_id, "received")))  # member id order
    given = {first: delta if first_role == "given" else 0, second: 0 if first_role == "given" else delta}
    received = {first: delta - given[first], second: delta - given[second]}
    rows = db.session.execute(stmt, {
        "m1": first, "m2": second, "now": utcnow(), "given1": given[first], "given2": given[second],
        "received1": received[first], "received2": received[second],
        "new_given1": max(0, given[first]), "new_given2": max(0, given[second]),
        "new_received1": max(0, received[first]), "new_received2": max(0, received[second])}).all()
    return {row.member_id: row for row in rows}


def _like_upsert():
    # The statement bump_stats_of builds for two members moving likes_given / likes_received (a count that
    # does not move moves by 0: the same row), with parameters instead of values.
    table = MemberStats.__table__
    typed = lambda name, column: bindparam(name, type_=table.c[column].type)  # noqa: E731
    rows = [{**{name: 0 for name in COUNTERS}, "member_id": typed(f"m{n}", "member_id"),
             "updated_at": typed("now", "updated_at"), "likes_given": typed(f"new_given{n}", "likes_given"),
             "likes_received": typed(f"new_received{n}", "likes_received")} for n in (1, 2)]
    stmt = _insert(table).values(rows)
    changes = {"updated_at": stmt.excluded.updated_at}
    for name, key in (("likes_given", "given"), ("likes_received", "received")):
        column = table.c[name]
        moved = case((table.c.member_id == bindparam("m1"), column + typed(f"{key}1", name)),
                     (table.c.member_id == bindparam("m2"), column + typed(f"{key}2", name)), else_=column)
        changes[name] = case((moved < 0, 0), else_=moved)  # a retraction never drives a count below 0
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.member_id], set_=changes)
    return stmt.returning(table.c.member_id, *[table.c[name] for name in COUNTERS])


def record_flag_against(member: Member, delta: int = 1) -> int:
    """Count `delta` upheld flags against the member's posts and re-evaluate their level; return it.

    For the moderation area: a regular whose post was rightly flagged loses level 3 at once.
    """
    row = bump_stats(member.id, flags_against=delta)
    return refresh_trust_level(member, row)


# ---- what the member sees --------------------------------------------------------------------

@dataclass
class Requirement:
    key: str
    label: str
    have: int
    need: int

    @property
    def met(self) -> bool:
        return self.have <= self.need if self.key == "max_flags_against" else self.have >= self.need


def progress(member: Member) -> dict:
    """Return the member's level, its name, and what the next computed level still needs."""
    level = member.trust_level or 0
    result = {"level": level, "name": level_name(level), "locked": bool(member.trust_level_locked),
              "next": None, "next_name": None, "requirements": []}
    if level >= 3:  # level 4 is given by staff; nothing to count towards
        return result
    act = activity(member, recent=level + 1 >= 3)
    window = int(current_app.config["TRUST_LEVEL3_WINDOW_DAYS"])
    target = level + 1
    result["next"], result["next_name"] = target, level_name(target)
    for key, need in requirements().get(target, {}).items():
        label = REQUIREMENT_LABELS.get(key, key)
        if key == "days_visited_recent":
            label = _l("Days visited in the last %(n)d days", n=window)
        result["requirements"].append(Requirement(key, str(label), act.value(key), need))
    return result
