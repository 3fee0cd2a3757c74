"""Full-text search over threads and posts (Whoosh). This package owns Whoosh; nothing else imports it.

- `analysis`: the bilingual analyzer (English stemming, jieba for Chinese).
- `index`: schema, documents, the single writer thread, rebuilding, health.
- `query`: the query language, the reader's filter, results with snippets, similar threads.
- `views`: /search, /api/v1/search, /search/similar; `cli`: `flask community search reindex`.

Settings: SEARCH_INDEX_DIR (default <instance>/search-index), SEARCH_PER_PAGE (20),
SEARCH_MAX_QUERY_LENGTH (characters, 400), SEARCH_MAX_TERMS (words and filters, 32),
SEARCH_REINDEX_MEMORY_MB (Whoosh's posting pool for a full rebuild before it spills to disk, 768;
the process takes about that much more while rebuilding).
"""
from __future__ import annotations

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .. import signals
from ..aftercommit import after_commit
from ..extensions import db
from ..forum.models import Board, Post, Thread
from ..members.models import Member
from ..registry import register_template_slot
from . import cli, views
from .index import service

_KEY = "community.search.changed"

# Signals that can change what the index holds (a test holds that every signal is in one list or the other).
INDEXED = (
    signals.member_updated, signals.member_deleting, signals.thread_created, signals.post_created,
    signals.post_edited, signals.post_deleted, signals.thread_deleted, signals.vote_cast, signals.answer_accepted,
    signals.answer_unaccepted, signals.idea_status_changed, signals.thread_moved, signals.thread_retagged,
    signals.content_flagged, signals.review_resolved, signals.post_hidden, signals.post_unhidden,
    signals.post_restored, signals.post_approved, signals.threads_merged, signals.thread_split,
    signals.member_silenced, signals.member_suspended, signals.member_restriction_lifted, signals.moderation_logged,
    signals.board_changed,  # a board's visibility is copied onto its documents
)
# Signals that never change what the index holds.
NOT_INDEXED = (signals.member_registered, signals.notification_created, signals.reputation_changed,
               signals.badge_granted, signals.trust_level_changed, signals.reward_redeemed, signals.poll_created,
               signals.poll_voted, signals.thread_viewed, signals.thread_locked, signals.thread_pinned,
               signals.mail_queued, signals.sessions_ended, signals.registration_attempted_for_existing_email,
               signals.member_role_changed, signals.site_settings_changed, signals.registration_reviewed,
               # the reader's filter reads groups and memberships at query time: no document changes
               signals.group_changed, signals.group_members_changed,
               signals.reaction_added, signals.reaction_removed,
               # private conversations are never indexed
               signals.conversation_started, signals.message_sent,
               signals.consent_changed, signals.second_factor_changed)


def init_app(app: Flask) -> None:
    """Register the search pages and CLI, and keep the index in step with the signals in INDEXED."""
    app.config.setdefault("SEARCH_PER_PAGE", 20)
    app.config.setdefault("SEARCH_MAX_QUERY_LENGTH", 400)
    app.config.setdefault("SEARCH_MAX_TERMS", 32)
    app.config.setdefault("SEARCH_REINDEX_MEMORY_MB", 768)
    app.register_blueprint(views.bp)
    register_template_slot(app, "new_thread_extra", "community/search/_similar.html", order=20)
    register_template_slot(app, "nav_extra", "community/search/_header.html")
    cli.init_app(app)
    for signal in INDEXED:
        # weak=False: a module-level function, connected once per signal (connect is idempotent)
        signal.connect(_on_change, weak=False)
    if not event.contains(Session, "after_soft_rollback", _forget):
        event.listen(Session, "after_soft_rollback", _forget)


def _on_change(sender, **kwargs) -> None:
    """Note what changed (posts, threads, members) to rewrite their documents after the commit."""
    changed = _changed()
    if changed is None:
        return
    for obj in [sender, *kwargs.values()]:
        for item in (obj if isinstance(obj, (list, tuple, set)) else [obj]):
            if isinstance(item, Post):
                changed["posts"].add(item.id)
                changed["threads_of"].add(item.thread_id)
            elif isinstance(item, Thread):
                changed["threads"].add(item.id)
            elif isinstance(getattr(item, "post", None), Post):  # a flag, a review item, a log line
                changed["posts"].add(item.post.id)
                changed["threads_of"].add(item.post.thread_id)
            elif isinstance(item, Board) and item is sender and "visibility" in (kwargs.get("fields") or ()):
                # each document carries its board's visibility: rewrite them all (ids only here)
                changed["threads"].update(db.session.scalars(select(Thread.id).where(Thread.board_id == item.id)))
            elif isinstance(item, Member) and item is sender and "fields" in kwargs:
                if {"username", "display_name"} & set(kwargs.get("fields") or ()):
                    changed["members"].add(item.id)


def _changed() -> dict | None:
    if not has_app_context():
        return None
    session = db.session()
    changed = session.info.get(_KEY)
    if changed is None:
        changed = session.info[_KEY] = {"posts": set(), "threads": set(), "threads_of": set(), "members": set()}
        after_commit(_send, service(), session)
    return changed


def _send(search, session) -> None:
    """After the commit: hand the changed ids to the writer thread (which reads the committed rows)."""
    changed = session.info.pop(_KEY, None)
    if not changed:
        return
    if changed["threads"]:
        search.enqueue("threads", changed["threads"])
    if changed["posts"]:
        search.enqueue("posts", changed["posts"])
    # A new, removed or voted reply changes what its thread's opening post carries (answered).
    if changed["threads_of"] - changed["threads"]:
        search.enqueue("openings", changed["threads_of"] - changed["threads"])
    if changed["members"]:
        search.enqueue("members", changed["members"])


def _forget(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)


def wait(timeout: float = 30.0) -> bool:
    """Block until the index holds every committed change (tests, the CLI)."""
    return service(current_app._get_current_object()).wait(timeout)
