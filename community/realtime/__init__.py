"""Live updates over Socket.IO: threads, notifications, presence and staff counters.

Rooms: `thread:<id>` (readers of a thread; joining checks `can_view_thread`), `member:<id>` (one
member's notifications), `staff` (members who see the staff counters). Events carry ids, numbers
and states, never content: a client fetches what it may see over HTTP (`/live/posts/<id>`), where
the page's own permission checks apply. Every emit runs after commit (`community.aftercommit`);
with `REDIS_URL` set it goes through the Redis message queue, so every server process, and CLI or
worker processes, reach every connected client.

Settings (all optional, `COMMUNITY_<NAME>` in the environment):
- `SOCKETIO_ORIGINS`: origins allowed to open a socket (a list, or "*"); unset means same origin only.
- `SOCKETIO_CHANNEL`: the Redis channel name (several communities can share one Redis).
- `REALTIME_PRESENCE_TTL`: seconds a reader stays counted without a ping (90).
- `REALTIME_EVENT_LIMITS`: {event: [burst, per_seconds]} for events sent by clients.
- `REALTIME_CATCH_UP_LIMIT`: most missed posts returned on re-join (50); beyond it the client reloads.

Other areas may add a staff counter: `app.extensions["community.staff_counters"][name] = fn(member)
-> int | None` and call `community.realtime.emit.staff_counters_changed()` when it moves.
"""
from flask import Flask

from . import models  # noqa: F401  (tables known to create_all and Alembic)


def init_app(app: Flask) -> None:
    """Register the live pages, the socket handlers and the signal subscribers."""
    from . import presence, session_sockets, sockets, subscribers, views

    app.config.setdefault("REALTIME_PRESENCE_TTL", 90)
    app.config.setdefault("REALTIME_CATCH_UP_LIMIT", 50)
    app.config.setdefault("REALTIME_EVENT_LIMITS", {})
    app.extensions.setdefault("community.staff_counters", {}).setdefault("review_queue", _review_queue)
    app.extensions["community.presence"] = presence.store_for(app)
    app.extensions["community.session_sockets"] = session_sockets.store_for(app)
    app.register_blueprint(views.bp)
    app.add_template_global(views.live_settings_kinds, "live_settings_kinds")
    sockets.register()
    subscribers.connect()


def _review_queue(member) -> int | None:
    """The moderation area's queue size, for moderators; None (not shown) when that area is absent."""
    import importlib

    from ..permissions import is_moderator

    try:
        moderation = importlib.import_module("community.moderation.review")
    except ImportError:
        return None
    count = getattr(moderation, "pending_review_count", None)
    if count is None or not is_moderator(member):
        return None
    return count(member)
