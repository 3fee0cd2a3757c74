"""Thread tools: retag, move, close and reopen, pin and unpin (trusted members and moderators, by trust
level or role), pin globally, merge and split (moderators).

The callers check the permission predicates (can_retag, can_recategorize, can_lock_thread, can_pin_thread,
can_pin_globally, can_split_thread; merge and split check theirs again); these services check the input,
write, flush and signal. They never commit.
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update

from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import Board, BoardKind, IdeaStatus, Post, Thread
from ..forum.services import check_title, parse_tags, set_tags
from ..members.models import Member
from ..permissions import can_merge_threads, can_moderate, can_move_thread_to, can_split_thread, can_start_thread
from ..signals import thread_locked, thread_moved, thread_pinned, thread_retagged, thread_split, threads_merged
from .inputs import checked_text
from .log import log_action

LOCK_REASON_MAX = 255
PIN_MAX_DAYS = 365


def retag_thread(actor: Member, thread: Thread, raw_tags) -> bool:
    """Give `thread` the tags in `raw_tags`; return whether they changed."""
    names = parse_tags(raw_tags)
    previous = [tag.name for tag in thread.tags]
    if sorted(previous) == sorted(names):
        return False
    set_tags(thread, names)
    thread_retagged.send(thread, by=actor, previous=previous)
    return True


def move_thread(actor: Member, thread: Thread, board: Board | None) -> Thread:
    """Move `thread` to `board`, carrying its thread and post counts from one board to the other."""
    if board is None or not can_move_thread_to(actor, thread, board):
        if board is not None and board.id == thread.board_id:
            raise ValidationFailed(_l("The thread is already on that board."),
                                   {"board": _l("The thread is already on that board.")})
        raise ValidationFailed(_l("Please choose a board you can post in."),
                               {"board": _l("Please choose a board you can post in.")})
    previous_board = thread.board
    # Moving the row and reading its counts in one statement: a reply arriving at the same time
    # waits for this row lock, so the counts carried over are the ones that stay with the thread.
    values = {"board_id": board.id}
    if board.kind is BoardKind.idea and thread.idea_status is None:
        values["idea_status"] = IdeaStatus.open  # ideas always carry a public status
    moved = db.session.execute(
        update(Thread).where(Thread.id == thread.id, Thread.board_id == previous_board.id).values(**values)
        .returning(Thread.reply_count, Thread.deleted_at, Thread.hidden_at, Thread.pending, Thread.last_posted_at)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        raise Conflict(_l("The thread was moved by someone else in the meantime. Please reload the page."))
    # A deleted, hidden or pending thread's counts have left its board already; showing it again
    # (restore, unhide, approve) adds them to the board it is on then.
    if moved.deleted_at is None and moved.hidden_at is None and not moved.pending:
        posts = 1 + moved.reply_count
        db.session.execute(update(Board).where(Board.id == previous_board.id).values(
            thread_count=Board.thread_count - 1, post_count=Board.post_count - posts))
        db.session.execute(update(Board).where(Board.id == board.id).values(
            thread_count=Board.thread_count + 1, post_count=Board.post_count + posts,
            last_posted_at=case((Board.last_posted_at.is_(None), moved.last_posted_at),
                                (Board.last_posted_at < moved.last_posted_at, moved.last_posted_at),
                                else_=Board.last_posted_at)))
    db.session.expire(thread)
    db.session.expire(previous_board, ["thread_count", "post_count"])
    db.session.expire(board, ["thread_count", "post_count", "last_posted_at"])
    thread_moved.send(thread, by=actor, previous_board=previous_board)
    return thread


def _reason(reason) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > LOCK_REASON_MAX:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"reason": _l("The reason may have at most %(n)d characters.", n=LOCK_REASON_MAX)})
    return reason


def lock_thread(actor: Member, thread: Thread, reason: str = "") -> Thread:
    """Close `thread` to new replies, with a reason shown in the thread."""
    reason = _reason(reason)
    if thread.is_locked:
        raise Conflict(_l("This thread is closed already."))
    thread.locked_at, thread.locked_by_id, thread.locked_reason = utcnow(), actor.id, reason
    db.session.flush()
    thread_locked.send(thread, by=actor, locked=True, reason=reason)
    return thread


def unlock_thread(actor: Member, thread: Thread) -> Thread:
    """Reopen a closed thread."""
    if not thread.is_locked:
        raise Conflict(_l("This thread is open already."))
    thread.locked_at, thread.locked_by_id, thread.locked_reason = None, None, ""
    db.session.flush()
    thread_locked.send(thread, by=actor, locked=False, reason="")
    return thread


def _pin_days(raw) -> int | None:
    if raw is None or str(raw).strip() == "":
        return None
    raw = str(raw).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= PIN_MAX_DAYS:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"days": _l("Pin for a whole number of days from 1 to %(n)d, or leave it empty "
                                           "to pin until unpinned.", n=PIN_MAX_DAYS)})
    return int(raw)


def pin_thread(actor: Member, thread: Thread, days=None) -> Thread:
    """Pin `thread` to the top of its board, for `days` days or until unpinned."""
    days = _pin_days(days)
    now = utcnow()
    thread.pinned_at = now
    thread.pinned_until = now + timedelta(days=days) if days else None
    db.session.flush()
    thread_pinned.send(thread, by=actor, pinned=True, globally=bool(thread.pinned_globally), until=thread.pinned_until)
    return thread


def unpin_thread(actor: Member, thread: Thread) -> Thread:
    """Take `thread` off the top of its board."""
    if not is_pinned(thread):
        raise Conflict(_l("This thread is not pinned."))
    thread.pinned_at = thread.pinned_until = None
    globally, thread.pinned_globally = bool(thread.pinned_globally), False
    db.session.flush()
    thread_pinned.send(thread, by=actor, pinned=False, globally=globally, until=None)
    return thread


def is_pinned(thread: Thread, now=None) -> bool:
    """Whether `thread` is pinned now (a pin with an expiry ends by itself)."""
    if thread.pinned_at is None:
        return False
    return thread.pinned_until is None or thread.pinned_until > (now or utcnow())


def move_targets(member: Member, thread: Thread) -> list[Board]:
    """Return the boards `member` may move `thread` to, in display order."""
    boards = db.session.scalars(select(Board).order_by(Board.position, Board.name)).all()
    return [board for board in boards if can_move_thread_to(member, thread, board)]


def pin_globally(moderator: Member, thread: Thread, days=None) -> Thread:
    """Pin `thread` on top of every list it appears in (latest, home), for `days` days or until unpinned."""
    thread.pinned_globally = True
    return pin_thread(moderator, thread, days)


def _move_posts(posts: list[Post], target: Thread, first_number: int) -> None:
    """Give `posts` (in order) to `target`, numbered from `first_number`; votes and history follow the ids."""
    for offset, post in enumerate(posts):
        db.session.execute(update(Post).where(Post.id == post.id)
                           .values(thread_id=target.id, number=first_number + offset)
                           .execution_options(synchronize_session=False))
    for post in posts:
        db.session.expire(post)


def _recount_thread(thread: Thread) -> None:
    """Set a thread's reply count, last post and post sequence from its posts (after posts moved)."""
    counted_posts = select(Post).where(Post.thread_id == thread.id, Post.deleted_at.is_(None),
                                       Post.hidden_at.is_(None), Post.pending.is_(False),
                                       Post.is_whisper.is_(False)).subquery()
    replies = db.session.scalar(select(func.count()).select_from(counted_posts).where(counted_posts.c.number > 1))
    last = db.session.execute(select(counted_posts.c.created_at, counted_posts.c.author_id)
                              .order_by(counted_posts.c.created_at.desc()).limit(1)).first()
    top = db.session.scalar(select(func.max(Post.number)).where(Post.thread_id == thread.id)) or 0
    values = {"reply_count": replies}
    if top > (thread.post_seq or 0):
        values["post_seq"] = top
    if last is not None:
        values["last_posted_at"], values["last_poster_id"] = last.created_at, last.author_id
    opening_score = db.session.scalar(select(Post.score).where(Post.thread_id == thread.id, Post.number == 1))
    if opening_score is not None:
        values["score"] = opening_score
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.expire(thread)


