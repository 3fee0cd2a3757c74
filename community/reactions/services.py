"""Reactions on posts: choose, change or take back; counts move in SQL; who reacted, paged.

Concurrency, as for votes (community/votes/services.py): the member rows of the reactor and of the
post's author are locked first (in id order, PostgreSQL), then the member's reaction row with a no-op
UPDATE, so the previous reaction read is the one replaced; a new reaction is inserted with ON CONFLICT
DO NOTHING and, if a parallel request of the same member won, the loop locks that row instead. Counts
move with `n = n + 1` (an upsert on the (post, kind) row) and `n = n - 1`, so they always equal the
number of reaction rows. Reputation follows through `reaction_added` / `reaction_removed`
(community/reputation/subscribers.py), in the same transaction. Services flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import settings
from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import Post
from ..members.models import Member
from ..permissions import can_manage_gamification, can_react, can_view_post, is_silenced
from ..signals import reaction_added, reaction_removed
from ..web import Page, paginate
from .kinds import ENABLED, KINDS, MAX_POINTS, POINTS, enabled_kinds, reaction_points
from .models import Reaction, ReactionCount

PER_PAGE = 50


@dataclass
class PostReactions:
    """What a post shows: {kind: count} (only counts above 0) and the viewer's own reaction."""

    counts: dict = field(default_factory=dict)
    mine: str | None = None


def parse_kind(raw) -> str:
    """Return an enabled reaction code from form or JSON input, or raise ValidationFailed."""
    code = str(raw or "").strip().lower()
    if code not in {kind.code for kind in enabled_kinds()}:
        raise ValidationFailed(_l("Choose one of the offered reactions."), {"kind": _l("Choose one of the offered reactions.")})
    return code


def _refusal(member, post: Post) -> NotPermitted:
    if post.author_id == getattr(member, "id", None):
        return NotPermitted(_l("You cannot react to your own posts."))
    if is_silenced(member):
        return NotPermitted(_l("You cannot react while you are silenced."))
    if post.is_deleted or post.thread.is_deleted:
        return NotPermitted(_l("Deleted posts cannot get reactions."))
    return NotPermitted(_l("You cannot react to this post."))


def react(member, post: Post, kind: str) -> PostReactions:
    """Set `member`'s reaction on `post` to `kind`; the same kind again takes it back. Return the post's state."""
    if kind not in KINDS:
        raise ValidationFailed(_l("Choose one of the offered reactions."), {"kind": _l("Choose one of the offered reactions.")})
    if not can_react(member, post):
        raise _refusal(member, post)
    _lock_members(member.id, post.author_id)
    now = utcnow()
    previous, current = _write(member, post, kind, now)
    if previous is not None:
        _move(post.id, previous, -1)
    if current is not None:
        _move(post.id, current, +1)
        reaction_added.send(post, member=member, kind=current, previous=previous, at=now)
    elif previous is not None:
        reaction_removed.send(post, member=member, kind=previous, at=now)
    return PostReactions(counts=counts_of([post.id]).get(post.id, {}), mine=current)


def _lock_members(*member_ids) -> None:
    """Hold these members' rows (in id order) until the transaction ends, as votes do (no deadlocks with
    the reputation and badge subscribers writing both members' rows)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return  # one writer at a time anyway
    ids = sorted({member_id for member_id in member_ids if member_id is not None})
    db.session.execute(select(Member.id).where(Member.id.in_(ids)).order_by(Member.id)
                       .with_for_update(key_share=True)).all()


def _write(member, post: Post, kind: str, now) -> tuple[str | None, str | None]:
    """Store the reaction; return (the kind it replaced or None, the kind now stored or None)."""
    mine = (Reaction.post_id == post.id, Reaction.member_id == member.id)
    options = {"synchronize_session": False}
    for _attempt in range(5):
        previous = db.session.execute(update(Reaction).where(*mine).values(kind=Reaction.kind)
                                      .returning(Reaction.kind), execution_options=options).scalar_one_or_none()
        if previous is not None:
            if previous == kind:  # the same again: take it back
                db.session.execute(delete(Reaction).where(*mine), execution_options=options)
                return previous, None
            db.session.execute(update(Reaction).where(*mine).values(kind=kind, updated_at=now),
                               execution_options=options)
            return previous, kind
        if _insert(member, post, kind, now):
            return None, kind
        # a parallel request of the same member inserted first: go round and lock that row
    raise Conflict(_l("Your reaction is being changed in another window. Please try again."))


def _upsert(model, row: dict, conflict: list[str], returning=None, on_conflict_set=None) -> bool:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**row)
    if on_conflict_set is None:
        statement = statement.on_conflict_do_nothing(index_elements=conflict)
    else:
        statement = statement.on_conflict_do_update(index_elements=conflict, set_=on_conflict_set)
    return db.session.execute(statement.returning(returning)).first() is not None


def _insert(member, post: Post, kind: str, now) -> bool:
    """Insert the reaction unless one exists (ON CONFLICT DO NOTHING); return whether it was inserted."""
    row = {"post_id": post.id, "member_id": member.id, "kind": kind, "created_at": now, "updated_at": now}
    if db.session.get_bind().dialect.name in ("postgresql", "sqlite"):
        return _upsert(Reaction, row, ["post_id", "member_id"], returning=Reaction.id)
    try:  # other databases: the unique constraint decides, inside a savepoint
        with db.session.begin_nested():
            db.session.execute(Reaction.__table__.insert().values(**row))
        return True
    except IntegrityError:
        return False


def _move(post_id: int, kind: str, delta: int) -> None:
    """Move the (post, kind) count by `delta` in SQL (the row is made by the first +1)."""
    if delta > 0:
        _upsert(ReactionCount, {"post_id": post_id, "kind": kind, "n": delta}, ["post_id", "kind"],
                returning=ReactionCount.n, on_conflict_set={"n": ReactionCount.n + delta})
    else:
        db.session.execute(update(ReactionCount).where(ReactionCount.post_id == post_id, ReactionCount.kind == kind)
                           .values(n=ReactionCount.n + delta), execution_options={"synchronize_session": False})


# ---- reading ---------------------------------------------------------------------------------

def counts_of(post_ids) -> dict[int, dict[str, int]]:
    """Return {post id: {kind: count}} (counts above 0, in the fixed order) for these posts, in one query."""
    post_ids = list(post_ids)
    if not post_ids:
        return {}
    rows = db.session.execute(select(ReactionCount.post_id, ReactionCount.kind, ReactionCount.n)
                              .where(ReactionCount.post_id.in_(post_ids), ReactionCount.n > 0)).all()
    return _ordered(rows)


def _ordered(rows) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    for post_id, kind, n in rows:
        found.setdefault(post_id, {})[kind] = n
    order = list(KINDS)
    return {post_id: dict(sorted(kinds.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99))
            for post_id, kinds in found.items()}


@lru_cache(maxsize=1)
def _page_reactions_select():
    """SQL: the count rows of `post_ids` with `member_id`'s own reaction; built once per process (every thread page)."""
    return (select(ReactionCount.post_id, ReactionCount.kind, ReactionCount.n, Reaction.id)
            .outerjoin(Reaction, and_(Reaction.post_id == ReactionCount.post_id, Reaction.kind == ReactionCount.kind,
                                      Reaction.member_id == bindparam("member_id")))
            .where(ReactionCount.post_id.in_(bindparam("post_ids", expanding=True)), ReactionCount.n > 0))


