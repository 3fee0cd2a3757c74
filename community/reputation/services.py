"""The reputation ledger: write entries (moving Member.reputation in SQL), reverse them, read them.

Every entry moves `members.reputation` by its delta with `reputation = reputation + delta` in the
same transaction, so the column always equals the sum of the ledger. Services flush and signal; the
caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached

from .. import dbbatch, settings
from ..dbtypes import utcnow
from ..errors import NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import Post, Thread
from ..members import counters
from ..members.models import Member
from ..permissions import can_adjust_reputation, can_view_board
from ..signals import reputation_changed
from ..web import Page, paginate
from .models import ReputationEntry, ReputationReason

VOTE_REASONS = (ReputationReason.upvote_received, ReputationReason.downvote_received, ReputationReason.vote_retracted)
ANSWER_REASONS = (ReputationReason.answer_accepted, ReputationReason.answer_unaccepted)
REACTION_REASONS = (ReputationReason.reaction_received, ReputationReason.reaction_removed)
MAX_ADJUSTMENT = 10_000


# ---- points per action: site settings an admin changes (/admin/gamification/points) -----------------
# Each is (key, default, lowest, highest). A change applies to events from then on; entries already
# written keep their amounts, and a reversal takes back exactly what the earlier entry gave.

def _within(low: int, high: int):
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"from {low} to {high}"
    return check


POINT_SETTINGS = (
    ("reputation.points.upvote", 10, 0, 1000),
    ("reputation.points.downvote", -2, -1000, 0),
    ("reputation.points.accepted_answer", 15, 0, 1000),
    ("reputation.points.badge_bronze", 0, 0, 1000),
    ("reputation.points.badge_silver", 10, 0, 1000),
    ("reputation.points.badge_gold", 25, 0, 1000),
    # The most reputation one member earns from upvotes and accepted answers per UTC day (0: no limit).
    # Upvotes past it earn nothing (and so do not count toward upvote badges); downvotes always count.
    ("reputation.daily_limit", 0, 0, 100_000),
)
for _key, _default, _low, _high in POINT_SETTINGS:
    settings.declare(_key, _default, int, check=_within(_low, _high))


def badge_points(level: str) -> int:
    """Return the reputation a badge of `level` (bronze, silver, gold) carries now."""
    return settings.get(f"reputation.points.badge_{level}")


def _capped(member_id: int, amount: int) -> int:
    """Cut a gain to what is left of the member's daily limit (today, UTC) of reputation from votes and answers."""
    limit = settings.get("reputation.daily_limit")
    if not limit or amount <= 0:
        return amount
    start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    flush_entries()  # a batch's entries so far count
    earned = int(db.session.scalar(
        select(func.coalesce(func.sum(ReputationEntry.delta), 0)).where(
            ReputationEntry.member_id == member_id, ReputationEntry.created_at >= start,
            ReputationEntry.reason.in_(VOTE_REASONS + ANSWER_REASONS))) or 0)
    return max(0, min(amount, limit - earned))


_INSERTS_ONCE: dict = {}


def insert_once(model, values: dict, conflict_columns: list[str]):
    """Insert a row unless one with the same `conflict_columns` exists; return its new id or None.

    Races end in the database's unique constraint, not in an error: the loser simply inserts nothing.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        key = (model, tuple(conflict_columns), dialect)
        stmt = _INSERTS_ONCE.get(key)
        if stmt is None:  # built once: a core INSERT whose VALUES are the parameters given
            dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            table = model.__table__
            stmt = _INSERTS_ONCE[key] = (dialect_insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
                                         .returning(table.c.id))
        return db.session.execute(stmt, values).scalar()
    try:  # other databases: a savepoint keeps the outer transaction alive
        with db.session.begin_nested():
            return db.session.execute(insert(model).values(**values).returning(model.id)).scalar()
    except IntegrityError:
        return None


def record(member_id: int, delta: int, reason: ReputationReason, *, actor_id: int | None = None,
           post_id: int | None = None, thread_id: int | None = None, badge_id: int | None = None,
           note: str = "") -> ReputationEntry | None:
    """Write a ledger entry and move the member's reputation by `delta` (nothing for a zero delta)."""
    if not delta:
        return None
    values = dict(member_id=member_id, delta=delta, reason=reason, actor_id=actor_id, post_id=post_id,
                  thread_id=thread_id, badge_id=badge_id, note=(note or "")[:255], created_at=utcnow())
    pending = db.session().info.get(ENTRIES)
    if pending is not None:  # in a batch: written with the batch's other entries (`flush_entries`)
        entry = ReputationEntry(**values)  # transient: no id until then
        pending.append((entry, values))
    else:
        # A core INSERT (the busiest ledger write: one per vote) instead of an ORM flush; the entry is then put
        # in the session as the persistent row it is, every column known, for the subscribers and the caller.
        entry = ReputationEntry(id=db.session.execute(_INSERT_ENTRY, values).scalar_one(), **values)
        make_transient_to_detached(entry)
        db.session.add(entry)
    if reason in VOTE_REASONS:
        _moved_pair(member_id, post_id, actor_id, delta)
    counters.move(member_id, reputation=delta)  # at once, or once per member at the end of a drain batch
    member = db.session.get(Member, member_id)
    reputation_changed.send(member, entry=entry)
    return entry


