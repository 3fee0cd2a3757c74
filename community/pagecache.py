"""A short-lived cache of whole pages for guests ("anonymous cache", as Discourse has).

Most reads of a community are by guests, and every guest sees the same thread page. So the HTML
rendered for one guest is kept for `PAGE_CACHE_SECONDS` (10 s by default; 0 turns it off) and served
to the next ones, after the same permission check as always (`load_thread` still runs: a thread
moved to a private board is not served from here).

What keeps it correct:
- **Only guests, only shareable pages.** A signed-in reader never gets or fills the cache. A page is
  kept only if rendering it touched nothing personal: no CSRF token was written into it (the
  `csrf_token` template global marks the page) and the session was not changed; a guest with flashed
  messages waiting is served fresh.
- **Keyed** by the full path with its query string, the language and the time zone (the guest's `tz`
  cookie) the page was rendered in. Relative times ("3 minutes ago") are made in the browser.
- **Invalidated on change.** Every signal in `INVALIDATING` that names a thread (its sender or an
  argument is a Thread, or has a ``thread_id``) bumps that thread's generation, at once and again
  after the commit (so a render racing the transaction cannot store the old state under the new
  generation); any other, such as a member renaming themselves, bumps all pages. Signals that change
  nothing shown are listed in `NOT_INVALIDATING`; a test holds that each signal of
  `community.signals` is in one list or the other. A stored page whose generation is behind is a miss.
- **Bounded**: at most `PAGE_CACHE_ENTRIES` pages and `PAGE_CACHE_MAX_BYTES` (64 MiB) per process (least
  recently used dropped first), or
  Redis's own memory policy when shared.

**Shared between processes and hosts** when `REDIS_URL` is set: the pages and their generations live
in the app's cache store (community/cachestore.py), so an edit on host A bumps the generation host B
reads before serving, and B's copy is a miss from the commit on. Without Redis each process has its own
cache, and another process may serve a guest a page up to `PAGE_CACHE_SECONDS` old. When Redis cannot
be reached nothing is served from the cache and nothing is kept (fail safe); an invalidation that could
not be written leaves stored copies that expire after `PAGE_CACHE_SECONDS` at the latest.
"""
from __future__ import annotations

import hashlib
import logging

from flask import Response, current_app, g, has_app_context, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from . import cachestore, signals
from .aftercommit import after_commit
from .appearance.theme import theme_choice
from .forum.models import Thread

log = logging.getLogger(__name__)

# every signal that can change a page a guest sees
INVALIDATING = (
    signals.member_updated, signals.member_deleting, signals.thread_created, signals.post_created,
    signals.post_edited, signals.post_deleted, signals.thread_deleted, signals.vote_cast, signals.answer_accepted,
    signals.answer_unaccepted, signals.poll_created, signals.poll_voted, signals.idea_status_changed,
    signals.badge_granted, signals.trust_level_changed, signals.thread_locked, signals.thread_pinned,
    signals.thread_moved, signals.thread_retagged, signals.content_flagged, signals.review_resolved,
    signals.post_hidden, signals.post_unhidden, signals.post_restored, signals.post_approved, signals.threads_merged,
    signals.thread_split, signals.member_silenced, signals.member_suspended, signals.member_restriction_lifted,
    signals.moderation_logged, signals.board_changed, signals.member_role_changed, signals.site_settings_changed,
    signals.group_changed, signals.group_members_changed,  # group badges beside names
    signals.reaction_added, signals.reaction_removed,
)
# signals that change nothing a guest sees on a page (sent on every view or sign-in, say)
NOT_INVALIDATING = (signals.thread_viewed, signals.member_registered, signals.notification_created,
                    signals.reputation_changed, signals.reward_redeemed, signals.mail_queued, signals.sessions_ended,
                    signals.registration_attempted_for_existing_email, signals.registration_reviewed,
                    # private conversations are never on a guest's page
                    signals.conversation_started, signals.message_sent,
                    signals.consent_changed,  # a member's own CRM choices
                    signals.second_factor_changed,  # a member's own security settings
                    # a vote's lagging effects: what they change on a page sends its own signal (badge_granted,
                    # trust_level_changed); the score changed with vote_cast
                    signals.vote_settled)


