"""The REST API under /api/v1 (JSON, bearer tokens, OpenAPI 3.1 at /api/v1/openapi.json), personal access
tokens on the settings page and admin API keys. The same services and permission predicates as the pages.

Settings:
API_REGISTRATION_ENABLED   POST /api/v1/members creates accounts (True); False answers 403.
API_TOKEN_DAYS             how long a sign-in token from POST /api/v1/tokens lasts (30 days).
"""
from flask import Flask

from ..extensions import csrf
from ..registry import register_template_slot
from ..signals import sessions_ended
from . import (
    admin,  # noqa: F401  (routes register on import)
    bookmarks,  # noqa: F401  (routes register on import)
    core,
    models,  # noqa: F401  (tables known to create_all and Alembic)
    moderation,  # noqa: F401  (routes register on import)
    openapi,  # noqa: F401  (routes register on import)
    pages,
    services,
    views,  # noqa: F401  (routes register on import)
)


def init_app(app: Flask) -> None:
    """Register the API blueprint (CSRF handled per request), bearer authentication and the token pages."""
    app.config.setdefault("API_REGISTRATION_ENABLED", True)
    app.config.setdefault("API_TOKEN_DAYS", 30)

    sessions_ended.connect(services.on_sessions_ended)
    csrf.exempt(core.bp)  # core checks CSRF itself for cookie sessions; bearer requests need none
    app.register_blueprint(core.bp)
    app.register_blueprint(pages.bp)
    register_template_slot(app, "settings_extra", "community/api/_settings.html", order=30)
    # Before every other hook (CSRF, locale, last-seen): a bearer token decides who is calling.
    app.before_request_funcs.setdefault(None, []).insert(0, core.authenticate_request)
