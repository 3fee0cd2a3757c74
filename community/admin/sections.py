"""The sections of /admin: one entry each, with the predicate that decides who sees it.

Adding a section is one call, from the area that owns the pages (in its `init_app`):

    from community.admin.sections import Section, add_section
    add_section(Section("groups", _l("Groups"), "groups.admin", permissions.can_manage_groups,
                        _l("Named groups of members; boards visible to groups."), order=40))

The index page and the section nav list, in `order`, the sections whose predicate allows the reader and
whose endpoint exists; the section's own views must still check the same predicate (404 otherwise).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Section:
    key: str                        # stable name (the nav marks the current section by it)
    title: object                   # lazy gettext string
    endpoint: str                   # where the section starts (url_for name)
    allowed: Callable[[object], bool]  # a predicate from community.permissions, given the reader
    description: object = ""
    order: int = 100


SECTIONS: dict[str, Section] = {}


def add_section(section: Section) -> None:
    """Register (or replace, by key) a section of the admin area."""
    SECTIONS[section.key] = section


def sections_for(member) -> list[Section]:
    """The sections `member` may use, in order (only those whose pages are registered in this app)."""
    views = current_app.view_functions
    return [s for s in sorted(SECTIONS.values(), key=lambda s: (s.order, s.key))
            if s.endpoint in views and s.allowed(member)]
