"""Bookmarks: add (once per member and target), remove, set a reminder; list them; send due reminders.

What a bookmark points at is checked when it is read: the list shows a bookmark whose post or thread the
member may no longer see (moved to a staff board, deleted, hidden) as unavailable, without its title or
text, and a due reminder is sent only if the member may still see the target (through `notify`, which
asks the same predicates). Services flush; the caller commits (the scheduler commits the reminder job).
"""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload

from ..dbtypes import utcnow
from ..errors import NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import Post, Thread
from ..localtime.zones import valid_zone
from ..members.models import Member
from ..notifications.services import notify
from ..permissions import can_bookmark, can_see_source
from ..reputation.services import insert_once
from ..web import Page, paginate
from .models import Bookmark

PER_PAGE = 30
REMINDERS = ("hour", "tomorrow", "week", "custom", "none")
REMIND_HOUR = 9  # "tomorrow" and "next week" remind at 9:00 in the member's time zone
MAX_AHEAD = timedelta(days=366)
REMINDER_BATCH = 500


def target_key(*, thread: Thread | None = None, post: Post | None = None) -> str:
    return f"post:{post.id}" if post is not None else f"thread:{thread.id}"


def remind_time(choice: str | None, custom=None, now: datetime | None = None, zone: str | None = None) -> datetime | None:
    """Turn a reminder choice (hour, tomorrow, week, custom with `custom`, none) into a UTC time, or None.

    "Tomorrow 9:00" and a custom time without an offset are in the member's time `zone` (IANA name; UTC when None)."""
    now = now or utcnow()
    local = ZoneInfo(valid_zone(zone) or "UTC")
    choice = (choice or "none").strip().lower()
    if choice == "none":
        return None
    if choice == "hour":
        return now + timedelta(hours=1)
    if choice in ("tomorrow", "week"):
        day = now.astimezone(local).date() + timedelta(days=1 if choice == "tomorrow" else 7)
        return datetime.combine(day, time(REMIND_HOUR), tzinfo=local).astimezone(UTC)
    if choice == "custom":
        return _custom_time(custom, now, local)
    raise ValidationFailed(_l("Choose when to be reminded."), {"remind": _l("Choose when to be reminded.")})