class PageCache:
    """Pages and their generations in a cache store (community/cachestore.py).

    A stored page carries the generations it was rendered under (`everything`, its thread's); it is served
    only while both are still current. With a shared store (Redis) the generations are shared too, so a
    bump on one host turns every host's copy into a miss at once. When the store cannot be reached a
    generation cannot be read: nothing is served from the cache and nothing is kept (fail safe).
    """

    EVERYTHING = "page:gen:all"

    def __init__(self, entries: int = 512, store=None, max_bytes: int | None = None):
        self.entries = entries
        self.store = store if store is not None else cachestore.MemoryStore(entries, max_bytes)

    @staticmethod
    def _thread_key(thread_id: int) -> str:
        return f"page:gen:t:{thread_id}"

    @staticmethod
    def _page_key(key, thread_id: int) -> str:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        return f"page:{thread_id}:{digest}"

    def generation(self, thread_id: int) -> tuple[int, int] | None:
        """The current (everything, thread) generations, or None when the store cannot say."""
        try:
            everything, thread = self.store.counters([self.EVERYTHING, self._thread_key(thread_id)])
        except cachestore.CacheUnavailable:
            return None
        return everything, thread

    def bump(self, thread_id: int | None = None) -> None:
        """Make the thread's stored pages (every page with None) misses, on every host sharing the store."""
        try:
            self.store.incr(self.EVERYTHING if thread_id is None else self._thread_key(thread_id))
        except cachestore.CacheUnavailable:
            # unreachable for everyone: no host can read a page from it either; the stored copies
            # expire after PAGE_CACHE_SECONDS at the latest
            log.warning("page cache: could not invalidate thread %s", thread_id)

    def get(self, key, thread_id: int, generation: tuple[int, int] | None = None):
        generation = generation if generation is not None else self.generation(thread_id)
        if generation is None:
            return None
        value = self.store.get(self._page_key(key, thread_id))
        if value is None:
            return None
        header, _, body = value.partition(b"\n")
        if header != b"%d:%d" % generation:
            return None
        return body

    def put(self, key, thread_id: int, generation: tuple[int, int] | None, body: bytes, seconds: float) -> None:
        if generation is None or generation != self.generation(thread_id):
            return  # changed while it was being rendered, or the store cannot tell
        self.store.set(self._page_key(key, thread_id), b"%d:%d\n" % generation + body, seconds)


def _cache() -> PageCache | None:
    return current_app.extensions.get("community.pagecache")


def _eligible() -> bool:
    return (request.method == "GET" and not current_user.is_authenticated and "_flashes" not in session
            and current_app.config.get("PAGE_CACHE_SECONDS", 0) > 0 and _cache() is not None)


def _key():
    # times are shown in the guest's zone (cookie tz); the theme is data-theme on <html> (cookie theme)
    return request.full_path, str(get_locale()), str(get_timezone()), theme_choice()


def cached_thread_page(thread_id: int) -> Response | None:
    """The stored page for this guest request, or None (and then `store` may keep the one rendered)."""
    if not _eligible():
        return None
    generation = _cache().generation(thread_id)
    if generation is None:
        return None  # the shared store is away: render afresh, keep nothing
    g._page_cache_generation = generation
    body = _cache().get(_key(), thread_id, generation)
    if body is None:
        return None
    return Response(body, mimetype="text/html")


def store(thread_id: int, html: str):
    """Keep `html` for the next guests if it is shareable; return it as the view's response."""
    generation = g.pop("_page_cache_generation", None)
    if (generation is not None and _eligible() and not g.get("_page_has_csrf_token") and not session.modified
            and "_flashes" not in session):
        _cache().put(_key(), thread_id, generation, html.encode(), current_app.config["PAGE_CACHE_SECONDS"])
    return html


def _thread_ids(sender, kwargs) -> set[int] | None:
    found: set[int] = set()
    for value in (sender, *kwargs.values()):
        if isinstance(value, Thread):
            found.add(value.id)
        elif isinstance(getattr(value, "thread_id", None), int):
            found.add(value.thread_id)
    return found or None


def make_cache(app) -> PageCache:
    """The app's page cache: in the shared store when it is shared (Redis), else in its own bounded LRU."""
    shared = cachestore.store(app)
    return PageCache(app.config["PAGE_CACHE_ENTRIES"], store=shared if shared.shared else None,
                     max_bytes=app.config["PAGE_CACHE_MAX_BYTES"])


def init_app(app) -> None:
    # off under the test client unless a test turns it on: tests change rows behind the services' back
    app.config.setdefault("PAGE_CACHE_SECONDS", 0 if app.testing else 10)
    app.config.setdefault("PAGE_CACHE_ENTRIES", 512)
    app.config.setdefault("PAGE_CACHE_MAX_BYTES", 64 * 2**20)
    app.extensions["community.pagecache"] = make_cache(app)

    def csrf_token():
        g._page_has_csrf_token = True  # a page with a token in it belongs to one session
        return generate_csrf()

    app.jinja_env.globals["csrf_token"] = csrf_token

    _connect_signals()


def _invalidate(sender, **kwargs):
    if not has_app_context() or _cache() is None:
        return
    cache = _cache()
    for thread_id in _thread_ids(sender, kwargs) or (None,):
        cache.bump(thread_id)
        after_commit(cache.bump, thread_id)


_connected = False


def _connect_signals() -> None:
    """Subscribe once per process to the signals that change pages (each app's cache is found through current_app)."""
    global _connected
    if _connected:
        return
    for signal in INVALIDATING:
        signal.connect(_invalidate, weak=False)
    _connected = True
