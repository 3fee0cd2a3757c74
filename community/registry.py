"""The one explicit registry: what a feature area (or crm_bridge) adds to the forum's pages and services.

Signals (`community.signals`) say what *happened*, to whoever listens; the registry holds what the
forum *asks for* while it works: a page for a kind of board, checks a new post must pass, extras of
the new-thread form, partials shown in a template slot, thread sorts, staff counters, header counts. An area
registers from its `init_app(app)` with a named function of this module; nothing else changes the
forum's behaviour from outside (no module-global dicts, no `app.extensions` lists).

Every registration is per app (several apps in one process each have their own) and checked at once:
an unknown slot, board kind or a second registration under one name raises, so a misspelling fails
when the app is built, not silently on some page. Reading (`board_page`, `slot_templates`, ...) works
on `current_app`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app

from .forum.models import BoardKind

# Template slots: where a page has room for the partials of feature areas ({{ slot }} -> where it is).
SLOTS = {
    "head_extra": "the page's <head>, after the stylesheets: meta tags, the manifest (base.html)",
    "nav_extra": "the site's main navigation, after the staff entries (base.html)",
    "header_extra": "the site header, for signed-in members, before Sign out (base.html)",
    "page_end": "the end of every page's body (base.html)",
    "thread_head": "under a thread's title (forum/thread.html)",
    "thread_before_posts": "between the thread head and its posts (forum/thread.html)",
    "post_before_body": "above each post's body (forum/_post.html)",
    "post_after_body": "under each post's body (forum/_post.html)",
    "post_actions": "the action bar of each post (forum/_post.html)",
    "thread_row_badges": "the badges of a thread in lists (_macros/forum.html)",
    "thread_list_tabs": "above the thread list of the Latest page, under its heading (site/latest.html)",
    "board_head": "a board's head, after its description (forum/board.html)",
    "board_before_threads": "a board's page, between the sort tabs and the threads (forum/board.html)",
    "new_thread_extra": "the new-thread form, after the body (forum/new_thread.html)",
    "profile_extra": "a member's public profile (members/profile.html)",
    "settings_extra": "the member's settings page, after the password (members/settings.html)",
    "login_extra": "the sign-in page, under the password form (members/login.html): other ways to sign in",
    "your_data": "'Your data' on the settings and the delete-account pages",
    "confirm_identity": "the delete-account page of a member without a password: other ways to confirm it is them "
                        "(members/delete_account.html)",
    "composer_extra": "under the text box of the reply, new-thread and edit forms (forum/*.html)",
    "nav_staff": "the main navigation's entries for staff and moderators, after Rewards (base.html: CRM, Review)",
    "footer_extra": "the site footer, after the terms and privacy links (base.html)",
}

_KEY = "community.registry"


@dataclass(frozen=True)
class ThreadSort:
    """A ?sort= of thread lists: `order` is an ORDER BY clause or a callable returning one (per request);
    `since(period)` returns the earliest start time for a ?period= (None: no limit), over `periods`."""

    order: Any
    since: Callable[[str | None], datetime | None] | None = None
    periods: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScheduledJob:
    """A job `flask community scheduler` runs every `every` (community/ops/scheduler.py)."""

    name: str
    run: Callable[[], object]
    every: timedelta
    help: str = ""


@dataclass
class Registry:
    board_pages: dict = field(default_factory=dict)
    slots: dict = field(default_factory=lambda: {name: [] for name in SLOTS})
    post_content_checks: list = field(default_factory=list)
    new_post_checks: list = field(default_factory=list)
    new_thread_extras: list = field(default_factory=list)
    thread_sorts: dict = field(default_factory=dict)
    staff_counters: dict = field(default_factory=dict)
    scheduled_jobs: dict = field(default_factory=dict)
    password_sign_in_checks: list = field(default_factory=list)
    sign_in_steps: list = field(default_factory=list)
    header_counts: dict = field(default_factory=dict)


def registry_of(app: Flask) -> Registry:
    """The app's registry (made on first use)."""
    return app.extensions.setdefault(_KEY, Registry())


def _current() -> Registry:
    return registry_of(current_app)


def _check_slot(slot: str) -> None:
    if slot not in SLOTS:
        raise KeyError(f"unknown template slot {slot!r}; the slots are {', '.join(SLOTS)}")


# ---- registering (from an area's init_app) ---------------------------------------------------------

def register_board_page(app: Flask, kind, view: Callable) -> None:
    """Render boards of `kind` (a BoardKind) with `view(board) -> response` instead of the thread list."""
    if not isinstance(kind, BoardKind):
        raise TypeError(f"register_board_page: {kind!r} is not a BoardKind")
    pages = registry_of(app).board_pages
    if pages.get(kind, view) is not view:
        raise ValueError(f"boards of kind {kind.value!r} already have a page ({pages[kind].__qualname__})")
    pages[kind] = view


def register_template_slot(app: Flask, slot: str, template: str, *, order: int = 50) -> None:
    """Include `template` in the template slot `slot` (see SLOTS); lower `order` comes first."""
    _check_slot(slot)
    entries = registry_of(app).slots[slot]
    if template not in [name for _order, name in entries]:
        entries.append((order, template))
        entries.sort(key=lambda entry: entry[0])  # stable: equal orders keep the order of registration


