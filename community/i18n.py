"""The language of a request: the member's setting, else the guest's `lang` cookie (the language switcher),
else the browser's Accept-Language, else the site's default (site.default_language)."""
from __future__ import annotations

from functools import cached_property, lru_cache

from babel.support import NullTranslations, Translations
from flask import Request, current_app, has_request_context, request
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from wtforms.i18n import messages_path

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
    app_context = _cv_app.get(None)  # `g` itself, without its proxy: this runs for every `_()` of a page
    if app_context is None:
        return _NULL
    kept_here = app_context.g.__dict__
    babel = kept_here.get("_flask_babel")  # where Flask-Babel's `get_locale` keeps the request's locale
    locale = getattr(babel, "babel_locale", None) if babel is not None else None
    if locale is None:
        locale = get_locale()
    kept = kept_here.get("_i18n_translations")
    if kept is None or kept[0] is not locale:
        kept = kept_here["_i18n_translations"] = (locale, get_translations())
    return kept[1]


class CommunityRequest(Request):
    """Flask's request, with WTForms' catalogue for its language read once per process (see `wtforms_translations`)."""

    @cached_property
    def wtforms_translations(self):
        """What Flask-WTF looks for on the request before it loads WTForms' own messages (its error texts) from
        disk for the request's language: a parsed catalogue per language and process instead of a file lookup
        (and, for Chinese, a parse) on every request that makes a form (bench/README.md, issue 18, helper tp3)."""
        return _wtforms_catalogue(str(get_locale()))


@lru_cache(maxsize=16)
def _wtforms_catalogue(locale: str):
    """Flask-WTF's own `Translations.load(messages_path(), [locale], domain="wtforms")`, once per language."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


def install_template_gettext(app) -> None:
    """Give Jinja the same `_`, `ngettext`, `pgettext` and `npgettext` as Flask-Babel, through `_translations`;
    and the app's requests WTForms' catalogue per language (`CommunityRequest`)."""
    app.request_class = CommunityRequest
    env = app.jinja_env
    env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    env.globals["_"] = _remembering_gettext(env.globals["gettext"])


_REMEMBERED_MAX = 8192  # answers kept per catalogue (the templates hold about 1 500 literal strings)


def _remembering_gettext(gettext):
    """The templates' `_()`: Jinja's own (`jinja2.ext._gettext_alias` calling the newstyle `gettext`), remembering its
    answer per catalogue for a string without variables.

    A hundred `_()` a signed-in thread page each went through two context calls, the catalogue, a new Markup and
    its `%` formatting (about 10 us each, a twentieth of the page; bench/README.md, issue 18). The answer depends only
    on the catalogue, the string and the template's autoescaping, so it is kept on the catalogue object itself (a
    new locale or catalogue is another object). With variables, or where a template overrides `gettext`, Jinja's
    own path runs.
    """
    @pass_context
    def remembering(context, *args, **kwargs):
        found = context.resolve_or_missing("gettext")
        if kwargs or len(args) != 1 or found is not gettext:
            return context.call(context.resolve("gettext"), *args, **kwargs)
        translations = _translations()
        known = translations.__dict__.get("_community_template_gettext")
        if known is None:
            known = translations.__dict__["_community_template_gettext"] = {}
        key = (args[0], context.eval_ctx.autoescape)
        answer = known.get(key)
        if answer is None:
            answer = gettext(context, args[0])
            if len(known) < _REMEMBERED_MAX:  # a template may pass a computed string: stay bounded
                known[key] = answer
        return answer

    return remembering
