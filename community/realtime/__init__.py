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

Other areas may add a staff counter with `community.registry.register_staff_counter(app, name,
fn(member) -> int | None)` and call `community.realtime.emit.staff_counters_changed()` when it moves.
"""
from flask import Flask

from ..extensions import socketio
from ..registry import register_template_slot
from . import (
    directwrite,
    models,  # noqa: F401  (tables known to create_all and Alembic)
    presence,
    session_sockets,
    sockets,
    subscribers,
    views,
)


def init_app(app: Flask) -> None:
    """Register the live pages, the socket handlers and the signal subscribers."""
    app.config.setdefault("REALTIME_PRESENCE_TTL", 90)
    app.config.setdefault("REALTIME_CATCH_UP_LIMIT", 50)
    if socketio.server is not None:
        directwrite.install(socketio.server.eio)  # broadcasts framed once, written without waking a thread each
    app.config.setdefault("REALTIME_EVENT_LIMITS", {})
    app.extensions["community.presence"] = presence.store_for(app)
    app.extensions["community.session_sockets"] = session_sockets.store_for(app)
    app.register_blueprint(views.bp)
    register_template_slot(app, "header_extra", "community/realtime/_header.html", order=10)
    register_template_slot(app, "page_end", "community/realtime/_page_end.html", order=10)
    register_template_slot(app, "thread_before_posts", "community/realtime/_thread.html", order=30)
    register_template_slot(app, "settings_extra", "community/realtime/_settings.html", order=10)
    app.add_template_global(views.live_settings_kinds, "live_settings_kinds")
    sockets.register()
    subscribers.connect()
