"""/api/v1/bookmarks (list, create) and /api/v1/bookmarks/{item_id} (change the reminder or note, delete), and
PUT /api/v1/posts/{post_id}/reaction: the members' tools, on the same services and predicates as the pages.

A bookmark whose thread or post the caller may no longer see is listed with `available: false` and no title,
URL or text (asked at read time, as on /bookmarks).
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..bookmarks import services as bookmarks
from ..bookmarks.models import Bookmark
from ..extensions import db
from ..forum.models import Post, Thread
from ..permissions import can_bookmark
from ..reactions import services as reactions
from ..reactions.kinds import KINDS
from ..web import post_url
from .core import ApiError, int_arg, json_body, listing, not_found, ok, operation, paged, require_member
from .openapi import BOOL, INT, NINT, NSTR, NTIME, SCHEMAS, STR, TIME, list_schema, object_schema

REMIND = {"type": ["string", "null"], "enum": [*bookmarks.REMINDERS, None],
          "description": "hour, tomorrow (9:00 UTC), week (in 7 days, 9:00 UTC), custom (with remind_at), none"}
REMIND_AT = {"type": ["string", "null"], "format": "date-time", "maxLength": 40}
NOTE = {"type": "string", "maxLength": 255}
CREATE_BODY = {"type": "object", "properties": {"thread_id": NINT, "post_id": NINT, "note": NOTE, "remind": REMIND,
                                                "remind_at": REMIND_AT}}
UPDATE_BODY = {"type": "object", "properties": {"note": NOTE, "remind": REMIND, "remind_at": REMIND_AT}}
REACTION_BODY = {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string", "enum": list(KINDS)}}}
PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000}}
ITEM = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1,
                                                                       "maximum": 2147483647}}
POST_ID = {"name": "post_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1,
                                                                          "maximum": 2147483647}}
SCHEMAS["Bookmark"] = object_schema({
    "id": INT, "target": {"enum": ["thread", "post"]}, "thread_id": NINT, "post_id": NINT, "available": BOOL,
    "title": NSTR, "url": NSTR, "note": STR, "remind_at": NTIME, "reminded_at": NTIME, "created_at": TIME})
SCHEMAS["BookmarkList"] = list_schema("Bookmark")
SCHEMAS["Reactions"] = object_schema({"post_id": INT, "counts": {"type": "object", "additionalProperties": INT},
                                      "mine": {"type": ["string", "null"], "enum": [*KINDS, None]}})


def _iso(value):
    return value.isoformat() if value is not None else None


def bookmark_json(member, bookmark: Bookmark) -> dict:
    available = bookmarks.available(member, bookmark)
    if bookmark.post is not None:
        title = f"{bookmark.post.thread.title} #{bookmark.post.number}"
        url = post_url(bookmark.post)
    else:
        title, url = bookmark.thread.title, f"/t/{bookmark.thread_id}"
    return {"id": bookmark.id, "target": "post" if bookmark.post_id else "thread", "thread_id": bookmark.thread_id,
            "post_id": bookmark.post_id, "available": available, "title": title if available else None,
            "url": url if available else None, "note": bookmark.note if available else "",
            "remind_at": _iso(bookmark.remind_at), "reminded_at": _iso(bookmark.reminded_at),
            "created_at": _iso(bookmark.created_at)}


def _remind_at(data: dict, default=None):
    if "remind_at" in data and data.get("remind") in (None, "custom"):
        value = data["remind_at"]
        return None if value is None else bookmarks.remind_time("custom", value)
    if data.get("remind") is not None:
        return bookmarks.remind_time(data["remind"])
    return default


@operation("GET", "/bookmarks", summary="Your bookmarks, newest first", tag="members", auth="read", params=[PAGE],
           response="BookmarkList", errors=(400, 401, 403, 404))
def list_bookmarks():
    member = require_member("read")
    found = paged(bookmarks.member_bookmarks, member, int_arg("page"))
    return ok(listing([bookmark_json(member, b) for b in found.items], found))


@operation("POST", "/bookmarks", summary="Bookmark a thread or a post (again: update its note and reminder)",
           tag="members", auth="write", body=CREATE_BODY, response="Bookmark", status=201, errors=(401, 403, 404),
           limit="60 per minute")
def create_bookmark():
    member = require_member("write")
    data = json_body(CREATE_BODY)
    thread_id, post_id = data.get("thread_id"), data.get("post_id")
    if (thread_id is None) == (post_id is None):
        raise ApiError(422, _("Please correct the marked fields."), code="validation_failed",
                       fields={"thread_id": _("Give a thread_id or a post_id, not both.")})
    thread = db.session.get(Thread, thread_id) if thread_id is not None and thread_id < 2**31 else None
    post = db.session.get(Post, post_id) if post_id is not None and post_id < 2**31 else None
    if (thread or post) is None or not can_bookmark(member, thread=thread, post=post):
        not_found()
    bookmark = bookmarks.add_bookmark(member, thread=thread, post=post, note=data.get("note"),
                                      remind_at=_remind_at(data))
    db.session.commit()
    return ok(bookmark_json(member, bookmark), 201)


def _own(member, item_id: int) -> Bookmark:
    bookmark = db.session.get(Bookmark, item_id)
    if bookmark is None or bookmark.member_id != member.id:
        not_found()
    return bookmark


@operation("PATCH", "/bookmarks/{item_id}", summary="Change a bookmark's reminder or note", tag="members",
           auth="write", body=UPDATE_BODY, params=[ITEM], response="Bookmark", errors=(401, 403, 404),
           limit="60 per minute")
def update_bookmark(item_id: int):
    member = require_member("write")
    data = json_body(UPDATE_BODY)
    bookmark = _own(member, item_id)
    remind_at = _remind_at(data, default=bookmark.remind_at)
    if remind_at != bookmark.remind_at or "note" in data:
        bookmarks.set_reminder(member, bookmark, remind_at, note=data.get("note"))
    db.session.commit()
    return ok(bookmark_json(member, bookmark))


@operation("DELETE", "/bookmarks/{item_id}", summary="Remove a bookmark", tag="members", auth="write", params=[ITEM],
           status=204, errors=(401, 403, 404), limit="60 per minute")
def delete_bookmark(item_id: int):
    member = require_member("write")
    bookmarks.remove_bookmark(member, _own(member, item_id))
    db.session.commit()
    return "", 204


@operation("PUT", "/posts/{post_id}/reaction", summary="React to a post (the same reaction again takes it back)",
           tag="forum", auth="write", body=REACTION_BODY, params=[POST_ID], response="Reactions",
           errors=(401, 403, 404, 410), limit="60 per minute; 1000 per hour")
def react(post_id: int):
    member = require_member("write")
    post = db.session.get(Post, post_id)
    if post is None or not reactions.visible_to(member, post):
        not_found()
    data = json_body(REACTION_BODY)
    state = reactions.react(member, post, reactions.parse_kind(data["kind"]))
    db.session.commit()
    return ok({"post_id": post.id, "counts": state.counts, "mine": state.mine})
