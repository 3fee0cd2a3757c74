"""Boards and roles, as the admin pages, the API and the `flask community` commands change them.

Services check their input, flush and send a signal; they never commit (the view, API call or command
does). Bad input raises `ValidationFailed` naming each field, before anything is written.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import BOARD_SORTS, Board, BoardKind, StartPolicy, Thread, Visibility
from ..groups import services as groups
from ..members.models import Member, Role, username_key
from ..members.registration import staff_domain_problem
from ..moderation.log import log_action
from ..moderation.models import ModerationAction
from ..permissions import can_set_role
from ..signals import board_changed, member_role_changed, thread_moved
from ..web import paginate

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
NAME_MAX = 100
DESCRIPTION_MAX = 2000
MAX_TRUST_LEVEL = 4
# The fields of a board that create and update take, in the order the form shows them.
# "groups": the names of the groups that may read a board whose visibility is `groups`.
BOARD_FIELDS = ("slug", "name", "name_zh", "description", "description_zh", "kind", "visibility", "default_sort",
                "start_policy", "start_min_trust", "groups")


def _invalid(fields: dict):
    raise ValidationFailed(_l("Please correct the marked fields."), fields)


def _text(value) -> str:
    """One line: whitespace collapsed, control characters (NUL, which PostgreSQL refuses, among them) dropped."""
    return " ".join(CONTROL_RE.sub("", str(value or "")).split())


def _choice(value, enum_or_values, field: str, problems: dict, message):
    raw = getattr(value, "value", value)
    values = [getattr(v, "value", v) for v in enum_or_values]
    if raw not in values:
        problems[field] = message
        return None
    return enum_or_values(raw) if isinstance(enum_or_values, type) else raw


def clean_board_fields(data: dict, board: Board | None = None) -> dict:
    """Return the checked values of the board fields present in `data`; raise ValidationFailed naming every bad one.

    For a new board (`board` None) slug and name are required; kind and visibility default to discussion
    and public.
    """
    problems: dict = {}
    clean: dict = {}
    creating = board is None
    if "slug" in data or creating:
        slug = str(data.get("slug") or "").strip().lower()
        if not slug:
            problems["slug"] = _l("Give the board a slug (used in its address).")
        elif not SLUG_RE.match(slug):
            problems["slug"] = _l("Use 1 to 64 lower-case letters a-z, digits and dashes, not starting or ending "
                                  "with a dash.")
        else:
            taken = db.session.scalar(select(Board.id).where(Board.slug == slug))
            if taken is not None and (creating or taken != board.id):
                problems["slug"] = _l("Another board has this slug already.")
            clean["slug"] = slug
    if "name" in data or creating:
        name = _text(data.get("name"))
        if not name:
            problems["name"] = _l("Give the board a name.")
        elif len(name) > NAME_MAX:
            problems["name"] = _l("At most %(n)d characters.", n=NAME_MAX)
        clean["name"] = name
    if "name_zh" in data:
        name_zh = _text(data.get("name_zh"))
        if len(name_zh) > NAME_MAX:
            problems["name_zh"] = _l("At most %(n)d characters.", n=NAME_MAX)
        clean["name_zh"] = name_zh
    for field in ("description", "description_zh"):
        if field in data:
            value = CONTROL_RE.sub("", str(data.get(field) or "")).strip()
            if len(value) > DESCRIPTION_MAX:
                problems[field] = _l("At most %(n)d characters.", n=DESCRIPTION_MAX)
            clean[field] = value
    if "kind" in data or creating:
        clean["kind"] = _choice(data.get("kind") or "discussion", BoardKind, "kind", problems,
                                _l("A board's kind is discussion, question, idea or announcement."))
    if "visibility" in data or creating:
        clean["visibility"] = _choice(data.get("visibility") or "public", Visibility, "visibility", problems,
                                      _l("Visibility is public, members, staff or groups."))
    if "groups" in data:
        try:
            clean["groups"] = groups.clean_group_names(data.get("groups"))
        except ValidationFailed as exc:
            problems.update(exc.fields)
    visibility = clean.get("visibility") or (board.visibility if board is not None else None)
    if visibility is Visibility.groups and "groups" not in problems:
        chosen = clean["groups"] if "groups" in clean else (groups.board_groups(board) if board is not None else [])
        if not chosen:
            problems["groups"] = _l("Choose at least one group that may read this board.")
    if "default_sort" in data:
        clean["default_sort"] = _choice(data.get("default_sort") or "latest", BOARD_SORTS, "default_sort", problems,
                                        _l("The default sort is latest, new, hot or top."))
    if "start_policy" in data:
        clean["start_policy"] = _choice(data.get("start_policy") or "members", StartPolicy, "start_policy", problems,
                                        _l("Who may start threads: members, trust or staff."))
    if "start_min_trust" in data:
        raw = data.get("start_min_trust")
        raw = 0 if raw in (None, "") else raw
        if isinstance(raw, bool) or not str(raw).strip().isdigit() or int(str(raw).strip()) > MAX_TRUST_LEVEL:
            problems["start_min_trust"] = _l("A trust level from 0 to %(n)d.", n=MAX_TRUST_LEVEL)
        else:
            clean["start_min_trust"] = int(str(raw).strip())
    if problems:
        _invalid(problems)
    return clean


def create_board(actor: Member | None, data: dict) -> Board:
    """Create a board from `data` (see BOARD_FIELDS) at the end of the list."""
    clean = clean_board_fields(data)
    chosen = clean.pop("groups", None)
    last = db.session.scalar(select(func.max(Board.position))) or 0
    board = Board(position=last + 1, **clean)
    db.session.add(board)
    db.session.flush()
    if chosen:
        groups.set_board_groups(actor, board, chosen, announce=False)
        clean["groups"] = chosen
    board_changed.send(board, by=actor, action="created", fields=sorted(clean))
    return board


def update_board(actor: Member | None, board: Board, data: dict) -> list[str]:
    """Change the fields of `board` present in `data`; return the names of those that changed."""
    clean = clean_board_fields(data, board)
    chosen = clean.pop("groups", None)
    changed = []
    for name, value in clean.items():
        if getattr(board, name) != value:
            setattr(board, name, value)
            changed.append(name)
    if chosen is not None and groups.set_board_groups(actor, board, chosen, announce=False):
        changed.append("groups")
    if changed:
        db.session.flush()
        board_changed.send(board, by=actor, action="updated", fields=changed)
    return changed


def ordered_boards() -> list[Board]:
    """Every board (every visibility, archived too) in the order readers see them."""
    return list(db.session.scalars(select(Board).order_by(Board.position, Board.name, Board.id)))


def move_board(actor: Member | None, board: Board, offset: int) -> None:
    """Move `board` up (-1) or down (+1) in the list; the positions are renumbered 1..n."""
    boards = ordered_boards()
    index = next(i for i, b in enumerate(boards) if b.id == board.id)
    target = max(0, min(len(boards) - 1, index + offset))
    if target == index:
        return
    boards.insert(target, boards.pop(index))
    for position, item in enumerate(boards, start=1):
        item.position = position
    db.session.flush()
    board_changed.send(board, by=actor, action="reordered", fields=["position"])


def set_archived(actor: Member | None, board: Board, archived: bool) -> None:
    """Archive `board` (read-only: no new threads or replies, still readable) or bring it back."""
    if archived == board.is_archived:
        return
    board.archived_at = utcnow() if archived else None
    db.session.flush()
    board_changed.send(board, by=actor, action="archived" if archived else "unarchived", fields=["archived_at"])


def delete_board(actor: Member | None, board: Board, move_to: Board | None = None) -> int:
    """Delete `board`: at once when it has no threads, else after moving them all to `move_to`.

    Return how many threads moved. Deleted threads move too (so nothing points at the removed board).
    """
    thread_ids = list(db.session.scalars(select(Thread.id).where(Thread.board_id == board.id)))
    if thread_ids and move_to is None:
        _invalid({"move_to": _l("This board has threads: choose a board to move them to first.")})
    if move_to is not None and move_to.id == board.id:
        _invalid({"move_to": _l("Choose another board to move the threads to.")})
    if thread_ids:
        db.session.execute(update(Thread).where(Thread.board_id == board.id).values(board_id=move_to.id))
        db.session.execute(update(Board).where(Board.id == move_to.id).values(
            thread_count=Board.thread_count + board.thread_count, post_count=Board.post_count + board.post_count))
        if board.last_posted_at is not None and (move_to.last_posted_at is None
                                                 or board.last_posted_at > move_to.last_posted_at):
            db.session.execute(update(Board).where(Board.id == move_to.id).values(last_posted_at=board.last_posted_at))
        db.session.expire(move_to)
        threads = list(db.session.scalars(select(Thread).where(Thread.id.in_(thread_ids))
                                          .execution_options(populate_existing=True)))
        if actor is not None:
            for thread in threads:
                thread_moved.send(thread, by=actor, previous_board=board)
    db.session.delete(board)
    db.session.flush()
    board_changed.send(board, by=actor, action="deleted", fields=[])
    return len(thread_ids)


def find_board(slug) -> Board | None:
    slug = str(slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        return None  # also keeps NUL and other junk away from the database
    return db.session.scalar(select(Board).where(Board.slug == slug))


# ---- roles -----------------------------------------------------------------------------------------

ROLE_LABELS = {Role.member: _l("member"), Role.moderator: _l("moderator"), Role.staff: _l("staff"),
               Role.admin: _l("admin")}


def parse_role(raw, field: str = "role") -> Role:
    try:
        return Role(str(getattr(raw, "value", raw) or "").strip().lower())
    except ValueError:
        _invalid({field: _l("A role is member, moderator, staff or admin.")})


def find_member(username) -> Member | None:
    name = str(username or "").strip()
    if not name or CONTROL_RE.search(name):
        return None
    return db.session.scalar(select(Member).where(Member.username_key == username_key(name)[:32]))


def set_role(actor: Member | None, target: Member, role, reason: str = "") -> bool:
    """Give `target` the role `role`; return False when it had it already.

    `actor` None is the operator at the command line (no permission check). The last admin cannot step
    down. With `roles.staff_domains` set, only members with an address at those domains take a role above member. Writes a moderation log line ("X became a moderator") and sends `member_role_changed`.
    """
    role = parse_role(role)
    if actor is not None and not can_set_role(actor, target, role):
        raise NotPermitted(_l("You cannot change this member's role."))
    if target.role is role:
        return False
    if problem := staff_domain_problem(target, role):
        raise ValidationFailed(_l("Please correct the marked fields."), {"role": problem})
    if target.role is Role.admin:
        admins = db.session.scalar(select(func.count()).select_from(Member).where(
            Member.role == Role.admin, Member.deleted_at.is_(None)))
        if admins <= 1:
            raise Conflict(_l("This is the last admin: make someone else admin first."),
                           {"role": _l("The community needs at least one admin.")})
    previous = target.role
    target.role = role
    db.session.flush()
    log_action(actor, "role", member=target, reason_code="manual" if actor is not None else "",
               reason=reason, data={"previous": previous.value, "role": role.value})
    member_role_changed.send(target, by=actor, previous=previous, role=role)
    return True


def search_members(query: str, page: int = 1, per_page: int = 50):
    """Members whose username, display name or email contains `query` (all members when empty), by name."""
    stmt = select(Member).where(Member.deleted_at.is_(None))
    words = (query or "").strip()[:100]
    if words:
        escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        stmt = stmt.where(func.lower(Member.username).like(like, escape="\\")
                          | func.lower(Member.email).like(like, escape="\\")
                          | func.lower(func.coalesce(Member.display_name, "")).like(like, escape="\\"))
    return paginate(stmt.order_by(Member.username_key), page, per_page)


def public_role_changes(limit: int = 20) -> list[dict]:
    """The latest changes of role, as the public may read them: who became what, and when (no reasons)."""
    rows = db.session.scalars(select(ModerationAction).where(ModerationAction.action == "role")
                              .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc()).limit(limit))
    changes = []
    for row in rows:
        if row.member is None or row.member.deleted_at is not None:
            continue
        try:
            role = Role((row.data or {}).get("role"))
        except ValueError:
            continue
        changes.append({"member": row.member, "role": role, "when": row.created_at})
    return changes
