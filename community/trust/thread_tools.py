"""What trusted members and moderators may do to a thread: retag, move, close and reopen, pin and unpin.

The callers check the permission predicates (can_retag, can_recategorize, can_lock_thread,
can_pin_thread); these services check the input, write, flush and signal. They never commit.
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select, update

from ..dbtypes import utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..forum.models import Board, BoardKind, IdeaStatus, Thread
from ..forum.services import parse_tags, set_tags
from ..members.models import Member
from ..permissions import can_move_thread_to
from ..signals import thread_locked, thread_moved, thread_pinned, thread_retagged

REASON_MAX = 255
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
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"reason": _l("The reason may have at most %(n)d characters.", n=REASON_MAX)})
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


def _days(raw) -> int | None:
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
    days = _days(days)
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
