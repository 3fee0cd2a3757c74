"""Groups of members ("Beta testers", "Enterprise customers") and the boards only they (and staff) read.

- `models`: `Group` (table `member_groups`), `GroupMember`, `BoardGroup` (the groups of a board whose
  visibility is `groups`).
- `services`: create, edit, delete groups; add members (by username or email, one by one or from an
  uploaded list: all or nothing, the lines that name nobody are listed) and remove them; the groups of a
  board. Each change sends `group_changed`, `group_members_changed` or `board_changed` (fields ["groups"]).
- `badges`: the group badges beside names (`render.member_link`), one query per page.
- `views`: the "Groups" section of /admin (staff: `permissions.can_manage_groups`).

Who may read a group-visible board is decided in `community/permissions.py` (`can_view_board`,
`readable_board_clause`, `group_board_ids`) like every other visibility; memberships are read at read
time, so a change counts at once on every channel (pages, search, API, feeds, mails, sockets, the CRM).
"""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import permissions, signals
from . import models  # noqa: F401  (so that Alembic knows the tables; permissions imports it early)


def init_app(app: Flask) -> None:
    """Register the Groups section of /admin, its commands, and drop cached memberships when they change."""
    # Here, not at the top: `community.permissions` imports `groups.models`, so this package stays light
    # (its views and services import modules that import permissions).
    from ..admin.sections import Section, add_section  # noqa: PLC0415
    from . import cli, services, views  # noqa: PLC0415

    app.register_blueprint(views.bp)
    add_section(Section("groups", _l("Groups"), "groups.admin", permissions.can_manage_groups,
                        _l("Named groups of members; boards visible to groups; badges beside names."), order=30))
    for signal in (signals.group_changed, signals.group_members_changed, signals.board_changed):
        signal.connect(services.forget_cached, weak=False)
    cli.init_app(app)
