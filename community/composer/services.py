"""Drafts (save as one types, restore, discard on submit), the preview and the @/# completions.

Services do not commit. A draft's place is shown to its member only while they may still see it:
`draft_places` asks the permission predicates at read time.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import joinedload

from ..dbtypes import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..forum import services as forum
from ..forum.models import Board, Post, Tag, Thread, ThreadTag
from ..members.models import Member
from ..permissions import (
    can_edit_post,
    can_view_board,
    can_view_post,
    can_view_thread,
    public_thread_clause,
    readable_board_clause,
)
from .models import Draft

KEY_RE = re.compile(r"^(thread|board|post|conversation):([1-9][0-9]{0,9}|new)$")
MAX_DRAFT_LENGTH = 100_000
MAX_DRAFTS = 200
SUGGESTIONS = 8


# ---- drafts ------------------------------------------------------------------------------------------

def check_key(key: str) -> str:
    """Return `key` when it names a place a draft belongs to (see docs/architecture.md), else refuse."""
    match = KEY_RE.match(key or "")
    if not match or (match.group(2) == "new" and match.group(1) != "conversation"):
        raise ValidationFailed(_l("This is not a place a draft can belong to."),
                               {"key": _l("thread:<id>, board:<id>, post:<id>, conversation:<id> or conversation:new")})
    return key


def get_draft(member: Member, key: str) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.member_id == member.id, Draft.key == check_key(key)))


def save_draft(member: Member, key: str, body: str) -> Draft | None:
    """Keep what `member` typed for `key`; an empty body discards the draft (returns None)."""
    check_key(key)
    if len(body) > MAX_DRAFT_LENGTH:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"body": _l("A draft may have at most %(n)d characters.", n=MAX_DRAFT_LENGTH)})
    draft = get_draft(member, key)
    if not body.strip():
        if draft is not None:
            db.session.delete(draft)
        return None
    if draft is None:
        count = db.session.scalar(select(func.count()).select_from(Draft).where(Draft.member_id == member.id))
        if count >= MAX_DRAFTS:
            raise ValidationFailed(_l("You have %(n)d drafts already: please send or delete some first.", n=count))
        draft = Draft(member_id=member.id, key=key)
        db.session.add(draft)
    draft.body, draft.updated_at = body, utcnow()
    db.session.flush()
    return draft


def discard_draft(member, key: str) -> None:
    """Forget `member`'s draft for `key` (the text was sent)."""
    if member is None or not getattr(member, "id", None):
        return
    if any(isinstance(obj, Draft) for obj in db.session()):  # its new and loaded objects
        # a loaded draft: the ORM's synchronisation marks it deleted (it evaluates literal criteria only)
        db.session.execute(delete(Draft).where(Draft.member_id == member.id, Draft.key == key))
    else:  # every reply asks (its thread's draft): the statement built once
        db.session.execute(_DISCARD, {"member_id": member.id, "key": key})


_DISCARD = (delete(Draft).where(Draft.member_id == bindparam("member_id"), Draft.key == bindparam("key"))
            .execution_options(synchronize_session=False))


def member_drafts(member: Member) -> list[Draft]:
    return list(db.session.scalars(select(Draft).where(Draft.member_id == member.id)
                                   .order_by(Draft.updated_at.desc(), Draft.id.desc())))


@dataclass
class Place:
    label: str
    url: str | None


def _thread_place(member, thread_id: int) -> Place | None:
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can_view_thread(member, thread):
        return None
    return Place(str(_l("Reply in “%(title)s”", title=thread.title)),
                 url_for("forum.reply", thread_id=thread.id))


def _board_place(member, board_id: int) -> Place | None:
    board = db.session.get(Board, board_id)
    if board is None or not can_view_board(member, board):
        return None
    return Place(str(_l("New thread in %(board)s", board=board.local_name)), url_for("forum.new_thread", slug=board.slug))


def _post_place(member, post_id: int) -> Place | None:
    post = db.session.get(Post, post_id)
    if post is None or not can_view_post(member, post) or not can_view_thread(member, post.thread):
        return None
    url = url_for("forum.edit", post_id=post.id) if can_edit_post(member, post) else None
    return Place(str(_l("Edit of post #%(n)d in “%(title)s”", n=post.number, title=post.thread.title)), url)