_INSERT_ENTRY = insert(ReputationEntry.__table__).returning(ReputationEntry.__table__.c.id)
# the same for many rows (insertmanyvalues: one statement per batch), ids in the order of the rows given
_INSERT_ENTRIES = insert(ReputationEntry.__table__).returning(ReputationEntry.__table__.c.id,
                                                              sort_by_parameter_order=True)


# ---- entries within a batch of vote effects ------------------------------------------------------
# Inside `entries_batched()` (the vote effects drain, community/votes/effects.py) `record` writes no row at once:
# the entry, dated as ever (`utcnow()`, the vote's time in the drain), goes to its subscribers without an id, and
# the batch's entries are written by one INSERT when the batch ends (`flush_entries`), in the order they were
# recorded, each then given its id. Everything that reads the ledger in SQL calls `flush_entries()` first (the
# readers here, the upvote badges' count, reward points citing an entry), so it reads every entry so far, as
# members/counters.py's `flush()` does for the reputation column; the session's autoflush does not know them.
ENTRIES = "community.reputation_entries_pending"  # session.info: [(entry, its values)] while batched


def entries_batched():
    """Write the ledger entries recorded inside in one INSERT when the block ends without an error."""
    return dbbatch.pending(ENTRIES, list, flush_entries)


def flush_entries() -> None:
    """Write the batch's pending ledger entries (one INSERT, in the order recorded) and give each its id."""
    session = db.session()
    pending = session.info.get(ENTRIES)
    if not pending:
        return
    batch = list(pending)
    pending.clear()
    ids = session.execute(_INSERT_ENTRIES, [values for _entry, values in batch]).scalars().all()
    for (entry, _values), entry_id in zip(batch, ids, strict=True):
        entry.id = entry_id
        make_transient_to_detached(entry)  # the row it now is, as `record` outside a batch gives it
    nets = session.info.get(PAIRS)
    if nets is not None:
        session.info[WRITTEN] = dict(nets)


def unwritten_standing_change(member_id: int) -> int | None:
    """How the member's standing upvotes differ from what the ledger's rows say, by the batch's entries not written
    yet (counted with the tracked pairs' nets); None when one of them is a pair the batch does not track."""
    session = db.session()
    pending, nets, written = session.info.get(ENTRIES), session.info.get(PAIRS), session.info.get(WRITTEN)
    keys = {(values["member_id"], values["post_id"], values["actor_id"]) for _entry, values in pending or ()
            if values["member_id"] == member_id and values["reason"] in VOTE_REASONS}
    if not keys:
        return 0
    if nets is None or written is None or not keys <= nets.keys():
        return None
    return sum((nets[key] > 0) - (written[key] > 0) for key in keys)


# ---- vote pairs within a batch of vote effects ---------------------------------------------------
# While the vote effects drain applies a batch (community/votes/effects.py), the net of the vote entries of
# each (author, post, voter) pair in it is read once (`track_vote_pairs`) and kept as entries are written, so
# a changed vote's reversal needs no query; and an author's standing upvotes (the upvote badges' measure, one
# per pair netting above zero) are counted once per author and moved as pairs cross zero.
PAIRS = "community.vote_pairs"  # session.info: {(member id, post id, actor id): net of its vote entries}
STANDING = "community.standing_upvotes"  # session.info: {member id: standing upvotes}, with PAIRS
WRITTEN = "community.vote_pairs_written"  # session.info: PAIRS as the ledger's rows have them (`flush_entries`)


def track_vote_pairs(pairs) -> None:
    """Read the net of the vote entries of these (author, post, voter) pairs, in one query, for the batch."""
    nets = {pair: 0 for pair in pairs}
    flush_entries()
    session = db.session()
    session.info[PAIRS], session.info[STANDING], session.info[WRITTEN] = nets, {}, {}
    if not nets:
        return
    rows = db.session.execute(
        select(ReputationEntry.member_id, ReputationEntry.post_id, ReputationEntry.actor_id,
               func.sum(ReputationEntry.delta))
        .where(ReputationEntry.reason.in_(VOTE_REASONS), ReputationEntry.member_id.in_({p[0] for p in nets}),
               ReputationEntry.post_id.in_({p[1] for p in nets}), ReputationEntry.actor_id.in_({p[2] for p in nets}))
        .group_by(ReputationEntry.member_id, ReputationEntry.post_id, ReputationEntry.actor_id))
    for member_id, post_id, actor_id, net in rows:
        if (member_id, post_id, actor_id) in nets:
            nets[(member_id, post_id, actor_id)] = int(net or 0)
    session.info[WRITTEN] = dict(nets)