def _custom_time(value, now: datetime, local=UTC) -> datetime:
    problem = {"remind_at": _l("Enter a date and time in the future, within a year (e.g. 2030-01-31 09:00).")}
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(str(value or "").strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(_l("Please correct the marked fields."), problem) from None
    when = (when.replace(tzinfo=local) if when.tzinfo is None else when).astimezone(UTC)
    if not now < when <= now + MAX_AHEAD:
        raise ValidationFailed(_l("Please correct the marked fields."), problem)
    return when


def _clean_note(note) -> str:
    note = " ".join(str(note or "").split())
    if len(note) > 255:
        raise ValidationFailed(_l("Please correct the marked fields."), {"note": _l("At most %(n)d characters.", n=255)})
    return note


def find(member, *, thread: Thread | None = None, post: Post | None = None) -> Bookmark | None:
    return db.session.scalar(select(Bookmark).where(Bookmark.member_id == member.id,
                                                    Bookmark.target == target_key(thread=thread, post=post)))


def add_bookmark(member, *, thread: Thread | None = None, post: Post | None = None, note=None,
                 remind_at: datetime | None = None) -> Bookmark:
    """Bookmark a thread or a post (once: a second time updates the note and reminder given); return it."""
    if (thread is None) == (post is None):
        raise ValueError("bookmark a thread or a post")
    if not can_bookmark(member, thread=thread, post=post):
        raise NotPermitted(_l("You cannot bookmark this."))
    values = {"member_id": member.id, "thread_id": thread.id if thread is not None else None,
              "post_id": post.id if post is not None else None, "target": target_key(thread=thread, post=post),
              "note": _clean_note(note), "remind_at": remind_at, "created_at": utcnow()}
    if insert_once(Bookmark, values, ["member_id", "target"]) is None:  # there already: update what was given
        bookmark = find(member, thread=thread, post=post)
        if note is not None:
            bookmark.note = values["note"]
        if remind_at is not None:
            set_reminder(member, bookmark, remind_at)
        db.session.flush()
        return bookmark
    return find(member, thread=thread, post=post)


def remove_bookmark(member, bookmark: Bookmark) -> None:
    """Delete one of the member's bookmarks."""
    if bookmark.member_id != member.id:
        raise NotPermitted(_l("This is not your bookmark."))
    db.session.delete(bookmark)
    db.session.flush()


def toggle_bookmark(member, *, thread: Thread | None = None, post: Post | None = None) -> Bookmark | None:
    """Bookmark the target, or remove the bookmark when there is one; return the bookmark or None."""
    found = find(member, thread=thread, post=post)
    if found is not None:
        remove_bookmark(member, found)
        return None
    return add_bookmark(member, thread=thread, post=post)


def set_reminder(member, bookmark: Bookmark, remind_at: datetime | None, note=None) -> Bookmark:
    """Set (or clear, with None) the reminder of one of the member's bookmarks; a new time reminds again."""
    if bookmark.member_id != member.id:
        raise NotPermitted(_l("This is not your bookmark."))
    bookmark.remind_at = remind_at
    bookmark.reminded_at = None
    if note is not None:
        bookmark.note = _clean_note(note)
    db.session.flush()
    return bookmark


# ---- reading ---------------------------------------------------------------------------------

def available(member, bookmark: Bookmark) -> bool:
    """Whether the member may still see what the bookmark points at (asked at read time)."""
    return can_see_source(member, thread=bookmark.thread, post=bookmark.post)


def member_bookmarks(member, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Return a page of the member's bookmarks, newest first, with their thread or post (and its thread) loaded."""
    return paginate(
        select(Bookmark).where(Bookmark.member_id == member.id)
        .options(joinedload(Bookmark.thread), joinedload(Bookmark.post).joinedload(Post.thread),
                 joinedload(Bookmark.post).joinedload(Post.author))
        .order_by(Bookmark.created_at.desc(), Bookmark.id.desc()),
        page, per_page, count=select(func.count()).select_from(Bookmark).where(Bookmark.member_id == member.id))


@lru_cache(maxsize=1)
def _bookmarked_select():
    """SQL: `member_id`'s bookmarks among the target `keys`; built once per process (every signed-in thread page)."""
    return select(Bookmark.target, Bookmark.id).where(Bookmark.member_id == bindparam("member_id"),
                                                      Bookmark.target.in_(bindparam("keys", expanding=True)))


def bookmarked_targets(member, *, thread_ids=(), post_ids=()) -> dict[str, int]:
    """Return {target key: bookmark id} of the member's bookmarks among these threads and posts, in one query."""
    keys = [f"thread:{i}" for i in thread_ids] + [f"post:{i}" for i in post_ids]
    if not keys or not getattr(member, "is_authenticated", False):
        return {}
    return dict(db.session.execute(_bookmarked_select(), {"member_id": member.id, "keys": keys}).all())


# ---- reminders (a scheduled job) -----------------------------------------------------------------

def send_due_reminders(now: datetime | None = None) -> int:
    """Notify members of their bookmarks whose reminder is due, each once, if they may still see the target."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Bookmark).where(Bookmark.remind_at <= now, Bookmark.reminded_at.is_(None))
        .order_by(Bookmark.remind_at, Bookmark.id).limit(REMINDER_BATCH)).all()
    sent = 0
    for bookmark in due:
        # Taken with a conditional UPDATE: a reminder is marked once, whoever else looks at it.
        taken = db.session.execute(
            update(Bookmark).where(Bookmark.id == bookmark.id, Bookmark.reminded_at.is_(None))
            .values(reminded_at=now).returning(Bookmark.id), execution_options={"synchronize_session": False}).first()
        if taken is None:
            continue
        member = db.session.get(Member, bookmark.member_id)
        if member is None or member.deleted_at is not None or not available(member, bookmark):
            continue
        data = {"bookmark_id": bookmark.id}
        if bookmark.note:
            data["note"] = bookmark.note
        if notify(member, "bookmark_reminder", thread=bookmark.thread, post=bookmark.post, data=data) is not None:
            sent += 1
    return sent


