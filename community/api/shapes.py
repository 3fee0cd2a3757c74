"""The JSON shape of each resource (the same shapes openapi.py documents)."""
from __future__ import annotations

from flask import url_for

from ..moderation.thread_tools import is_pinned
from ..web import post_url


def _iso(value):
    return value.isoformat() if value is not None else None


def member_ref(member) -> dict | None:
    if member is None:
        return None
    return {"id": member.id, "username": member.username, "name": member.name}


def member_json(member, *, private: bool = False) -> dict:
    data = {"id": member.id, "username": member.username, "display_name": member.display_name or "",
            "bio": member.bio or "", "role": member.role.value, "created_at": _iso(member.created_at),
            "post_count": member.post_count, "thread_count": member.thread_count,
            "reputation": member.reputation, "trust_level": member.trust_level,
            "url": url_for("members.profile", username=member.username)}
    if private:
        data.update(email=member.email, locale=member.locale, points=member.points,
                    silenced_until=_iso(member.silenced_until))
    return data


def board_json(board) -> dict:
    return {"id": board.id, "slug": board.slug, "name": board.name, "description": board.description or "",
            "kind": board.kind.value, "visibility": board.visibility.value, "thread_count": board.thread_count,
            "post_count": board.post_count, "last_posted_at": _iso(board.last_posted_at),
            "url": url_for("forum.board", slug=board.slug)}


def thread_json(thread) -> dict:
    board = thread.board
    return {"id": thread.id, "title": thread.title, "url": url_for("forum.thread", thread_id=thread.id),
            "board": {"id": board.id, "slug": board.slug, "name": board.name, "kind": board.kind.value},
            "author": member_ref(thread.author), "created_at": _iso(thread.created_at),
            "last_posted_at": _iso(thread.last_posted_at), "reply_count": thread.reply_count,
            "score": thread.score, "tags": [tag.name for tag in thread.tags], "locked": thread.is_locked,
            "pinned": is_pinned(thread), "solved": thread.is_solved, "accepted_post_id": thread.accepted_post_id,
            "idea_status": thread.idea_status.value if thread.idea_status else None,
            "deleted": thread.is_deleted, "hidden": thread.is_hidden, "pending": bool(thread.pending)}


def post_json(post, my_vote: int = 0) -> dict:
    return {"id": post.id, "thread_id": post.thread_id, "number": post.number, "url": post_url(post),
            "author": member_ref(post.author), "body": post.body_source, "body_html": post.body_html,
            "reply_to": post.reply_to_id, "created_at": _iso(post.created_at), "edited_at": _iso(post.edited_at),
            "score": post.score, "my_vote": my_vote, "official": bool(post.is_official),
            "whisper": bool(post.is_whisper), "deleted": post.is_deleted, "hidden": post.is_hidden,
            "pending": bool(post.pending)}


def token_json(token, secret: str | None = None) -> dict:
    data = {"id": token.id, "kind": token.kind.value, "name": token.name, "prefix": token.prefix,
            "scopes": token.scope_list, "member": member_ref(token.member), "created_at": _iso(token.created_at),
            "expires_at": _iso(token.expires_at), "last_used_at": _iso(token.last_used_at)}
    if secret is not None:
        data["token"] = secret  # shown once, never again
    return data


def notification_json(n, url: str) -> dict:
    return {"id": n.id, "kind": n.kind, "actor": member_ref(n.actor), "thread_id": n.thread_id,
            "post_id": n.post_id, "data": n.data or {}, "created_at": _iso(n.created_at), "read": n.is_read,
            "url": url}


def review_item_json(item) -> dict:
    return {"id": item.id, "kind": item.kind.value, "status": item.status.value, "weight": item.weight,
            "post": {"id": item.post.id, "url": post_url(item.post), "thread_id": item.post.thread_id,
                     "author": member_ref(item.post.author)} if item.post is not None else None,
            "member": member_ref(item.member), "created_at": _iso(item.created_at),
            "flags": [{"id": flag.id, "reason": flag.reason.value, "note": flag.note or "",
                       "created_at": _iso(flag.created_at)} for flag in item.flags]}
