"""The moderation log also records what other areas' tools did (thread tools, moderators' edits and deletes)."""
from __future__ import annotations

from ..signals import post_deleted, post_edited, thread_locked, thread_moved, thread_pinned, thread_retagged
from .log import log_action

_connected = False


def connect() -> None:
    """Subscribe once per process (signals are process-wide; tests build several apps)."""
    global _connected
    if _connected:
        return
    thread_locked.connect(_on_locked)
    thread_pinned.connect(_on_pinned)
    thread_moved.connect(_on_moved)
    thread_retagged.connect(_on_retagged)
    post_edited.connect(_on_edited)
    post_deleted.connect(_on_deleted)
    _connected = True


def _log(*args, **kwargs):
    log_action(*args, **kwargs)


def _on_locked(thread, by=None, locked=True, reason="", **_):
    _log(by, "lock" if locked else "unlock", thread=thread, member=thread.author, reason_code="manual", reason=reason)


def _on_pinned(thread, by=None, pinned=True, globally=False, until=None, **_):
    _log(by, "pin" if pinned else "unpin", thread=thread, reason_code="manual",
         data={"globally": bool(globally), "until": until.isoformat() if until else None})


def _on_moved(thread, by=None, previous_board=None, **_):
    _log(by, "move", thread=thread, reason_code="manual",
         data={"from": previous_board.slug if previous_board is not None else None, "to": thread.board.slug})


def _on_retagged(thread, by=None, previous=None, **_):
    _log(by, "retag", thread=thread, reason_code="manual", data={"previous": list(previous or [])})


def _on_edited(post, editor=None, revision=None, **_):
    if editor is not None and editor.id != post.author_id:  # a member fixing their own post is not moderation
        _log(editor, "edit", post=post, member=post.author, reason_code="manual",
             reason=revision.reason if revision is not None else "")


def _on_deleted(post, by=None, **_):
    if by is not None and by.id != post.author_id:
        _log(by, "delete", post=post, member=post.author, reason_code="manual")
