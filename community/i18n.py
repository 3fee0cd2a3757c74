"""The language of a request: the member's setting, else the browser's, else the site's default (site.default_language)."""
from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user

from .site.branding import default_locale


def select_locale() -> str:
    """Choose the language: the member's setting, else the browser's Accept-Language, else the site's default."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    for value, _quality in request.accept_languages:
        tag = value.replace("-", "_").lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return default_locale()