def _board_delta(board_id: int, threads: int, posts: int) -> None:
    if threads or posts:
        db.session.execute(update(Board).where(Board.id == board_id).values(
            thread_count=Board.thread_count + threads, post_count=Board.post_count + posts))


def merge_threads(moderator: Member, source: Thread, target: Thread, reason: str = "") -> Thread:
    """Move every post of `source` to the end of `target`, in their order; `source` is closed and points there.

    The posts keep their ids, so their votes, edit history and mentions stay with them.
    """
    if not can_merge_threads(moderator, source, target):
        raise ValidationFailed(_l("Please choose another live thread that you moderate."),
                               {"target": _l("Please choose another live thread that you moderate.")})
    reason = checked_text(reason, "reason")
    posts = list(db.session.scalars(select(Post).where(Post.thread_id == source.id).order_by(Post.number)))
    live_before = {"source": _live_posts(source), "target": _live_posts(target)}
    # Take the next numbers of the target in one statement, so a reply arriving meanwhile keeps its own.
    top = db.session.execute(update(Thread).where(Thread.id == target.id)
                             .values(post_seq=Thread.post_seq + len(posts)).returning(Thread.post_seq)).scalar_one()
    _move_posts(posts, target, top - len(posts) + 1)
    now = utcnow()
    db.session.execute(update(Thread).where(Thread.id == source.id).values(
        deleted_at=now, deleted_by_id=moderator.id, merged_into_id=target.id, accepted_post_id=None,
        reply_count=0).execution_options(synchronize_session=False))
    db.session.expire(source)
    _recount_thread(target)
    # Counts: the source thread leaves its board; its live posts join the target's board.
    live_after = _live_posts(target)
    moved_live = live_after - live_before["target"]
    if source.board_id == target.board_id:
        _board_delta(source.board_id, -1 if live_before["source"] else 0, 0)
    else:
        _board_delta(source.board_id, -1 if live_before["source"] else 0, -live_before["source"])
        _board_delta(target.board_id, 0, moved_live)
    if source.author_id is not None and live_before["source"]:
        db.session.execute(update(Member).where(Member.id == source.author_id)
                           .values(thread_count=Member.thread_count - 1))
    log_action(moderator, "merge", thread=target, reason_code="manual", reason=reason,
               data={"source_id": source.id, "source_title": source.title, "posts": len(posts)})
    threads_merged.send(target, source=source, by=moderator, post_ids=[p.id for p in posts])
    return target


