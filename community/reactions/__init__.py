"""Reactions on posts: a fixed set (like, thanks, laugh, wow, sad) that admins choose from, one per member
and post, counts moved in SQL, "who reacted", reputation per reaction received (see `kinds` for the
settings). Live counts go to a thread's readers through community/realtime (event `reactions`)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import permissions
from ..admin.sections import Section, add_section
from ..registry import register_template_slot
from ..signals import member_deleting
from . import (
    models,  # noqa: F401  (tables known to create_all and Alembic)
    services,
    views,
)
from .kinds import KINDS


def _member_deleting(member, **_extra) -> None:
    services.erase_member(member.id)


def init_app(app: Flask) -> None:
    """Register the reaction routes, the bar under each post, the template helpers and the admin section."""
    app.register_blueprint(views.bp)
    register_template_slot(app, "post_after_body", "community/reactions/_bar.html", order=50)
    register_template_slot(app, "thread_before_posts", "community/reactions/_script.html", order=30)
    app.add_template_global(views.post_reactions, "post_reactions")
    app.add_template_global(views.post_reactions_of_page, "post_reactions_of_page")
    app.add_template_global(views.reaction_kinds, "reaction_kinds")
    app.jinja_env.globals["reaction_all_kinds"] = KINDS
    add_section(Section("reactions", _l("Reactions"), "reactions.admin", permissions.can_manage_gamification,
                        _l("Which reactions members may choose and the reputation each one gives."), order=52))
    member_deleting.connect(_member_deleting, weak=False)
