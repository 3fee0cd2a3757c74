"""Configuration: defaults, then the public environment variables, then `COMMUNITY_*` overrides.

The contract variables (DATABASE_URL, REDIS_URL, SECRET_KEY, SMTP_URL, MAIL_FROM, RATELIMIT_ENABLED)
are read under their plain names; every other setting can be given as `COMMUNITY_<NAME>`, parsed as
JSON when it looks like JSON (e.g. `COMMUNITY_EDIT_WINDOW_MINUTES=30`).
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

ENV_PREFIX = "COMMUNITY"


class Defaults:
    COMMUNITY_NAME = "Acme Community"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_RECORD_QUERIES = False
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead; a long compose must not expire
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # a request body; post bodies have their own, smaller limit
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024  # one form field: let an over-long post reach the clear message
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "zh_CN")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None
    SMTP_URL = None
    MAIL_FROM = "community@localhost"
    # forum rules
    THREADS_PER_PAGE = 25
    POSTS_PER_PAGE = 20
    TITLE_MIN_LENGTH = 5
    TITLE_MAX_LENGTH = 200
    BODY_MIN_LENGTH = 2
    BODY_MAX_LENGTH = 32_000
    EDIT_WINDOW_MINUTES = 24 * 60
    PASSWORD_MIN_LENGTH = 8
    # Argon2id parameters (argon2-cffi's RFC 9106 "low memory" profile by default)
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 4
    SEARCH_INDEX_DIR = None  # default: <instance>/search-index


def _parse(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


def load(app, overrides: dict | None = None) -> None:
    """Fill app.config from defaults, the environment and explicit overrides (tests)."""
    app.config.from_object(Defaults)
    env = os.environ
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    if env.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(env["DATABASE_URL"])
    else:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'community.db'}"
    if env.get("REDIS_URL"):
        app.config["REDIS_URL"] = env["REDIS_URL"]
    if env.get("SMTP_URL"):
        app.config["SMTP_URL"] = env["SMTP_URL"]
    if env.get("MAIL_FROM"):
        app.config["MAIL_FROM"] = env["MAIL_FROM"]
    if env.get("TRUSTED_PROXIES", "").strip():  # contract name; COMMUNITY_TRUSTED_PROXIES works too
        value = env["TRUSTED_PROXIES"].strip()
        if not value.isdigit():
            raise ValueError(f"TRUSTED_PROXIES is the number of reverse proxies in front (0, 1, 2 ...), not {value!r}")
        app.config["TRUSTED_PROXIES"] = int(value)
    if env.get("TRYTON_URL"):
        app.config["TRYTON_URL"] = env["TRYTON_URL"]
    if env.get("UPLOADS_PATH"):
        app.config["UPLOADS_PATH"] = env["UPLOADS_PATH"]
    for key in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_NAME"):  # one sign-in provider
        if env.get(key, "").strip():
            app.config[key] = env[key].strip()
    if env.get("SEARCH_BACKEND", "").strip():  # contract: whoosh (default) or postgres (community/search/backends)
        app.config["SEARCH_BACKEND"] = env["SEARCH_BACKEND"].strip().lower()
    if "RATELIMIT_ENABLED" in env:
        app.config["RATELIMIT_ENABLED"] = env["RATELIMIT_ENABLED"].strip().lower() not in {"0", "false", "no", "off"}

    for key, value in env.items():
        if key.startswith(ENV_PREFIX + "_"):
            app.config[key[len(ENV_PREFIX) + 1:]] = _parse(value)

    if overrides:
        app.config.update(overrides)

    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    if not app.config.get("BASE_URL"):  # COMMUNITY_BASE_URL, else where `python wsgi.py` serves
        app.config["BASE_URL"] = base_url_from(env.get("HOST"), env.get("PORT"))
    if not app.config.get("UPLOADS_PATH"):  # contract variable; uploaded files (community/uploads)
        app.config["UPLOADS_PATH"] = str(instance / "uploads")
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = str(instance / "search-index")
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or env.get("SECRET_KEY") or _instance_secret(instance)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(app.config["SQLALCHEMY_DATABASE_URI"],
                                                              app.config["SQLALCHEMY_ENGINE_OPTIONS"])


def base_url_from(host: str | None, port: str | None) -> str:
    """The absolute base of links when none is set: HOST/PORT as `python wsgi.py` reads them.

    A wildcard address (0.0.0.0, ::) is where the server listens, not an address to visit: links use
    127.0.0.1 then (set COMMUNITY_BASE_URL, or the base URL on /admin/mail, for a public name).
    """
    host = (host or "").strip() or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]", "*"}:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    port = (port or "").strip() or "5000"
    return f"http://{host}" + ("" if port == "80" else f":{port}")


def _normalise_db_url(url: str) -> str:
    # Heroku-style URLs name the old driver; this project speaks psycopg 3.
    for old in ("postgres://", "postgresql://"):
        if url.startswith(old):
            return "postgresql+psycopg://" + url[len(old):]
    return url


def _engine_options(url: str, given: dict) -> dict:
    options = dict(given)
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
    # PostgreSQL: a pooled connection is checked before use without a round trip (community/__init__.py,
    # `_postgres_liveness`) unless pool_pre_ping is given here (then SQLAlchemy's SELECT 1 on every checkout).
    return options


def _instance_secret(instance: Path) -> str:
    """Return the secret key kept in the instance folder, creating it once."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
