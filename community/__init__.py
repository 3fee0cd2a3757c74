"""The forum half of the application. `init_app` wires it into a Flask app built by the factory."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from flask import Flask, g
from sqlalchemy import event

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
