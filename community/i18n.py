"""The language of a request: the member's setting, else the guest's `lang` cookie (the language switcher),
else the browser's Accept-Language, else the site's default (site.default_language)."""
from __future__ import annotations

from babel.support import NullTranslations
from flask import current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations
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


_NULL = NullTranslations()


def _translations():
    """This request's catalogue for the templates' `_()`: Flask-Babel's, kept while the locale stays the same.

    Flask-Babel finds it through the request context, the domain and the locale on every call (a hundred times
    a page, a tenth of a signed-in thread page's template time, bench/README.md issue 18). The catalogue is kept
    with the very locale object it was found for, so `force_locale` (a mail in its reader's language) and
    `refresh()` (a new locale object) find theirs again.
    """
    if not g:
        return _NULL
    locale = get_locale()
    kept = g.get("_i18n_translations")
    if kept is None or kept[0] is not locale:
        kept = g._i18n_translations = (locale, get_translations())
    return kept[1]


def install_template_gettext(app) -> None:
    """Give Jinja the same `_`, `ngettext`, `pgettext` and `npgettext` as Flask-Babel, through `_translations`."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