def page_reactions(member, post_ids) -> dict[int, PostReactions]:
    """Return every post's counts and `member`'s own reaction, for a whole page, in one query.

    The viewer's reaction is joined onto the count rows: a reaction of theirs always has a count row
    of its kind (n >= 1), so one LEFT JOIN finds both.
    """
    post_ids = list(post_ids)
    if not post_ids:
        return {}
    member_id = member.id if getattr(member, "is_authenticated", False) else -1
    rows = db.session.execute(_page_reactions_select(), {"member_id": member_id, "post_ids": post_ids}).all()
    counts = _ordered([(post_id, kind, n) for post_id, kind, n, _mine in rows])
    mine = {post_id: kind for post_id, kind, _n, reaction_id in rows if reaction_id is not None}
    return {post_id: PostReactions(counts=counts.get(post_id, {}), mine=mine.get(post_id)) for post_id in post_ids}


def reactors(post: Post, page: int = 1, kind: str | None = None, per_page: int = PER_PAGE) -> Page:
    """Return a page of who reacted to `post` (Reaction rows with their member), newest first."""
    query = select(Reaction).where(Reaction.post_id == post.id)
    count = select(func.count()).select_from(Reaction).where(Reaction.post_id == post.id)
    if kind:
        query, count = query.where(Reaction.kind == kind), count.where(Reaction.kind == kind)
    return paginate(query.options(joinedload(Reaction.member)).order_by(Reaction.updated_at.desc(), Reaction.id.desc()),
                    page, per_page, count=count)


def visible_to(member, post: Post) -> bool:
    """Whether `member` may see `post`'s reactions (whoever may see the post)."""
    return can_view_post(member, post)


def erase_member(member_id: int) -> int:
    """Take back every reaction of a member who deletes their account (counts move; reputation given by
    them stays with the authors, as votes' does). Return how many were removed."""
    rows = db.session.execute(select(Reaction.post_id, Reaction.kind).where(Reaction.member_id == member_id)).all()
    for post_id, kind in rows:
        _move(post_id, kind, -1)
    db.session.execute(delete(Reaction).where(Reaction.member_id == member_id), execution_options={"synchronize_session": False})
    return len(rows)


# ---- admins' settings -------------------------------------------------------------------------

def settings_values() -> dict:
    """The admin form's current values: which reactions are offered and the points of each."""
    chosen = set(ENABLED.value or ())
    values = {f"on_{code}": code in chosen for code in KINDS}
    values.update({f"points_{code}": str(reaction_points(code)) for code in KINDS})
    return values


def save_settings(admin, raw: dict) -> list[str]:
    """Save the offered reactions and the points per reaction from the form; return the keys changed."""
    if not can_manage_gamification(admin):
        raise NotPermitted(_l("Only administrators change reactions."))
    problems, changes = {}, {}
    changes[ENABLED.key] = [code for code in KINDS if raw.get(f"on_{code}")]
    for code in KINDS:
        text = str(raw.get(f"points_{code}") or "0").strip()
        if not text.isdigit() or int(text) > MAX_POINTS:
            problems[f"points_{code}"] = _l("Enter a whole number from %(low)d to %(high)d.", low=0, high=MAX_POINTS)
        else:
            changes[POINTS[code].key] = int(text)
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    return settings.save(changes, by=admin)
