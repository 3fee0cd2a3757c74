"""The admin area at /admin: a brand runs its community here without touching code or SQL.

- `sections`: the list of sections, each with the predicate (community/permissions.py) that decides who
  sees it. **To add a section**: write its views in your area (each view checks the same predicate and
  answers 404 otherwise), give its template `{% extends "community/admin/base.html" %}` for the section nav,
  and call `add_section(Section(key, title, endpoint, predicate, description, order))` from your area's
  `init_app`. The index page and the nav pick it up; nothing else changes.
- `services`: boards (create, edit, reorder, archive, delete with a move of their threads) and roles
  (with the last-admin rule, a moderation log line and the `member_role_changed` signal). The pages, the
  API (`community/api/admin.py`, `/api/v1/admin/...`, admin scope) and the commands (`cli.py`,
  `flask community board ...`, `flask community member set-role`) all call them.
- `registration`, `registration_views`: /admin/registration, the registration mode and email domain lists
  (admins), invitations and the approval queue (staff); the rules are community/members/registration.py.
- `setup`: /setup, the first run of a fresh install (community name, first admin, registration mode).
- `views`: the pages. Admins see every section; staff see the members list (they may make members
  moderators and back, never change their own role) and any section whose predicate lets staff in.
"""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import permissions
from ..members.registration import REGISTRATION_MODE, pending_count
from ..registry import register_staff_counter, register_template_slot
from ..signals import member_registered
from . import cli, registration, registration_views, services, setup, views
from .sections import Section, add_section

BUILT_IN = (
    Section("site", _l("Site settings"), "admin.site_settings", permissions.can_manage_site_settings,
            _l("Name, logo, favicon, colours, default language, home page introduction, terms, privacy policy and "
               "contact address."), order=5),
    Section("boards", _l("Boards"), "admin.boards", permissions.can_manage_boards,
            _l("Create, edit, reorder, archive and delete boards; who may read and start threads."), order=10),
    Section("members", _l("Members and roles"), "admin.members", permissions.can_manage_members,
            _l("Find members by name or email and set their role."), order=20),
    Section("registration", _l("Registration"), "admin_registration.overview", permissions.can_manage_invites,
            _l("Who can register: the mode, email domains, invitations and accounts waiting for approval."),
            order=25),
    Section("moderation-log", _l("Moderation log"), "moderation.log", permissions.can_view_moderation_log,
            _l("Every moderation action and change of role."), order=60),
    Section("mail", _l("Mail"), "mail.admin", permissions.can_manage_mail,
            _l("Mail settings and the outbox."), order=70),
    Section("api-keys", _l("API keys"), "api_pages.api_keys", permissions.can_manage_api_keys,
            _l("Keys for integrations that use the API."), order=80),
)


def _pending_approvals(member) -> int | None:
    """The live staff counter of accounts waiting for approval (None: not shown to this member, nor while
    the community is not in approval mode and nobody waits)."""
    if not permissions.can_review_registrations(member):
        return None
    waiting = pending_count()
    return waiting if waiting or REGISTRATION_MODE.value == "approval" else None


def init_app(app: Flask) -> None:
    """Register /admin, its built-in sections and the `board` and `member` commands."""
    for section in BUILT_IN:
        add_section(section)
    app.register_blueprint(views.bp)
    app.register_blueprint(registration_views.bp)
    app.register_blueprint(setup.bp)
    app.add_template_global(setup.setup_needed, "setup_needed")
    member_registered.connect(registration.on_member_registered, weak=False)
    register_staff_counter(app, "pending_approvals", _pending_approvals)
    app.add_template_global(services.public_role_changes, "public_role_changes")
    register_template_slot(app, "header_extra", "community/admin/_header.html", order=30)
    cli.init_app(app)