def register_post_content_check(app: Flask, check: Callable) -> None:
    """Call `check(member, rendered, *, new)` before a new or edited post is written; it raises a
    ServiceError (ValidationFailed) to refuse the post (trust: links, images, mentions, posts per day)."""
    _append_once(registry_of(app).post_content_checks, check)


def register_new_post_check(app: Flask, check: Callable) -> None:
    """Call `check(author, post)` once a new post is flushed, before it is announced; a ServiceError it
    raises undoes the post (moderation: duplicates, pacing, whispers, approval)."""
    _append_once(registry_of(app).new_post_checks, check)


def register_new_thread_extra(app: Flask, extra: Callable) -> None:
    """Call `extra(member, thread)` after a thread is started from the new-thread form, in its
    transaction; a ServiceError it raises undoes the whole thread (polls)."""
    _append_once(registry_of(app).new_thread_extras, extra)


def register_password_sign_in_check(app: Flask, check: Callable) -> None:
    """Call `check(member)` once a password matched on /login; a message it returns refuses the sign-in
    (single sign-on: "only SSO", the domain that must use a provider)."""
    _append_once(registry_of(app).password_sign_in_checks, check)


def register_thread_sort(app: Flask, name: str, order, *, since: Callable | None = None,
                         periods: tuple[str, ...] = ()) -> None:
    """Offer ?sort=`name` on thread lists (votes: hot, top)."""
    sorts = registry_of(app).thread_sorts
    if name in sorts:
        raise ValueError(f"the thread sort {name!r} is registered already")
    sorts[name] = ThreadSort(order, since, tuple(periods))


def register_staff_counter(app: Flask, name: str, counter: Callable) -> None:
    """Add a live staff counter: `counter(member) -> int | None` (None: not shown to this member).
    The area calls `community.realtime.emit.staff_counters_changed()` when it moves."""
    counters = registry_of(app).staff_counters
    if counters.get(name, counter) is not counter:
        raise ValueError(f"the staff counter {name!r} is registered already")
    counters[name] = counter


def register_header_count(app: Flask, name: str, count_select: Callable) -> None:
    """Add a number the page header shows a signed-in member: `count_select(member)` returns a SELECT of it
    (which may take the member's id as the bound parameter `member_id`, so it can be built once per process).

    The header asks every registered count in one statement, once per request (`community.web.header_count`).
    """
    counts = registry_of(app).header_counts
    if counts.get(name, count_select) is not count_select:
        raise ValueError(f"the header count {name!r} is registered already")
    counts[name] = count_select


def register_scheduled_job(app: Flask, name: str, run: Callable[[], object], *, every: timedelta,
                           help: str = "") -> None:
    """Run `run()` every `every` from `flask community scheduler` (a second job under one name raises)."""
    jobs = registry_of(app).scheduled_jobs
    known = jobs.get(name)
    if known is not None and known.run is not run:
        raise ValueError(f"the scheduled job {name!r} is registered already")
    if len(name) > 64:
        raise ValueError(f"a scheduled job's name has at most 64 characters: {name!r}")
    doc_lines = (run.__doc__ or "").strip().splitlines()
    jobs[name] = ScheduledJob(name, run, every, help or (doc_lines[0] if doc_lines else ""))


def scheduled_jobs(app: Flask) -> dict[str, ScheduledJob]:
    """The jobs registered on `app`, by name, in the order of registration."""
    return dict(registry_of(app).scheduled_jobs)


def register_sign_in_step(app: Flask, step: Callable) -> None:
    """Ask `step(member, remember=..., next_url=...)` before a sign-in (password or SSO) opens a session: it returns
    a response (e.g. the second-factor page) that takes over the sign-in, or None to let it go on."""
    _append_once(registry_of(app).sign_in_steps, step)


def _append_once(entries: list, fn: Callable) -> None:
    if fn not in entries:
        entries.append(fn)


# ---- reading (in a request, a socket handler or a command) -----------------------------------------

def board_page(kind) -> Callable | None:
    """The view that renders boards of `kind`, or None for the forum's own thread list."""
    return _current().board_pages.get(kind)


def slot_templates(slot: str) -> list[str]:
    """The templates registered for `slot`, in order (a template global: `slot_templates("post_actions")`)."""
    _check_slot(slot)
    return [template for _order, template in _current().slots[slot]]


def post_content_checks() -> list[Callable]:
    return list(_current().post_content_checks)


def new_post_checks() -> list[Callable]:
    return list(_current().new_post_checks)


def new_thread_extras() -> list[Callable]:
    return list(_current().new_thread_extras)


def password_sign_in_refusal(member):
    """The first refusal a registered check gives `member`'s password sign-in, or None."""
    for check in _current().password_sign_in_checks:
        if refusal := check(member):
            return refusal
    return None


def thread_sorts() -> dict[str, ThreadSort]:
    return dict(_current().thread_sorts)


def staff_counters() -> dict[str, Callable]:
    return dict(_current().staff_counters)


def sign_in_steps() -> list[Callable]:
    return list(_current().sign_in_steps)


def header_counts() -> dict[str, Callable]:
    return dict(_current().header_counts)


def init_app(app: Flask) -> None:
    """Make the registry and give templates `slot_templates`."""
    registry_of(app)
    app.add_template_global(slot_templates, "slot_templates")