def untrack_vote_pairs() -> None:
    """End the batch's tracking of vote pairs."""
    session = db.session()
    session.info.pop(PAIRS, None)
    session.info.pop(STANDING, None)
    session.info.pop(WRITTEN, None)


def _moved_pair(member_id: int, post_id: int | None, actor_id: int | None, delta: int) -> None:
    info = db.session().info
    nets = info.get(PAIRS)
    if nets is None:
        return
    key = (member_id, post_id, actor_id)
    standing = info[STANDING]
    if key not in nets:  # a pair the batch did not announce: count its author's standing upvotes afresh
        standing.pop(member_id, None)
        return
    before = nets[key]
    nets[key] = before + delta
    if member_id in standing:
        standing[member_id] += (nets[key] > 0) - (before > 0)


def standing_upvotes_known(member_id: int) -> int | None:
    """The author's standing upvotes as counted and kept within this batch, or None."""
    standing = db.session().info.get(STANDING)
    return standing.get(member_id) if standing is not None else None


def note_standing_upvotes(member_id: int, count: int) -> None:
    """Keep the author's standing upvotes, just counted, for the rest of the batch (moved as pairs change)."""
    standing = db.session().info.get(STANDING)
    if standing is not None:
        standing[member_id] = count


def _net(member_id: int, post_id: int, reasons, actor_id: int | None = None) -> int:
    nets = db.session().info.get(PAIRS)
    if nets is not None and reasons == VOTE_REASONS and (member_id, post_id, actor_id) in nets:
        return nets[(member_id, post_id, actor_id)]
    flush_entries()
    query = select(func.coalesce(func.sum(ReputationEntry.delta), 0)).where(
        ReputationEntry.member_id == member_id, ReputationEntry.post_id == post_id,
        ReputationEntry.reason.in_(reasons))
    if actor_id is not None:
        query = query.where(ReputationEntry.actor_id == actor_id)
    return int(db.session.scalar(query) or 0)


def apply_vote(post: Post, voter: Member, value: int, previous: int) -> list[ReputationEntry]:
    """Credit the post's author for a vote cast, changed or retracted (reversing what the earlier vote gave)."""
    author_id = post.author_id
    if author_id is None or author_id == voter.id or value == previous:
        return []
    entries = []
    if previous:
        # Reverse exactly what this voter's vote gave, even if the configured amounts changed since.
        net = _net(author_id, post.id, VOTE_REASONS, actor_id=voter.id)
        if net:
            entries.append(record(author_id, -net, ReputationReason.vote_retracted, actor_id=voter.id,
                                  post_id=post.id, thread_id=post.thread_id))
    if value:
        if value > 0:
            delta, reason = settings.get("reputation.points.upvote"), ReputationReason.upvote_received
            delta = _capped(author_id, delta)
        else:
            delta, reason = settings.get("reputation.points.downvote"), ReputationReason.downvote_received
        entries.append(record(author_id, delta, reason, actor_id=voter.id, post_id=post.id, thread_id=post.thread_id))
    return [entry for entry in entries if entry is not None]


def apply_reaction(post: Post, member: Member, points: int) -> list[ReputationEntry]:
    """Credit the post's author `points` for `member`'s reaction, first reversing exactly what this member's
    earlier reaction on the post gave (changed or taken back: pass 0 points for a reaction taken back)."""
    author_id = post.author_id
    if author_id is None or author_id == member.id:
        return []
    entries = []
    net = _net(author_id, post.id, REACTION_REASONS, actor_id=member.id)
    if net:
        entries.append(record(author_id, -net, ReputationReason.reaction_removed, actor_id=member.id,
                              post_id=post.id, thread_id=post.thread_id))
    if points:
        entries.append(record(author_id, points, ReputationReason.reaction_received, actor_id=member.id,
                              post_id=post.id, thread_id=post.thread_id))
    return [entry for entry in entries if entry is not None]


def apply_acceptance(post: Post, thread: Thread, by: Member | None) -> ReputationEntry | None:
    """Credit the author of an accepted answer (not the asker answering their own question)."""
    if post.author_id is None or post.author_id == thread.author_id:
        return None
    if _net(post.author_id, post.id, ANSWER_REASONS) > 0:
        return None  # credited already
    amount = _capped(post.author_id, settings.get("reputation.points.accepted_answer"))
    return record(post.author_id, amount, ReputationReason.answer_accepted,
                  actor_id=by.id if by is not None else None, post_id=post.id, thread_id=thread.id)


