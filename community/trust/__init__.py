"""Trust levels 0-4, computed from activity, and the privileges they unlock.

Settings (each can be given as COMMUNITY_<NAME>, JSON for the tables; level keys may be strings):

TRUST_LEVEL_REQUIREMENTS   {level: {requirement: number}} for the computed levels 1-3. A level is
    earned when its requirements and those of every level below are met. Requirements:
    days_visited (UTC days with a visit, ever), days_visited_recent (days with a visit in the last
    TRUST_LEVEL3_WINDOW_DAYS), topics_entered (threads opened), posts_read (posts shown, each once),
    likes_given / likes_received (upvotes; a retracted one no longer counts), replies (posts that do
    not open a thread), max_flags_against (at most this many of the member's posts flagged; the
    count is kept by the flag feature). Defaults follow Discourse, simplified (no reading time; the
    level-3 "share of recent topics/posts" rules become fixed numbers; flags are counted for good):
      1: 5 threads entered, 30 posts read
      2: 15 days visited, 100 posts read, 1 like given, 1 received, 3 replies
      3: 50 of the last 100 days visited, 500 posts read, 30 likes given, 20 received, 10 replies,
         no posts flagged
    Level 4 is given by staff only (POST /u/<name>/trust-level), as is any locked level.
TRUST_LEVEL3_WINDOW_DAYS   the window of days_visited_recent (100).
TRUST_POST_CONTENT_LIMITS  {level: {"links": n, "images": n, "mentions": n}}: the most one post may
    carry; levels not listed have no limit (level 0: 2 links, 1 image, 2 mentions).
TRUST_POSTS_PER_DAY        {level: n}: posts (threads and replies) in any 24 hours; levels not listed
    have no limit (0: 10, 1: 50, 2: 150). Moderators and staff have no posting limits.
TRUST_FLAG_MIN_LEVEL       the level from which members may flag posts (1).
TRUST_FLAG_WEIGHTS         {level: weight}: how much a flag counts from that level up (3: 2.0);
    below every listed level a flag counts 1; moderators' and staff flags count the most.
TRUST_RETAG_MIN_LEVEL, TRUST_RECATEGORIZE_MIN_LEVEL   the level that may retag / move threads (3).
TRUST_LOCK_MIN_LEVEL, TRUST_PIN_MIN_LEVEL             the level that may close / pin threads (4).
Moderators have every thread tool by role. The thread tools themselves live in `community.moderation`.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

import click
from flask import Flask, g, request, session
from flask.cli import AppGroup
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError

from ..cli import community_cli
from ..dbtypes import utcnow
from ..extensions import db
from ..notifications.services import notify
from ..registry import register_post_content_check, register_template_slot
from ..signals import post_created, thread_created, thread_viewed, trust_level_changed, vote_settled
from . import (
    models,  # noqa: F401  (makes the tables known to create_all and Alembic)
    services,
)
from .privileges import check_post_limits
from .services import record_like, record_read, record_visit, refresh_all, refresh_trust_level
from .views import bp

log = logging.getLogger(__name__)

_SESSION_KEY = "trust_visit"


def init_app(app: Flask) -> None:
    """Register the trust area: settings, routes, activity recording and template helpers."""
    app.config.setdefault("TRUST_LEVEL_REQUIREMENTS", services.DEFAULT_REQUIREMENTS)
    app.config.setdefault("TRUST_LEVEL3_WINDOW_DAYS", 100)
    app.config.setdefault("TRUST_POST_CONTENT_LIMITS", {0: {"links": 2, "images": 1, "mentions": 2}})
    app.config.setdefault("TRUST_POSTS_PER_DAY", {0: 10, 1: 50, 2: 150})
    app.config.setdefault("TRUST_FLAG_MIN_LEVEL", 1)
    app.config.setdefault("TRUST_FLAG_WEIGHTS", {3: 2.0})
    app.config.setdefault("TRUST_RETAG_MIN_LEVEL", 3)
    app.config.setdefault("TRUST_RECATEGORIZE_MIN_LEVEL", 3)
    app.config.setdefault("TRUST_LOCK_MIN_LEVEL", 4)
    app.config.setdefault("TRUST_PIN_MIN_LEVEL", 4)

    app.register_blueprint(bp)
    register_template_slot(app, "profile_extra", "community/trust/_profile.html", order=10)
    register_post_content_check(app, check_post_limits)
    _connect_subscribers()
    _register_cli(app)

    app.add_template_global(services.level_name, "trust_level_name")
    app.add_template_global(services.progress, "trust_progress")
    app.after_request(_record_activity)


def _member_id(member) -> int:
    """The member's id without a query: after the view's commit every loaded row is expired, and reading
    `member.id` would reload the whole member row only to compare a stamp."""
    state = sa_inspect(member, raiseerr=False)
    return state.identity[0] if state is not None and state.identity else member.id


def _commit_keeping_loaded_rows() -> None:
    """Commit what the request recorded without expiring the rows it loaded.

    The rows were read in this request and the session's own writes are flushed into them; expiring them made the
    next after_request hooks (the member's last-seen stamp, the offline reader key) load the member's row again: a
    query on every signed-in page (bench/README.md, issue 18).
    """
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _record_activity(response):
    """Count the member's first visit of the UTC day; commit what this request recorded (reads)."""
    if response.status_code >= 400 or request.endpoint in (None, "static"):
        g.pop("trust_recorded", None)
        return response
    try:
        if current_user.is_authenticated:
            # The session remembers the day already counted, so other requests cost no query.
            stamp = f"{_member_id(current_user._get_current_object())}:{utcnow().date().isoformat()}"
            if session.get(_SESSION_KEY) != stamp:
                record_visit(current_user._get_current_object())
                session[_SESSION_KEY] = stamp
                g.trust_recorded = True
        if g.pop("trust_recorded", False):
            _commit_keeping_loaded_rows()
    except SQLAlchemyError:  # bookkeeping must never turn a page into an error
        log.exception("recording activity failed")
        db.session.rollback()
    return response


_connected = False


def _connect_subscribers() -> None:
    global _connected
    if _connected:  # signals are process-wide; several apps (tests) must not subscribe twice
        return
    trust_level_changed.connect(_on_level_changed)
    thread_viewed.connect(_on_thread_viewed)
    vote_settled.connect(_on_vote_cast)  # after the vote's commit (community/votes/effects.py)
    post_created.connect(_on_post_created)
    thread_created.connect(_on_thread_created)
    _connected = True


def _on_level_changed(member, previous=0, level=0, by=None, **_):
    """Keep a record: an audit log line, and a notification (promotions, and every change staff make)."""
    log.info("trust level of member %s (%s) changed from %s to %s by %s", member.id, member.username, previous,
             level, f"staff member {by.id} ({by.username})" if by is not None else "the computation")
    if by is None and level < previous:
        return  # a regular who stopped qualifying is not told off by a notification
    notify(member, "trust_level", actor=by,
           data={"previous": previous, "level": level, "locked": bool(member.trust_level_locked),
                 "url": f"/u/{quote(member.username)}#trust-level"})


def _on_thread_viewed(thread, viewer=None, last_number=0, **_):
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return
    record_read(viewer, thread.id, int(last_number or 0))
    g.trust_recorded = True


def _on_vote_cast(post, voter=None, value=0, previous=0, **_):
    if voter is None:
        return
    delta = (1 if value == 1 else 0) - (1 if previous == 1 else 0)  # only upvotes are likes
    record_like(voter, post.author_id, delta)


def _refresh_author(member) -> None:
    if member is not None and not member.trust_level_locked and (member.trust_level or 0) < 3:
        refresh_trust_level(member)


def _on_post_created(post, **_):
    _refresh_author(post.author)


def _on_thread_created(thread, post=None, **_):
    _refresh_author(post.author if post is not None else thread.author)


def _register_cli(app: Flask) -> None:
    trust_cli = AppGroup("trust", help="Trust levels.")

    @trust_cli.command("refresh")
    def refresh() -> None:
        """Re-evaluate every member's trust level (run daily: regulars who stopped visiting lose level 3)."""
        changed = refresh_all()
        db.session.commit()
        click.echo(f"Trust levels re-evaluated; {changed} changed.")

    trust_cli.add_command(refresh, "recompute")  # the same command under the name operators look for
    community_cli.add_command(trust_cli)
