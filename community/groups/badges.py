"""The group badges beside members' names (`render.member_link`), loaded for a whole page at once.

Kept apart from `services` so that `community.render` (which `community.web` imports) can import it.
"""
from __future__ import annotations

from functools import lru_cache

from flask import g, has_app_context
from sqlalchemy import bindparam, select

from ..extensions import db
from ..members.models import Member
from .models import Group, GroupMember


@lru_cache(maxsize=1)
def _badges_select():
    """SQL: the badge groups of the members `member_ids`; built once per process (every page with posts asks)."""
    return (select(GroupMember.member_id, Group).join(Group, Group.id == GroupMember.group_id)
            .where(Group.show_badge.is_(True), GroupMember.member_id.in_(bindparam("member_ids", expanding=True)))
            .order_by(Group.name_key))


def name_badges(member) -> list[Group]:
    """The groups shown as a badge beside `member`'s name.

    Loaded for every member the session holds at once (the authors of a page are loaded before it renders),
    in one query per page; a member loaded later costs one more query for the members new since.
    """
    member_id = getattr(member, "id", None)
    if member_id is None or not has_app_context():
        return []
    cache = g.setdefault("_group_badges", {})
    if member_id not in cache:
        ids = {obj.id for obj in db.session.identity_map.values()
               if isinstance(obj, Member) and obj.id is not None and obj.id not in cache}
        ids.add(member_id)
        ids = sorted(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for i in chunk:
                cache[i] = []
            rows = db.session.execute(_badges_select(), {"member_ids": chunk})
            for owner, group in rows:
                cache[owner].append(group)
    return cache[member_id]
