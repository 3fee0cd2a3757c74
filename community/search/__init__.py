"""Full-text search over threads and posts. This package owns the search engines; nothing else imports them.

- `analysis`: the bilingual analyzer (English stemming, jieba for Chinese), shared by both backends.
- `documents`: what a post's search document holds; `parse`: the query language; `readerfilter`: what a
  reader may not find; `highlight`: snippets; `query`: a page of results, similar threads.
- `backends`: one interface, two engines chosen by SEARCH_BACKEND: `whoosh` (default; files in the
  instance folder, a writer thread after commit) and `postgres` (a table in the shared database, written
  in the event's own transaction: what several hosts need).
- `views`: /search, /api/v1/search, /search/similar; `cli`: `flask community search reindex`.

Settings: SEARCH_BACKEND (whoosh), SEARCH_INDEX_DIR (default <instance>/search-index), SEARCH_PER_PAGE (20),
SEARCH_MAX_QUERY_LENGTH (characters, 400), SEARCH_MAX_TERMS (words and filters, 32),
SEARCH_REINDEX_MEMORY_MB (Whoosh's posting pool for a full rebuild before it spills to disk, 768;
the process takes about that much more while rebuilding), SEARCH_WRITE_DELAY (seconds the Whoosh writer
gathers changes before one commit, 1.0: a commit's cost is mostly fixed, so a burst is written at once).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .. import signals
from ..aftercommit import after_commit
from ..extensions import db
from ..forum.models import Board, Post, Thread
from ..members.models import Member
from ..registry import register_scheduled_job, register_template_slot
from . import cli, models, views  # noqa: F401  (models: the postgres backend's tables)
from .backends import backend, check, name_of
from .backends.postgres import compact_counts as _compact_counts

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
               signals.vote_settled,  # a vote's lagging effects: the score was indexed at vote_cast
               # private conversations are never indexed
               signals.conversation_started, signals.message_sent,
               signals.consent_changed, signals.second_factor_changed)


def compact_counts() -> str:
    """Sum the one-word counts' delta rows written since the last run (SEARCH_BACKEND=postgres)."""
    if name_of(current_app) != "postgres":
        return "not the postgres backend: nothing to do"
    return f"{_compact_counts()} counts summed"


def init_app(app: Flask) -> None:
    """Register the search pages and CLI, and keep the index in step with the signals in INDEXED."""
    app.config.setdefault("SEARCH_PER_PAGE", 20)
    app.config.setdefault("SEARCH_MAX_QUERY_LENGTH", 400)
    app.config.setdefault("SEARCH_MAX_TERMS", 32)
    app.config.setdefault("SEARCH_REINDEX_MEMORY_MB", 768)
    app.config.setdefault("SEARCH_BACKEND", "whoosh")
    app.config.setdefault("SEARCH_WRITE_DELAY", 1.0)
    check(app)
    app.register_blueprint(views.bp)
    register_template_slot(app, "new_thread_extra", "community/search/_similar.html", order=20)
    register_template_slot(app, "nav_extra", "community/search/_header.html")
    cli.init_app(app)
    register_scheduled_job(app, "search.compact_counts", compact_counts, every=timedelta(minutes=5))
    for signal in INDEXED:
        # weak=False: a module-level function, connected once per signal (connect is idempotent)
        signal.connect(_on_vote if signal is signals.vote_cast else _on_change, weak=False)
    if not event.contains(Session, "after_soft_rollback", _forget):
        event.listen(Session, "after_soft_rollback", _forget)
    if not event.contains(Session, "before_commit", _write_in_transaction):
        event.listen(Session, "before_commit", _write_in_transaction)


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


def _on_vote(sender, **_kwargs) -> None:
    """A vote moves its post's score, which only that post's document carries: unlike a new or removed reply,
    it changes nothing its thread's opening post carries (answered, solved), which is not rewritten."""
    changed = _changed()
    if changed is not None and isinstance(sender, Post):
        changed["posts"].add(sender.id)


def _changed() -> dict | None:
    if not has_app_context():
        return None
    session = db.session()
    changed = session.info.get(_KEY)
    if changed is None:
        changed = session.info[_KEY] = {"posts": set(), "threads": set(), "threads_of": set(), "members": set()}
        search = backend()
        if not search.in_transaction:
            after_commit(_send, search, session)
    return changed


def note_posts(post_ids) -> None:
    """Have the next commit rewrite these posts' documents (a change made behind the services' back)."""
    changed = _changed()
    if changed is not None:
        changed["posts"].update(post_ids)


def _ready(changed: dict) -> dict:
    """The changes as a backend takes them: a new, removed or voted reply changes what its thread's
    opening post carries (answered), so those openings are rewritten too."""
    return {"posts": changed["posts"], "threads": changed["threads"], "members": changed["members"],
            "openings": changed["threads_of"] - changed["threads"]}


def _send(search, session) -> None:
    """After the commit: hand the changed ids to a backend that writes afterwards (Whoosh's writer thread)."""
    changed = session.info.pop(_KEY, None)
    if changed:
        search.changed(session, _ready(changed))


def _write_in_transaction(session) -> None:
    """Before the commit: a backend that lives in the database writes the changed documents in the same
    transaction, so search is consistent at commit (no writer thread, nothing to catch up)."""
    changed = session.info.get(_KEY)
    if not changed or not has_app_context() or session is not db.session():
        return
    search = backend()
    if search.in_transaction:
        session.info.pop(_KEY, None)
        search.changed(session, _ready(changed))


def _forget(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)


def wait(timeout: float = 30.0) -> bool:
    """Block until the index holds every committed change (tests, the CLI)."""
    return backend(current_app._get_current_object()).wait(timeout)


def health() -> dict:
    """Return {"ok": bool, ...} for /healthz: the search backend answers (or is being rebuilt)."""
    return backend().health()