# Where a draft of each kind belongs: (member, id or "new") -> Place, or None when the member may not
# see it (then the page says only that the place is gone). Areas with their own kind add theirs here.
PLACES: dict[str, Callable] = {"thread": _thread_place, "board": _board_place, "post": _post_place}


def draft_place(member, draft: Draft) -> Place:
    """Where `draft` belongs, as far as `member` may know it now."""
    kind, _sep, ident = draft.key.partition(":")
    resolver = PLACES.get(kind)
    if resolver is None:
        return Place(str(_l("A private conversation")) if kind == "conversation" else draft.key, None)
    place = resolver(member, int(ident) if ident.isdigit() else ident)
    return place or Place(str(_l("A place you can no longer see")), None)


def drafts_with_places(member: Member) -> list[tuple[Draft, Place]]:
    """The member's drafts, newest first, each with its place (loaded a kind at a time, not a draft at a time)."""
    drafts = member_drafts(member)
    ids: dict[str, list[int]] = {}
    for draft in drafts:
        kind, _sep, ident = draft.key.partition(":")
        if ident.isdigit():
            ids.setdefault(kind, []).append(int(ident))
    loads = {"thread": (Thread, [joinedload(Thread.board)]), "board": (Board, []),
             "post": (Post, [joinedload(Post.thread).joinedload(Thread.board)])}
    held = []  # the session's identity map holds rows weakly: keep them while the resolvers get() them
    for kind, (model, options) in loads.items():
        if ids.get(kind):
            held += db.session.scalars(select(model).where(model.id.in_(ids[kind])).options(*options)).unique().all()
    places = [(draft, draft_place(member, draft)) for draft in drafts]
    del held
    return places


def export_drafts(member: Member) -> list[dict]:
    """The member's drafts for their data export (where they belong, as far as the member may see)."""
    rows = []
    for draft, place in drafts_with_places(member):
        rows.append({"key": draft.key, "place": place.label, "updated_at": draft.updated_at.isoformat(),
                     "body": draft.body})
    return rows


def on_member_deleting(member, **_kwargs) -> None:
    """An account being deleted takes its drafts along."""
    db.session.execute(delete(Draft).where(Draft.member_id == member.id))


def on_thread_created(thread, post=None, **_kwargs) -> None:
    discard_draft(thread.author, f"board:{thread.board_id}")


def on_post_created(post, **_kwargs) -> None:
    discard_draft(post.author, f"thread:{post.thread_id}")


def on_post_edited(post, editor=None, **_kwargs) -> None:
    discard_draft(editor, f"post:{post.id}")


# ---- preview and completion -----------------------------------------------------------------------------

def preview(body: str) -> str:
    """Render `body` exactly as a saved post would be (mentions of existing members linked)."""
    return forum.render_body(body).html


def _prefix_pattern(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def suggest_members(prefix: str, limit: int = SUGGESTIONS) -> list[Member]:
    """Active members whose username or display name starts with `prefix` (casefolded), best first."""
    key = prefix.strip().lstrip("@").casefold()[:32]
    if not key:
        return []
    pattern = _prefix_pattern(key)
    rows = db.session.scalars(
        select(Member).where(Member.deleted_at.is_(None),
                             or_(Member.suspended_until.is_(None), Member.suspended_until < utcnow()),
                             or_(Member.username_key.like(pattern, escape="\\"),
                                 func.lower(Member.display_name).like(pattern, escape="\\")))
        .order_by(Member.post_count.desc(), Member.username_key).limit(limit * 3))
    # lower() in SQLite folds ASCII only: check the casefolded forms here, and drop what only matched loosely.
    found = [m for m in rows if m.username_key.startswith(key) or (m.display_name or "").casefold().startswith(key)]
    return found[:limit]


def suggest_tags(member, prefix: str, limit: int = SUGGESTIONS) -> list[str]:
    """Tags starting with `prefix` that are on a thread `member` may read, most used first."""
    key = prefix.strip().lstrip("#").casefold()[:32]
    if not key:
        return []
    uses = func.count(ThreadTag.thread_id)
    rows = db.session.execute(
        select(Tag.name, uses).join(ThreadTag, ThreadTag.tag_id == Tag.id)
        .join(Thread, Thread.id == ThreadTag.thread_id).join(Thread.board)
        .where(Tag.name.like(_prefix_pattern(key), escape="\\"), readable_board_clause(member), public_thread_clause())
        .group_by(Tag.name).order_by(uses.desc(), Tag.name).limit(limit))
    return [name for name, _count in rows]
