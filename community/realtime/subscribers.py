"""Turn the forum's signals into live events (sent after commit; ids and states only)."""
from __future__ import annotations

from .. import signals
from ..forum.models import BoardKind
from . import emit


def _question(thread) -> bool:
    return thread.board.kind is BoardKind.question


def on_thread_created(thread, **_extra) -> None:
    if _question(thread):
        emit.staff_counters_changed()


def _room(post, hidden_too: bool = False) -> str:
    """The room that may hear of `post`: whispers go to the thread's staff room; posts awaiting approval
    (and, for scores, hidden posts) to its moderators; everything else to all its readers."""
    if getattr(post, "is_whisper", False):
        return emit.restricted_room(post.thread_id)
    if getattr(post, "pending", False) or (hidden_too and getattr(post, "hidden_at", None) is not None):
        return emit.moderation_room(post.thread_id)
    return emit.thread_room(post.thread_id)


def on_post_created(post, **_extra) -> None:
    thread = post.thread
    room = _room(post)
    emit.send("post_created", {"thread_id": post.thread_id, "post_id": post.id, "number": post.number}, room)
    if _question(thread) and thread.reply_count <= 1:
        emit.staff_counters_changed()


def _post_changed(post, why: str) -> None:
    emit.send("post_changed", {"thread_id": post.thread_id, "post_id": post.id, "why": why}, _room(post))


def on_post_edited(post, **_extra) -> None:
    _post_changed(post, "edited")


def on_post_moderated(post, **_extra) -> None:
    """Hidden, shown again, restored or approved: readers fetch the post again, with their own rights.

    A whisper stays news for the staff room, a post still awaiting approval for the moderators' room.
    """
    emit.send("post_changed", {"thread_id": post.thread_id, "post_id": post.id, "why": "moderated"}, _room(post))


def on_review_queue_changed(*_args, **_extra) -> None:
    emit.staff_counters_changed()


def on_post_deleted(post, **_extra) -> None:
    if post.is_opening:
        return  # thread_deleted follows and empties the room
    _post_changed(post, "deleted")
    if _question(post.thread):
        emit.staff_counters_changed()


def on_thread_deleted(thread, **_extra) -> None:
    emit.revoke_thread(thread.id, "deleted")
    if _question(thread):
        emit.staff_counters_changed()


def on_thread_moved(thread, previous_board=None, **_extra) -> None:
    # The new board may be read by fewer people: every reader re-joins and is checked again.
    emit.revoke_thread(thread.id, "moved")
    if _question(thread) or (previous_board is not None and previous_board.kind is BoardKind.question):
        emit.staff_counters_changed()


def on_vote_cast(post, **_extra) -> None:
    # A hidden post's score is news for moderators only: readers see its marker, not its votes.
    emit.send("score", {"thread_id": post.thread_id, "post_id": post.id, "score": post.score},
              _room(post, hidden_too=True))


def on_reactions_changed(post, **_extra) -> None:
    # Counts only (a state, like a score), to the readers who may see the post, as for scores.
    from ..reactions.services import counts_of  # noqa: PLC0415  (a feature area; realtime loads first)
    emit.send("reactions", {"thread_id": post.thread_id, "post_id": post.id,
                            "counts": counts_of([post.id]).get(post.id, {})}, _room(post, hidden_too=True))


def on_answer_accepted(post, thread=None, previous=None, **_extra) -> None:
    emit.send("answer", {"thread_id": post.thread_id, "post_id": post.id,
                         "previous_id": previous.id if previous is not None else None},
              emit.thread_room(post.thread_id))


def on_answer_unaccepted(post, **_extra) -> None:
    emit.send("answer", {"thread_id": post.thread_id, "post_id": None, "previous_id": post.id},
              emit.thread_room(post.thread_id))


def on_poll_changed(poll, **_extra) -> None:
    # Whether results show depends on the reader (voted? hidden until close?): readers fetch them.
    emit.send("poll_changed", {"thread_id": poll.thread_id, "poll_id": poll.id}, emit.thread_room(poll.thread_id))


def on_thread_locked(thread, locked=False, **_extra) -> None:
    emit.send("lock", {"thread_id": thread.id, "locked": bool(locked)}, emit.thread_room(thread.id))


def on_notification_created(notification, **_extra) -> None:
    emit.send("notification", {"id": notification.id, "kind": notification.kind},
              emit.member_room(notification.member_id))


def on_sessions_ended(member, keys=(), **_extra) -> None:
    emit.end_sessions(list(keys))


SUBSCRIPTIONS = [
    (signals.thread_created, on_thread_created),
    (signals.post_created, on_post_created),
    (signals.post_edited, on_post_edited),
    (signals.post_deleted, on_post_deleted),
    (signals.thread_deleted, on_thread_deleted),
    (signals.thread_moved, on_thread_moved),
    (signals.vote_cast, on_vote_cast),
    (signals.answer_accepted, on_answer_accepted),
    (signals.answer_unaccepted, on_answer_unaccepted),
    (signals.poll_created, on_poll_changed),
    (signals.poll_voted, on_poll_changed),
    (signals.thread_locked, on_thread_locked),
    (signals.notification_created, on_notification_created),
    (signals.sessions_ended, on_sessions_ended),
    (signals.post_hidden, on_post_moderated),
    (signals.post_unhidden, on_post_moderated),
    (signals.post_restored, on_post_moderated),
    (signals.post_approved, on_post_moderated),
    (signals.content_flagged, on_review_queue_changed),
    (signals.review_resolved, on_review_queue_changed),
    (signals.reaction_added, on_reactions_changed),
    (signals.reaction_removed, on_reactions_changed),
]


def connect() -> None:
    """Subscribe to the forum's signals (idempotent: blinker keeps one connection per receiver)."""
    for signal, receiver in SUBSCRIPTIONS:
        signal.connect(receiver)
