"""The transactional outbox: community events bound for webhooks, written with the event itself.

Each subscriber adds one `OutboxEvent` row to the session the event's service is using, so the
event and its outbox row commit together or not at all; nothing leaves the process here. The
worker (crm_bridge/webhooks.py, `flask crm worker`) delivers committed rows afterwards.

What a payload carries: webhooks are a *staff integration* (only staff and admins configure
endpoints), so a payload holds what a staff member may see in the community: post bodies of every
board including staff-only boards and staff whispers, marked with `board.visibility` and `whisper`
so a receiver can filter. It never holds what staff do not see on the forum pages either: email
addresses, passwords, coupon codes of redeemed rewards, moderation flag notes, the bodies of deleted
posts. docs/webhooks.md lists the types and fields.
"""
from __future__ import annotations

import uuid
from functools import lru_cache

from sqlalchemy import bindparam, insert, inspect, select
from sqlalchemy.orm.util import identity_key

from community import dbbatch, signals
from community.dbtypes import utcnow
from community.extensions import db
from community.forum.models import Post
from community.members.models import Member

from .models import OutboxEvent
from .subscribe import connect_all
from .thread_rows import post_thread_rows
from .timeline import event_time

# Every type an endpoint can subscribe to, in the order the staff form lists them.
EVENT_TYPES = ("member.registered", "thread.created", "thread.deleted", "post.created", "post.edited",
               "post.deleted", "vote.cast", "answer.accepted", "idea.status_changed", "content.flagged",
               "moderation.action", "badge.granted", "reward.redeemed",
               # the CRM's own records (crm_bridge/cases.py, leads.py, segments.py), for connectors and webhooks
               "case.opened", "case.changed", "case.merged", "lead.created", "lead.changed", "segment.saved",
               "segment.deleted")


def _value(obj):
    return getattr(obj, "value", obj)


def _member(member) -> dict | None:
    if member is None:
        return None
    return {"id": member.id, "username": member.username}


def _board(board) -> dict | None:
    if board is None:
        return None
    return {"id": board.id, "slug": board.slug, "kind": _value(board.kind), "visibility": _value(board.visibility)}


def _thread(thread, post=None) -> dict | None:
    if thread is None:
        return None
    return {"id": thread.id, "title": thread.title, "url": f"/t/{thread.id}", "board": _board(thread.board),
            "author": _author(thread, post), "tags": [t.name for t in (thread.tags or [])]}


@lru_cache(maxsize=1)
def _username_statement():
    return select(Member.username).where(Member.id == bindparam("member_id"))


def _author(thread, post=None) -> dict | None:
    """The thread's author as `_member` names them. Their row is not loaded for it (a wide members row on every
    reply's path) unless the session has it: a thread's author is seldom the one who writes in it. For a new
    `post`, the name comes with the thread's feedback item and case (`thread_rows.post_thread_rows`: one statement)."""
    if "author" in inspect(thread).dict or thread.author_id is None:
        return _member(thread.author)
    known = db.session.identity_map.get(identity_key(Member, thread.author_id))
    if known is not None:
        return _member(known)
    if post is not None and post.thread_id == thread.id:
        username = post_thread_rows(post)[2]
    else:
        username = db.session.scalar(_username_statement(), {"member_id": thread.author_id})
    return {"id": thread.author_id, "username": username} if username is not None else _member(thread.author)


def _post(post, with_body: bool = True) -> dict | None:
    if post is None:
        return None
    data = {"id": post.id, "thread_id": post.thread_id, "number": post.number, "url": f"/p/{post.id}",
            "author": _member(post.author), "whisper": bool(post.is_whisper),
            "reply_to_id": post.reply_to_id, "score": post.score or 0,
            "created_at": post.created_at.isoformat() if post.created_at else None}
    if with_body and post.deleted_at is None:
        data["body"] = post.body_source
    return data


def write(event_type: str, data: dict, *, at=None) -> OutboxEvent:
    """Add an outbox row for `event_type` to the current session (the caller's transaction commits it).

    The payload's `timestamp` is when the event happened (`at`: the community row's time or the signal's
    `at`, see timeline.event_time); the row's `created_at` is when it was queued, for the worker's order.
    """
    row = OutboxEvent(**_row(event_type, data, at))
    db.session.add(row)
    return row


def write_now(event_type: str, data: dict, *, at=None) -> None:
    """`write` as one core INSERT at once, for the busiest events (a vote), whose row nothing reads back."""
    dbbatch.insert(_INSERT, _row(event_type, data, at))  # with the vote's other rows (community/dbbatch.py)


def _row(event_type: str, data: dict, at) -> dict:
    event_id = str(uuid.uuid4())
    payload = {"id": event_id, "type": event_type, "timestamp": event_time(at).isoformat(), "data": data}
    return {"event_id": event_id, "type": event_type, "payload": payload, "created_at": utcnow()}