def _live_posts(thread: Thread) -> int:
    """The posts of a live, visible thread that its board counts (0 for a deleted or hidden thread)."""
    db.session.refresh(thread)
    if thread.deleted_at is not None or thread.hidden_at is not None or thread.pending:
        return 0
    return 1 + (thread.reply_count or 0)


def split_thread(moderator: Member, source: Thread, post_ids, title: str, board: Board | None = None,
                 reason: str = "") -> Thread:
    """Move the chosen replies of `source` into a new thread, in their order; the first opens it."""
    if not can_split_thread(moderator, source):
        raise NotPermitted(_l("You cannot split this thread."))
    board = board or source.board
    if board.id != source.board_id and not (can_moderate(moderator, board) and can_start_thread(moderator, board)):
        raise ValidationFailed(_l("Please choose a board you moderate."), {"board": _l("Please choose a board you moderate.")})
    try:
        ids = sorted({int(i) for i in post_ids})
    except (TypeError, ValueError):
        ids = []
    posts = list(db.session.scalars(select(Post).where(Post.id.in_(ids), Post.thread_id == source.id)
                                    .order_by(Post.number))) if ids else []
    if not posts or len(posts) != len(ids):
        raise ValidationFailed(_l("Please choose replies of this thread."), {"posts": _l("Please choose replies of this thread.")})
    if any(post.is_opening for post in posts):
        raise ValidationFailed(_l("The opening post stays with its thread."),
                               {"posts": _l("The opening post stays with its thread.")})
    if not posts[0].is_public:
        raise ValidationFailed(_l("The first chosen post opens the new thread, so it must be visible to everyone."),
                               {"posts": _l("The first chosen post must be visible to everyone.")})
    title = check_title(title)
    reason = checked_text(reason, "reason")
    live_before = _live_posts(source)
    first = posts[0]
    thread = Thread(board_id=board.id, author_id=first.author_id, title=title, created_at=first.created_at,
                    last_posted_at=first.created_at, last_poster_id=first.author_id, post_seq=0)
    if board.kind.value == "idea":
        thread.idea_status = IdeaStatus.open
    db.session.add(thread)
    db.session.flush()
    _move_posts(posts, thread, 1)
    _recount_thread(thread)
    _recount_thread(source)
    if source.accepted_post_id in ids:
        db.session.execute(update(Thread).where(Thread.id == source.id).values(accepted_post_id=None))
        db.session.expire(source)
    live_source, live_new = _live_posts(source), _live_posts(thread)
    if board.id == source.board_id:
        _board_delta(board.id, 1, live_source + live_new - live_before)
    else:
        _board_delta(source.board_id, 0, live_source - live_before)
        _board_delta(board.id, 1, live_new)
    if first.author_id is not None:
        db.session.execute(update(Member).where(Member.id == first.author_id).values(
            thread_count=Member.thread_count + 1))
    log_action(moderator, "split", thread=thread, reason_code="manual", reason=reason,
               data={"source_id": source.id, "posts": len(posts)})
    thread_split.send(thread, source=source, by=moderator, post_ids=ids)
    return thread
