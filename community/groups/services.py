"""Groups: create, edit, delete; add and remove members (one by one or from an uploaded list); which groups
may read a board; the badges shown beside names.

Services check their input, flush and send a signal (`group_changed`, `group_members_changed`, and
`board_changed` with "groups" for a board's list); they never commit. Bad input raises `ValidationFailed`
naming each field, before anything is written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select

from ..dbtypes import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..forum.models import Board, Visibility
from ..members.models import Member, email_key, username_key
from ..signals import board_changed, group_changed, group_members_changed
from ..web import paginate
from .models import BoardGroup, Group, GroupMember

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NAME_MAX = 80
DESCRIPTION_MAX = 2000
UPLOAD_MAX_LINES = 5000
GROUP_FIELDS = ("name", "name_zh", "description", "show_badge")


def _invalid(fields: dict):
    raise ValidationFailed(_l("Please correct the marked fields."), fields)


def _line(value) -> str:
    return " ".join(CONTROL_RE.sub("", str(value or "")).split())


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "y", "yes", "on", "true"}
    return bool(value)


def name_key(name: str) -> str:
    """The form under which group names are unique (case-folded; cut to the column's width)."""
    return name.casefold()[:NAME_MAX]


def forget_cached(*_args, **_kwargs) -> None:
    """Drop this app context's cache of who reads which group board (a membership or a board's groups changed)."""
    if has_app_context():
        g.pop("_group_board_ids", None)
        g.pop("_group_badges", None)


# ---- groups ---------------------------------------------------------------------------------------

def clean_group_fields(data: dict, group: Group | None = None) -> dict:
    """Return the checked values of the group fields present in `data`; raise ValidationFailed naming every bad one."""
    problems: dict = {}
    clean: dict = {}
    creating = group is None
    if "name" in data or creating:
        name = _line(data.get("name"))
        if not name:
            problems["name"] = _l("Give the group a name.")
        elif len(name) > NAME_MAX:
            problems["name"] = _l("At most %(n)d characters.", n=NAME_MAX)
        else:
            taken = db.session.scalar(select(Group.id).where(Group.name_key == name_key(name)))
            if taken is not None and (creating or taken != group.id):
                problems["name"] = _l("Another group has this name already.")
        clean["name"] = name
    if "name_zh" in data:
        name_zh = _line(data.get("name_zh"))
        if len(name_zh) > NAME_MAX:
            problems["name_zh"] = _l("At most %(n)d characters.", n=NAME_MAX)
        clean["name_zh"] = name_zh
    if "description" in data:
        description = CONTROL_RE.sub("", str(data.get("description") or "")).strip()
        if len(description) > DESCRIPTION_MAX:
            problems["description"] = _l("At most %(n)d characters.", n=DESCRIPTION_MAX)
        clean["description"] = description
    if "show_badge" in data:
        clean["show_badge"] = _flag(data.get("show_badge"))
    if problems:
        _invalid(problems)
    return clean


def create_group(actor: Member | None, data: dict) -> Group:
    """Create a group from `data` (see GROUP_FIELDS)."""
    clean = clean_group_fields(data)
    group = Group(name_key=name_key(clean["name"]), **clean)
    db.session.add(group)
    db.session.flush()
    group_changed.send(group, by=actor, action="created", fields=sorted(clean))
    return group


def update_group(actor: Member | None, group: Group, data: dict) -> list[str]:
    """Change the fields of `group` present in `data`; return the names of those that changed."""
    clean = clean_group_fields(data, group)
    changed = []
    for name, value in clean.items():
        if getattr(group, name) != value:
            setattr(group, name, value)
            changed.append(name)
    if "name" in changed:
        group.name_key = name_key(group.name)
    if changed:
        db.session.flush()
        group_changed.send(group, by=actor, action="updated", fields=changed)
    return changed


def delete_group(actor: Member | None, group: Group) -> None:
    """Delete `group`, its memberships and its grants on boards (a `groups` board left without groups is
    read by staff only)."""
    member_ids = list(db.session.scalars(select(GroupMember.member_id).where(GroupMember.group_id == group.id)))
    db.session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    db.session.execute(delete(BoardGroup).where(BoardGroup.group_id == group.id))
    db.session.delete(group)
    db.session.flush()
    if member_ids:
        group_members_changed.send(group, by=actor, added=[], removed=member_ids)
    group_changed.send(group, by=actor, action="deleted", fields=[])


def find_group(name) -> Group | None:
    name = _line(name)
    if not name or len(name) > NAME_MAX:
        return None
    return db.session.scalar(select(Group).where(Group.name_key == name_key(name)))


def all_groups() -> list[tuple[Group, int]]:
    """Every group with its number of members, by name (one query)."""
    counts = (select(GroupMember.group_id, func.count().label("n")).group_by(GroupMember.group_id).subquery())
    rows = db.session.execute(select(Group, func.coalesce(counts.c.n, 0))
                              .outerjoin(counts, counts.c.group_id == Group.id).order_by(Group.name_key))
    return [(group, count) for group, count in rows]


def group_members(group: Group, page: int = 1, per_page: int = 50):
    """The members of `group`, by username (a page)."""
    stmt = (select(Member).join(GroupMember, GroupMember.member_id == Member.id)
            .where(GroupMember.group_id == group.id).order_by(Member.username_key))
    return paginate(stmt, page, per_page)


def groups_of(member) -> list[Group]:
    """The groups `member` is in, by name."""
    return list(db.session.scalars(select(Group).join(GroupMember, GroupMember.group_id == Group.id)
                                   .where(GroupMember.member_id == member.id).order_by(Group.name_key)))


# ---- membership -------------------------------------------------------------------------------------

@dataclass
class Added:
    added: list = field(default_factory=list)      # the members added now
    already: list = field(default_factory=list)    # the members who were in the group before


def _lookup(identifiers: list[str]) -> dict[str, Member]:
    """{identifier: Member} for the usernames and emails that name a live member (two queries at most)."""
    names = {username_key(i)[:32]: i for i in identifiers if "@" not in i}
    emails = {email_key(i): i for i in identifiers if "@" in i}
    found: dict[str, Member] = {}
    for column, keys in ((Member.username_key, names), (Member.email_key, emails)):
        for start in range(0, len(keys), 500):
            chunk = list(keys)[start:start + 500]
            for member in db.session.scalars(select(Member).where(column.in_(chunk), Member.deleted_at.is_(None))):
                key = member.username_key if column is Member.username_key else member.email_key
                found[keys[key]] = member
    return found


def add_members(actor: Member | None, group: Group, identifiers, *, field_name: str = "members") -> Added:
    """Add the members named by `identifiers` (usernames or email addresses) to `group`.

    All or nothing: when any identifier names nobody, nothing is added and the ValidationFailed lists
    every such line (numbered from 1), so the list can be corrected and given again.
    """
    lines = [_line(i) for i in identifiers]
    wanted = [(number, text) for number, text in enumerate(lines, start=1) if text]
    if not wanted:
        _invalid({field_name: _l("Name at least one member: a username or an email address per line.")})
    if len(lines) > UPLOAD_MAX_LINES:
        _invalid({field_name: _l("At most %(n)d lines at once.", n=UPLOAD_MAX_LINES)})
    found = _lookup([text for _number, text in wanted])
    missing = [f"{number}: {text[:80]}" for number, text in wanted if text not in found]
    if missing:
        shown = "; ".join(missing[:50]) + (" ..." if len(missing) > 50 else "")
        _invalid({field_name: _l("Nobody was added. These lines name no member: %(lines)s",
                                 lines=shown)})
    members = {m.id: m for m in found.values()}
    present = set(db.session.scalars(select(GroupMember.member_id).where(
        GroupMember.group_id == group.id, GroupMember.member_id.in_(list(members)))))
    result = Added(already=[members[i] for i in sorted(present)])
    new = [members[i] for i in sorted(members) if i not in present]
    if new:
        now = utcnow()
        db.session.execute(insert(GroupMember), [
            {"group_id": group.id, "member_id": m.id, "added_at": now,
             "added_by_id": actor.id if actor is not None else None} for m in new])
        db.session.flush()
        result.added = new
        forget_cached()
        group_members_changed.send(group, by=actor, added=[m.id for m in new], removed=[])
    return result


def remove_members(actor: Member | None, group: Group, member_ids) -> int:
    """Remove the members with `member_ids` from `group`; return how many were in it."""
    ids = [int(i) for i in member_ids]
    present = list(db.session.scalars(select(GroupMember.member_id).where(
        GroupMember.group_id == group.id, GroupMember.member_id.in_(ids))))
    if present:
        db.session.execute(delete(GroupMember).where(GroupMember.group_id == group.id,
                                                     GroupMember.member_id.in_(present)))
        db.session.flush()
        forget_cached()
        group_members_changed.send(group, by=actor, added=[], removed=present)
    return len(present)


def parse_upload(data: bytes) -> list[str]:
    """The lines of an uploaded list (UTF-8, a BOM allowed; CSV: the first column of each line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _invalid({"file": _l("The file is not UTF-8 text.")})
    return [line.split(",")[0].split(";")[0].strip().strip('"') for line in text.splitlines()]


# ---- boards ---------------------------------------------------------------------------------------

def board_groups(board: Board) -> list[Group]:
    """The groups that may read `board` (meaningful when its visibility is `groups`), by name."""
    if board.id is None:
        return []
    return list(db.session.scalars(select(Group).join(BoardGroup, BoardGroup.group_id == Group.id)
                                   .where(BoardGroup.board_id == board.id).order_by(Group.name_key)))


def groups_by_board(board_ids) -> dict[int, list[Group]]:
    """{board id: [Group]} for many boards at once (one query)."""
    found: dict[int, list[Group]] = {}
    ids = list(board_ids)
    if ids:
        for board_id, group in db.session.execute(
                select(BoardGroup.board_id, Group).join(Group, Group.id == BoardGroup.group_id)
                .where(BoardGroup.board_id.in_(ids)).order_by(Group.name_key)):
            found.setdefault(board_id, []).append(group)
    return found


def clean_group_names(raw) -> list[Group]:
    """Check a list of group names (or one comma-separated string); raise ValidationFailed naming unknown ones."""
    if raw is None:
        return []
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    if len(names) > 100:
        _invalid({"groups": _l("At most %(n)d groups.", n=100)})
    groups, unknown = {}, []
    for name in names:
        text = _line(getattr(name, "name", name))
        if not text:
            continue
        group = find_group(text)
        if group is None:
            unknown.append(text[:80])
        else:
            groups[group.id] = group
    if unknown:
        _invalid({"groups": _l("No group has the name %(names)s.", names=", ".join(unknown))})
    return list(groups.values())


def set_board_groups(actor: Member | None, board: Board, groups: list[Group], *, announce: bool = True) -> bool:
    """Make `groups` the groups that may read `board`; return whether the list changed (then `board_changed`
    with fields ["groups"] is sent, unless the caller announces it with its other changes)."""
    wanted = {group.id for group in groups}
    present = set(db.session.scalars(select(BoardGroup.group_id).where(BoardGroup.board_id == board.id)))
    if wanted == present:
        return False
    if present - wanted:
        db.session.execute(delete(BoardGroup).where(BoardGroup.board_id == board.id,
                                                    BoardGroup.group_id.in_(present - wanted)))
    if wanted - present:
        db.session.execute(insert(BoardGroup), [{"board_id": board.id, "group_id": i} for i in sorted(wanted - present)])
    db.session.flush()
    forget_cached()
    if announce:
        board_changed.send(board, by=actor, action="updated", fields=["groups"])
    return True


def needs_groups(visibility, groups: list[Group]) -> bool:
    """A `groups` board must name at least one group."""
    return getattr(visibility, "value", visibility) == Visibility.groups.value and not groups


def boards_of_group(group: Group) -> list[Board]:
    """The boards this group may read (as a `groups` board), in the boards' order."""
    return list(db.session.scalars(select(Board).join(BoardGroup, BoardGroup.board_id == Board.id)
                                   .where(BoardGroup.group_id == group.id).order_by(Board.position, Board.id)))