_INSERT = insert(OutboxEvent.__table__)


# ---- subscribers ---------------------------------------------------------------------------------

def on_member_registered(member, **_kw):
    write("member.registered", {"member": _member(member)}, at=member.created_at)


def on_thread_created(thread, post=None, **_kw):
    write("thread.created", {"thread": _thread(thread), "post": _post(post)},
          at=getattr(post, "created_at", None) or thread.created_at)


def on_thread_deleted(thread, by=None, **_kw):
    write("thread.deleted", {"thread": {"id": thread.id, "board": _board(thread.board)}, "by": _member(by)},
          at=thread.deleted_at)


def on_post_created(post, reply_to=None, **_kw):
    # a core INSERT, queued with the reply's other rows nothing reads back (`dbbatch.combined()`, forum.services)
    write_now("post.created", {"post": _post(post), "thread": _thread(post.thread, post)}, at=post.created_at)


def on_post_edited(post, editor=None, **_kw):
    write("post.edited", {"post": _post(post), "board": _board(post.thread.board), "editor": _member(editor)},
          at=getattr(post, "edited_at", None))


def on_post_deleted(post, by=None, **_kw):
    write("post.deleted", {"post": _post(post, with_body=False), "board": _board(post.thread.board),
                           "by": _member(by)}, at=post.deleted_at)


def on_vote_cast(post, voter=None, value=0, previous=0, at=None, **_kw):
    write_now("vote.cast", {"post": {"id": post.id, "thread_id": post.thread_id, "score": post.score or 0},
                        "voter": _member(voter), "value": value, "previous": previous}, at=at)


def on_answer_accepted(post, thread=None, by=None, previous=None, at=None, **_kw):
    write("answer.accepted", {"post": _post(post), "thread": _thread(thread or post.thread), "by": _member(by),
                              "previous_post_id": getattr(previous, "id", None)}, at=at)


def on_idea_status_changed(thread, by=None, previous=None, status=None, reason="", duplicate_of=None, at=None,
                           **_kw):
    write("idea.status_changed", {"thread": _thread(thread), "by": _member(by), "previous": _value(previous),
                                  "status": _value(status), "reason": reason or "",
                                  "duplicate_of_id": getattr(duplicate_of, "id", None)}, at=at)


def on_content_flagged(flag, item=None, hidden=False, **_kw):
    post = getattr(flag, "post", None)
    if post is None and getattr(flag, "post_id", None):
        post = db.session.get(Post, flag.post_id)
    write("content.flagged", {"flag_id": flag.id, "reason": _value(flag.reason), "flagger": _member(flag.flagger),
                              "post": _post(post, with_body=False) if post is not None else None,
                              "member_id": getattr(flag, "member_id", None), "hidden": bool(hidden)},
          at=getattr(flag, "created_at", None))


# A flag's or a report's note is what a member wrote to the moderators only: it stays inside.
_PRIVATE_REASONS = ("flag", "report_member", "flag_message")


def on_moderation_logged(action, **_kw):
    write("moderation.action", {"id": action.id, "action": action.action, "actor": _member(action.actor),
                                "member": _member(action.member), "thread_id": action.thread_id,
                                "post_id": action.post_id, "reason_code": action.reason_code,
                                "reason": "" if action.action in _PRIVATE_REASONS else action.reason},
          at=action.created_at)


def on_badge_granted(member, badge=None, grant=None, **_kw):
    write("badge.granted", {"member": _member(member),
                            "badge": {"slug": getattr(badge, "slug", None), "name": getattr(badge, "name", None),
                                      "level": _value(getattr(badge, "level", None))}},
          at=getattr(grant, "granted_at", None))


def on_reward_redeemed(redemption, member=None, reward=None, **_kw):
    write("reward.redeemed", {"redemption_id": redemption.id, "member": _member(member),
                              "reward": {"id": getattr(reward, "id", None), "name": getattr(reward, "name", None)},
                              "cost": getattr(redemption, "cost", None)}, at=redemption.created_at)


_SUBSCRIPTIONS = {
    signals.member_registered: on_member_registered,
    signals.thread_created: on_thread_created,
    signals.thread_deleted: on_thread_deleted,
    signals.post_created: on_post_created,
    signals.post_edited: on_post_edited,
    signals.post_deleted: on_post_deleted,
    signals.vote_cast: on_vote_cast,
    signals.answer_accepted: on_answer_accepted,
    signals.idea_status_changed: on_idea_status_changed,
    signals.content_flagged: on_content_flagged,
    signals.moderation_logged: on_moderation_logged,
    signals.badge_granted: on_badge_granted,
    signals.reward_redeemed: on_reward_redeemed,
}


def connect() -> None:
    connect_all(_SUBSCRIPTIONS)
