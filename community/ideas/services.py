"""Ideas: staff set an idea's public status (with a reason, or the idea it duplicates), the idea board
list (votes, trending, newest; by status) and the public roadmap.

Services flush and signal; the caller commits. Scores move in SQL, computed from the vote rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import aliased, joinedload

from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import Board, BoardKind, IdeaStatus, Post, Thread, Visibility
from ..members.models import Member
from ..notifications.models import NotificationKind, ThreadFollow
from ..notifications.services import notify_many
from ..permissions import can_change_idea_status, can_moderate, can_view_thread, readable_board_clause
from ..signals import idea_status_changed, thread_locked
from ..votes.models import Vote
from ..votes.services import hold_voters, recount_score
from ..web import Page, paginate
from .models import IdeaStatusEvent

# The roadmap's columns, in the order an idea moves through them; declined ideas come last, folded.
ROADMAP_STATUSES = (IdeaStatus.under_review, IdeaStatus.planned, IdeaStatus.in_progress, IdeaStatus.shipped)
IDEA_SORTS = ("votes", "trending", "new", "latest")


# ---- changing the status -------------------------------------------------------------------

_REF_ID = re.compile(r"^#?(\d{1,12})$")
_REF_PATH = re.compile(r"^/t/(\d{1,12})(?:/.*)?$")


def parse_status(raw) -> IdeaStatus:
    """Return the IdeaStatus named by `raw`, or refuse with a field error."""
    try:
        return raw if isinstance(raw, IdeaStatus) else IdeaStatus(str(raw or "").strip())
    except ValueError:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"status": _l("Choose one of the listed statuses.")}) from None


def resolve_idea_reference(actor: Member, raw, host: str | None = None) -> Thread:
    """Return the idea named by a thread number ("42", "#42") or a link to it ("https://site/t/42")."""
    text = str(raw or "").strip()
    problem = _l("Give the number or the link of the idea this one duplicates.")
    thread_id = None
    match = _REF_ID.match(text)
    if match:
        thread_id = int(match.group(1))
    elif text:
        parts = urlsplit(text)
        if parts.netloc and host and parts.netloc.lower() != host.lower():
            problem = _l("Give a link to an idea on this site.")
        else:
            match = _REF_PATH.match(parts.path or "")
            if match:
                thread_id = int(match.group(1))
    if thread_id is None:
        raise ValidationFailed(_l("Please correct the marked fields."), {"duplicate_of": problem})
    target = db.session.get(Thread, thread_id)
    if target is None or not can_view_thread(actor, target) or target.is_deleted:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"duplicate_of": _l("There is no idea #%(id)d that you can see.", id=thread_id)})
    return target


# Who may read a board of each visibility, from the most to the fewest readers.
_AUDIENCE = {Visibility.public: 0, Visibility.members: 1, Visibility.groups: 2, Visibility.staff: 3}


def _check_target(actor: Member, thread: Thread, target: Thread | None) -> Thread:
    fail = lambda message: ValidationFailed(_l("Please correct the marked fields."), {"duplicate_of": message})  # noqa: E731
    if target is None:
        raise fail(_l("A duplicate needs the idea it merges into."))
    if not can_view_thread(actor, target) or target.is_deleted:
        raise fail(_l("There is no idea #%(id)d that you can see.", id=target.id))
    if target.id == thread.id:
        raise fail(_l("An idea cannot be a duplicate of itself."))
    if target.board.kind is not BoardKind.idea:
        raise fail(_l("Only another idea can be the original of a duplicate."))
    if _AUDIENCE[target.board.visibility] > _AUDIENCE[thread.board.visibility]:
        # The voters carried over (and the link on the duplicate) must be able to follow their votes.
        raise fail(_l("That idea is on a board fewer people can read; merge into an idea everyone who "
                      "reads this one can read."))
    if target.idea_status is IdeaStatus.duplicate:
        # Refusing duplicates as targets keeps every chain one step long: no loops, votes land once.
        raise fail(_l("That idea is itself a duplicate; merge into the idea it duplicates."))
    return target


def change_idea_status(actor: Member, thread: Thread, status, reason: str = "",
                       duplicate_of: Thread | None = None) -> IdeaStatusEvent:
    """Set an idea's public status, record the change, carry votes over for a duplicate, notify."""
    if not can_change_idea_status(actor, thread):
        raise NotPermitted(_l("Only staff change the status of an idea."))
    status = parse_status(status)
    reason = (reason or "").replace("\r\n", "\n").strip()
    previous = thread.idea_status or IdeaStatus.open
    limit = current_app.config["IDEA_REASON_MAX_LENGTH"]
    problems = {}
    if status is previous:
        problems["status"] = _l("The idea already has this status.")
    if status is IdeaStatus.declined and not reason:
        problems["reason"] = _l("Declining an idea needs a reason; members will read it.")
    if len(reason) > limit:
        problems["reason"] = _l("The reason may have at most %(n)d characters.", n=limit)
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    target = _check_target(actor, thread, duplicate_of) if status is IdeaStatus.duplicate else None
    if target is not None:
        _lock_merge_members(thread, target)
        # Lock both ideas (in id order, so opposite merges cannot deadlock) and read the target's
        # status under the lock: a merge racing ours cannot build a chain or a loop.
        locked = dict(db.session.execute(select(Thread.id, Thread.idea_status)
                                         .where(Thread.id.in_([thread.id, target.id]))
                                         .order_by(Thread.id).with_for_update()).all())
        if locked.get(target.id) is IdeaStatus.duplicate:
            raise Conflict(_l("That idea was just marked as a duplicate itself; merge into the idea it duplicates."))

    # Compare-and-set: two staff members changing the same idea at once cannot both win.
    changed = db.session.execute(
        update(Thread).where(Thread.id == thread.id,
                             or_(Thread.idea_status == previous, Thread.idea_status.is_(None))
                             if previous is IdeaStatus.open else Thread.idea_status == previous)
        .values(idea_status=status).execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict(_l("Someone changed this idea's status meanwhile. Please reload and try again."))
    # Who hears of it is decided before the votes move: the duplicate's voters are the ones to tell.
    audience = idea_audience(thread)
    now = utcnow()
    carried = carry_votes(thread, target) if target is not None else 0
    closed = _close_duplicate(actor, thread, now) if target is not None else False
    reopened = _reopen_former_duplicate(thread) if previous is IdeaStatus.duplicate else False
    event = IdeaStatusEvent(thread_id=thread.id, by_id=actor.id, previous=previous, status=status, reason=reason,
                            duplicate_of_id=target.id if target else None, votes_carried=carried, created_at=now)
    db.session.add(event)
    db.session.flush()
    db.session.refresh(thread)
    if target is not None:
        db.session.refresh(target)
    if closed or reopened:
        thread_locked.send(thread, by=actor, locked=closed, reason="")
    data = {"status": status.value, "previous": previous.value, "reason": reason,
            "duplicate_of_id": target.id if target else None}
    notify_many(audience, NotificationKind.idea_status, actor=actor, thread=thread, data=data)
    idea_status_changed.send(thread, by=actor, previous=previous, status=status, reason=reason, duplicate_of=target,
                             at=now)
    return event


def _lock_merge_members(source: Thread, target: Thread) -> None:
    """Hold the vote locks of both ideas' voters (in id order) before anything else.

    The vote service takes its voter's lock first (`votes.services.hold_voters`: an advisory lock, not the
    member row), then the vote row, then the thread: a merge taking the same locks first waits for votes
    under way on these ideas and makes later ones wait, instead of holding the threads while a voter holds a
    vote row it must move (a deadlock, found when votes stopped locking member rows).
    """
    voters = (select(Vote.member_id).join(Post, Post.id == Vote.post_id)
              .where(Post.thread_id.in_([source.id, target.id]), Post.number == 1))
    hold_voters(voters)


def _close_duplicate(actor: Member, thread: Thread, now) -> bool:
    """Close a merged duplicate to replies (unless it is closed already); return whether it was closed now."""
    return bool(db.session.execute(
        update(Thread).where(Thread.id == thread.id, Thread.locked_at.is_(None))
        .values(locked_at=now, locked_by_id=actor.id, locked_reason="")
        .execution_options(synchronize_session=False)).rowcount)


def _reopen_former_duplicate(thread: Thread) -> bool:
    """Reopen an idea that leaves "duplicate" if the merge closed it (not a moderator); return whether."""
    merged_at = db.session.scalar(
        select(IdeaStatusEvent.created_at)
        .where(IdeaStatusEvent.thread_id == thread.id, IdeaStatusEvent.status == IdeaStatus.duplicate)
        .order_by(IdeaStatusEvent.created_at.desc(), IdeaStatusEvent.id.desc()).limit(1))
    if merged_at is None:
        return False
    return bool(db.session.execute(
        update(Thread).where(Thread.id == thread.id, Thread.locked_at == merged_at)
        .values(locked_at=None, locked_by_id=None, locked_reason="")
        .execution_options(synchronize_session=False)).rowcount)


def _opening_post(thread: Thread) -> Post | None:
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


def carry_votes(source: Thread, target: Thread) -> int:
    """Move the votes on `source`'s opening post to `target`'s, counting no member twice; return how many.

    A member who voted on both keeps their vote on the target (their vote on the duplicate goes);
    the target's author cannot vote on their own idea, so their vote on the duplicate goes too.
    Moved votes keep their dates: they are not new votes, so neither trending nor anyone's daily
    allowance counts them twice. Both scores are then recomputed in SQL from the vote rows, so each
    equals the sum of its votes. Undoing the merge later does not move the votes back.
    """
    source_post, target_post = _opening_post(source), _opening_post(target)
    if source_post is None or target_post is None:
        return 0
    # Lock both ideas (threads, then posts: the vote service's order, ids ascending) so that a vote
    # cast meanwhile lands after our recount instead of being lost in it.
    ids = sorted([source.id, target.id])
    db.session.execute(select(Thread.id).where(Thread.id.in_(ids)).order_by(Thread.id).with_for_update())
    db.session.execute(select(Post.id).where(Post.id.in_([source_post.id, target_post.id]))
                       .order_by(Post.id).with_for_update())
    on_target = aliased(Vote)
    already = select(on_target.member_id).where(on_target.post_id == target_post.id).scalar_subquery()
    movable = [Vote.post_id == source_post.id, Vote.member_id.not_in(already)]
    if target.author_id is not None:
        movable.append(Vote.member_id != target.author_id)
    options = {"synchronize_session": False}
    moved = db.session.execute(update(Vote).where(*movable).values(post_id=target_post.id),
                               execution_options=options).rowcount or 0
    # What is left on the duplicate: members already counted on the target, and the target's author.
    db.session.execute(delete(Vote).where(Vote.post_id == source_post.id), execution_options=options)
    recount_score(source_post)
    recount_score(target_post)
    return moved


def idea_audience(thread: Thread) -> list[Member]:
    """Return who hears of a change to an idea: those who voted on it and those who follow it."""
    voters = (select(Vote.member_id).join(Post, Post.id == Vote.post_id)
              .where(Post.thread_id == thread.id, Post.number == 1))
    follows = select(ThreadFollow.member_id).where(ThreadFollow.thread_id == thread.id)
    return list(db.session.scalars(select(Member).where(or_(Member.id.in_(voters), Member.id.in_(follows)))
                                   .order_by(Member.id)))


# ---- reading -------------------------------------------------------------------------------

def status_events(thread: Thread) -> list[IdeaStatusEvent]:
    """Return an idea's status changes, oldest first, with who made them and the merge target (one query)."""
    return list(db.session.scalars(
        select(IdeaStatusEvent).where(IdeaStatusEvent.thread_id == thread.id)
        .options(joinedload(IdeaStatusEvent.by), joinedload(IdeaStatusEvent.duplicate_of))
        .order_by(IdeaStatusEvent.created_at, IdeaStatusEvent.id)))


def _trending_scores(since):
    return (select(Post.thread_id.label("thread_id"), func.sum(Vote.value).label("recent"))
            .join(Vote, Vote.post_id == Post.id)
            .where(Post.number == 1, Vote.created_at >= since)
            .group_by(Post.thread_id).subquery())


def idea_board_threads(member, board: Board, page: int = 1, sort: str = "votes",
                       status: IdeaStatus | None = None) -> Page:
    """Return a page of an idea board's ideas, sorted and optionally of one status.

    Without a status, duplicates are left out: they are merged into another idea that lists instead.
    """
    query = select(Thread).where(Thread.board_id == board.id)
    if not can_moderate(member, board):
        query = query.where(Thread.deleted_at.is_(None))
    if status is IdeaStatus.open:  # a thread moved here from another board has no status yet: open
        query = query.where(or_(Thread.idea_status == status, Thread.idea_status.is_(None)))
    elif status is not None:
        query = query.where(Thread.idea_status == status)
    else:
        query = query.where(or_(Thread.idea_status.is_(None), Thread.idea_status != IdeaStatus.duplicate))
    per_page = current_app.config["THREADS_PER_PAGE"]
    count = select(func.count()).select_from(query.subquery())
    if sort == "trending":
        since = utcnow() - timedelta(days=current_app.config["IDEA_TRENDING_DAYS"])
        recent = _trending_scores(since)
        query = query.outerjoin(recent, recent.c.thread_id == Thread.id).order_by(
            func.coalesce(recent.c.recent, 0).desc(), Thread.score.desc(), Thread.created_at.desc())
    elif sort == "new":
        query = query.order_by(Thread.created_at.desc())
    elif sort == "latest":
        query = query.order_by(Thread.last_posted_at.desc())
    else:
        query = query.order_by(Thread.score.desc(), Thread.created_at.desc())
    return paginate(query.order_by(Thread.id.desc()).options(joinedload(Thread.author), joinedload(Thread.last_poster)),
                    page, per_page, count=count)


@dataclass
class RoadmapColumn:
    status: IdeaStatus
    count: int = 0
    votes: int = 0
    ideas: list = field(default_factory=list)


@dataclass
class Roadmap:
    columns: list[RoadmapColumn]
    declined: RoadmapColumn
    reasons: dict  # thread id -> the public reason it was declined with


def roadmap(member) -> Roadmap:
    """Group the ideas the member may read by status, with counts and vote totals (four queries)."""
    statuses = ROADMAP_STATUSES + (IdeaStatus.declined,)
    readable = (Thread.deleted_at.is_(None), Thread.idea_status.in_(statuses), Board.kind == BoardKind.idea,
                readable_board_clause(member))
    columns = {status: RoadmapColumn(status) for status in statuses}
    for status, count, votes in db.session.execute(
            select(Thread.idea_status, func.count(Thread.id), func.coalesce(func.sum(Thread.score), 0))
            .join(Board, Board.id == Thread.board_id).where(*readable).group_by(Thread.idea_status)):
        columns[status].count, columns[status].votes = count, int(votes)
    limit = current_app.config["ROADMAP_IDEAS_PER_STATUS"]
    rank = func.row_number().over(partition_by=Thread.idea_status,
                                  order_by=(Thread.score.desc(), Thread.created_at.desc(), Thread.id.desc()))
    ranked = (select(Thread.id.label("id"), rank.label("rank")).join(Board, Board.id == Thread.board_id)
              .where(*readable).subquery())
    ideas = db.session.scalars(select(Thread).join(ranked, ranked.c.id == Thread.id).where(ranked.c.rank <= limit)
                               .order_by(ranked.c.rank)).unique().all()
    for idea in ideas:
        columns[idea.idea_status].ideas.append(idea)
    declined_ids = [idea.id for idea in columns[IdeaStatus.declined].ideas]
    reasons = {}
    if declined_ids:
        for thread_id, reason in db.session.execute(
                select(IdeaStatusEvent.thread_id, IdeaStatusEvent.reason)
                .where(IdeaStatusEvent.thread_id.in_(declined_ids), IdeaStatusEvent.status == IdeaStatus.declined)
                .order_by(IdeaStatusEvent.created_at, IdeaStatusEvent.id)):
            reasons[thread_id] = reason  # the latest decline wins
    return Roadmap([columns[s] for s in ROADMAP_STATUSES], columns[IdeaStatus.declined], reasons)