def reverse_acceptance(post: Post, thread_id: int, by: Member | None) -> ReputationEntry | None:
    """Take back what accepting this answer gave its author (undone, or replaced by another answer)."""
    if post.author_id is None:
        return None
    net = _net(post.author_id, post.id, ANSWER_REASONS)
    if not net:
        return None
    return record(post.author_id, -net, ReputationReason.answer_unaccepted,
                  actor_id=by.id if by is not None else None, post_id=post.id, thread_id=thread_id)


def checked_by_hand(amount, note, *, field: str, limit: int, example) -> tuple[int, str]:
    """Check what staff give by hand (reputation, points): a whole `amount` from -`limit` to `limit`, not 0
    (problems on `field`; `example` is the message for what is no number), and the reason the member sees.

    Returns the amount and the note with its whitespace folded; refuses every problem at once.
    """
    problems = {}
    try:
        amount = int(str(amount).strip())
    except (TypeError, ValueError):
        problems[field] = example
    else:
        if amount == 0 or abs(amount) > limit:
            problems[field] = _l("Enter a whole number from -%(n)d to %(n)d, not 0.", n=limit)
    note = " ".join((note or "").split())
    if not note:
        problems["note"] = _l("Say why; the member sees this reason.")
    elif len(note) > 255:
        problems["note"] = _l("At most %(n)d characters.", n=255)
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    return amount, note


def adjust(staff: Member, member: Member, delta, note: str) -> ReputationEntry:
    """Let staff move a member's reputation by hand, with a reason that the member sees."""
    if not can_adjust_reputation(staff, member):
        raise NotPermitted(_l("Only staff may adjust reputation."))
    delta, note = checked_by_hand(delta, note, field="delta", limit=MAX_ADJUSTMENT,
                                  example=_l("Enter a whole number, e.g. 25 or -10."))
    return record(member.id, delta, ReputationReason.staff_adjustment, actor_id=staff.id, note=note)


# ---- reading -------------------------------------------------------------------------------

PERIODS = {"week": 7, "month": 30, "year": 365, "all": None}


@dataclass
class Ranked:
    rank: int
    member: Member
    earned: int


@dataclass
class Leaderboard:
    period: str
    rows: list[Ranked]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def leaderboard(period: str = "week", page: int = 1, per_page: int = 50) -> Leaderboard:
    """Rank members by reputation earned in the period (the last 7, 30 or 365 days, or ever) in one query."""
    days = PERIODS[period]
    if days is None:
        earned = Member.reputation
        query = select(Member, earned, func.rank().over(order_by=earned.desc())).where(earned > 0)
    else:
        since = utcnow() - timedelta(days=days)
        total = func.sum(ReputationEntry.delta)
        sums = (select(ReputationEntry.member_id.label("member_id"), total.label("earned"))
                .where(ReputationEntry.created_at >= since)
                .group_by(ReputationEntry.member_id).having(total > 0).subquery())
        earned = sums.c.earned
        query = select(Member, earned, func.rank().over(order_by=earned.desc())).join(sums, sums.c.member_id == Member.id)
    rows = db.session.execute(query.order_by(earned.desc(), Member.id)
                              .limit(per_page + 1).offset((page - 1) * per_page)).all()
    ranked = [Ranked(rank=int(rank), member=member, earned=int(value)) for member, value, rank in rows[:per_page]]
    return Leaderboard(period=period, rows=ranked, page=page, has_next=len(rows) > per_page)


@dataclass
class HistoryPage(Page):
    """A page of a member's ledger, with the ids of the threads the viewer may see."""

    visible_thread_ids: set = field(default_factory=set)


def history(member: Member, viewer, page: int = 1, per_page: int = 50) -> HistoryPage:
    """Return a page of the member's ledger, newest first, with the threads `viewer` may see marked."""
    found = paginate(
        select(ReputationEntry).where(ReputationEntry.member_id == member.id)
        .options(joinedload(ReputationEntry.actor), joinedload(ReputationEntry.thread), joinedload(ReputationEntry.badge))
        .order_by(ReputationEntry.created_at.desc(), ReputationEntry.id.desc()),
        page, per_page, count=select(func.count()).select_from(ReputationEntry)
        .where(ReputationEntry.member_id == member.id))
    items = found.items
    # Thread.board is joined eagerly, so these checks cost no query.
    visible = {entry.thread_id for entry in items if entry.thread is not None and entry.thread.deleted_at is None
               and can_view_board(viewer, entry.thread.board)}
    return HistoryPage(items=items, page=page, pages=found.pages, total=found.total, visible_thread_ids=visible)


def ledger_total(member_id: int) -> int:
    """Return the sum of a member's ledger (equal to Member.reputation)."""
    flush_entries()
    return int(db.session.scalar(select(func.coalesce(func.sum(ReputationEntry.delta), 0))
                                 .where(ReputationEntry.member_id == member_id)) or 0)

