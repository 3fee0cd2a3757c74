"""The language of a request: the member's setting, else the guest's `lang` cookie (the language switcher),
else the browser's Accept-Language, else the site's default (site.default_language)."""
from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user

from .site.branding import default_locale

LANGUAGE_COOKIE = "lang"
# the switcher's choices, each named in its own language (never translated)
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}


def select_locale() -> str:
    """Choose the language: the member's setting, else the `lang` cookie, else Accept-Language, else the default."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    for value, _quality in request.accept_languages:
        tag = value.replace("-", "_").lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return default_locale()


def language_choices() -> list[tuple[str, str]]:
    """(code, name in its own language) for each language the site offers (a template global)."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]
