"""The forum half of the application. `init_app` wires it into a Flask app built by the factory."""
from __future__ import annotations

import importlib
import pkgutil
import select
from pathlib import Path

from flask import Flask, g
from sqlalchemy import event, exc

from . import (
    aftercommit,  # noqa: F401  (registers the session hooks)
    auth_loader,
    cachestore,
    cli,
    crypto,
    demo,  # noqa: F401  (the seed-demo command)
    fragments,
    headers,
    hostile,
    pagecache,
    pages,
    registry,
    render,
    settings,  # noqa: F401  (the site_settings table; areas declare their keys)
)
from .extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from .forum.views import bp as forum_bp
from .i18n import install_template_gettext, select_locale
from .localtime.zones import select_timezone
from .members.views import bp as members_bp
from .site.views import bp as site_bp

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
TRANSLATIONS_DIR = str(Path(__file__).resolve().parent / "translations")


def init_app(app: Flask) -> None:
    """Bind the extensions, blueprints, CLI commands and error pages of the forum to `app`."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATIONS_DIR)
    db.init_app(app)
    crypto.init_app(app)  # the key of the encrypted columns (community/crypto.py)
    _sqlite_pragmas(app)
    _postgres_liveness(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)  # the same callables, a catalogue lookup per request instead of per string
    limiter.init_app(app)
    login_manager.init_app(app)
    socketio.init_app(app, message_queue=app.config.get("REDIS_URL"), async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
                      cors_allowed_origins=app.config.get("SOCKETIO_ORIGINS"),
                      channel=app.config.get("SOCKETIO_CHANNEL") or "flask-socketio")

    registry.init_app(app)  # before the areas: they register into it
    auth_loader.init_app(app)
    app.register_blueprint(site_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(forum_bp)
    pages.init_app(app)
    render.init_app(app)  # after pages: its format_datetime replaces Flask-Babel's
    cachestore.init_app(app)  # before the caches that use it
    pagecache.init_app(app)  # after csrf: it wraps the csrf_token template global
    fragments.init_app(app)  # after pagecache: fragments use its csrf_token global and INVALIDATING list
    cli.init_app(app)
    _init_areas(app)
    hostile.init_app(app)  # after the areas: its check runs before their before_request hooks
    headers.init_app(app)  # after socketio.init_app: its middleware wraps Engine.IO's answers too

    @app.before_request
    def _remember_start():
        g.locale_choices = app.config["LANGUAGES"]


def _init_areas(app: Flask) -> None:
    """Let each feature area (a subpackage with `init_app`) add its blueprint, settings and subscribers."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.ispkg and info.name not in {"members", "forum", "site"}:
            module = importlib.import_module(f"{__name__}.{info.name}")
            if hasattr(module, "init_app"):
                module.init_app(app)


def _sqlite_pragmas(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")  # first, so the pragmas below wait for a lock too
        # WAL is a property of the database file: switch once, not from every new connection.
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")  # erased rows (account deletion) leave no bytes in free pages
        cursor.close()


def _postgres_liveness(app: Flask) -> None:
    """Check a pooled PostgreSQL connection before each use as pool_pre_ping did, without its round trip.

    pool_pre_ping sent `SELECT 1` at every checkout: a round trip and a statement on the server for every request.
    A connection the server closed (a restart, `pg_terminate_backend`, an idle timeout) has its socket readable
    while the connection is idle (the server's goodbye, or the end of the stream), so the checkout looks at the
    socket (one non-blocking poll); only when something is there does it ping for real, and a failed ping makes
    the pool connect afresh (SQLAlchemy's DisconnectionError), so the request never sees the dead connection.
    `SQLALCHEMY_ENGINE_OPTIONS` with `pool_pre_ping` set keeps SQLAlchemy's own ping instead.
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") or \
            "pool_pre_ping" in app.config["SQLALCHEMY_ENGINE_OPTIONS"]:
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, _record, _proxy):
        if not _maybe_gone(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure of the ping: another connection, as pool_pre_ping would
            raise exc.DisconnectionError() from error


def _maybe_gone(dbapi_connection) -> bool:
    """Whether an idle psycopg connection may be closed: closed on our side, a bad state, or data waiting."""
    try:
        if dbapi_connection.closed or dbapi_connection.pgconn.status != 0:  # 0: CONNECTION_OK
            return True
        poller = select.poll()
        poller.register(dbapi_connection.pgconn.socket, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except Exception:  # no socket to look at: ping
        return True
