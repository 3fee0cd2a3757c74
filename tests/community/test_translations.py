"""Every text a reader can meet has a Simplified Chinese translation, with the same placeholders.

The catalog is checked against a fresh extraction of the source, so this goes red as soon as someone
adds a string without translating it: run `make translations`, translate the new entries in
community/translations/zh_Hans_CN/LC_MESSAGES/messages.po, and compile again.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import g, render_template_string
from flask_babel import force_locale, refresh

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "community" / "translations"
# Flask-Babel looks the catalog up under str(Locale.parse("zh_CN")), which Babel spells "zh_Hans_CN".
ZH_DIR = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")


def _key(message) -> str:
    return message.id[0] if isinstance(message.id, (tuple, list)) else message.id


def _id(message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def _placeholders(text: str) -> list[tuple[str, str]]:
    return sorted(PLACEHOLDER.findall(text))


class _AnyValue(dict):
    def __missing__(self, key):
        return 1


def _formats(text: str) -> bool:
    """Jinja's gettext always applies `%`, so a stray percent sign would break the page."""
    try:
        text % _AnyValue()
    except (ValueError, TypeError):
        return False
    return True


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Extract the messages of the source tree now, as `make translations` does (templates/_macros too)."""
    pot = tmp_path_factory.mktemp("babel") / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l",
                                "-k", "lazy_gettext", "--ignore-dirs", ".*", "-o", str(pot), str(ROOT)])
    with pot.open("rb") as fh:
        catalog = read_po(fh)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 100, "the extraction found almost nothing; is babel.cfg still right?"
    return messages


@pytest.fixture(scope="module")
def chinese():
    with (ZH_DIR / "messages.po").open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def test_every_extracted_text_has_a_chinese_translation(extracted, chinese):
    missing = []
    for message in extracted:
        entry = chinese.get(message.id, context=message.context)
        if entry is None or entry.fuzzy or not all(s.strip() for s in _strings(entry)):
            missing.append(_key(message))
    assert not missing, (f"{len(missing)} texts have no Chinese translation in {ZH_DIR / 'messages.po'} "
                         f"(run `make translations`, translate, compile): {missing}")


def test_chinese_translations_keep_the_placeholders(extracted, chinese):
    wrong = []
    for message in extracted:
        entry = chinese.get(message.id, context=message.context)
        if entry is None:
            continue
        source = message.id[-1] if isinstance(message.id, (tuple, list)) else message.id
        for text in _strings(entry):
            if text and (_placeholders(text) != _placeholders(source) or not _formats(text)):
                wrong.append((_key(message), text))
    assert not wrong, f"placeholders (or percent signs) differ from the English text: {wrong}"


def test_chinese_plural_entries_have_exactly_one_form(chinese):
    wrong = [_key(m) for m in chinese if m.id and m.pluralizable and len(_strings(m)) != 1]
    assert not wrong, f"Chinese has one plural form; these entries have another number: {wrong}"


def test_compiled_chinese_catalog_matches_the_po_file(chinese):
    """`make serve` does not compile, so the committed .mo must carry what the .po says."""
    with (ZH_DIR / "messages.mo").open("rb") as fh:
        compiled = {_id(m): _strings(m) for m in read_mo(fh) if m.id}
    stale = [_key(m) for m in chinese if m.id and not m.fuzzy and compiled.get(_id(m)) != _strings(m)]
    assert not stale, f"messages.mo is older than messages.po; run `pybabel compile -d {TRANSLATIONS}`: {stale}"


def test_flask_babel_finds_a_catalog_for_every_offered_language(app):
    for language in app.config["LANGUAGES"]:
        if language == app.config["BABEL_DEFAULT_LOCALE"]:
            continue  # the English source text is its own catalog
        catalog = Translations.load(str(TRANSLATIONS), [Locale.parse(language)])
        assert isinstance(catalog, Translations), f"no compiled catalog that Flask-Babel would load for {language}"
        assert catalog.gettext("Settings") != "Settings"


def test_templates_follow_a_forced_language_and_return_to_the_readers(app):
    """The templates' `_()` keeps the request's catalogue, but a mail rendered in its reader's language gets theirs."""
    page = "{{ _('Notifications') }}|{{ ngettext('%(num)d unread', '%(num)d unread', 2) }}"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        g.mail_rendering = True  # Flask-Babel's force_locale needs a non-empty `g` (community/mail/compose.py)
        assert render_template_string(page) == "Notifications|2 unread"
        with force_locale("zh_CN"):
            chinese = render_template_string(page)
        assert render_template_string(page) == "Notifications|2 unread"
    assert chinese.startswith("通知|") and "2" in chinese


def test_templates_gettext_answers_what_jinjas_own_answers(app):
    """`_()` remembers its answers per catalogue (community/i18n.py): the same text, escaping and formatting as
    Jinja's own newstyle gettext, in either language, with or without variables or autoescaping."""
    from jinja2.ext import _gettext_alias  # noqa: PLC0415  (Jinja's own `_`, to compare with)

    source = ("{{ _('Notifications') }}|{{ _('Sign in') }}|{{ _('Score: %(n)s', n='<b>') }}|{{ _('100%% sure') }}|"
              "{{ _('<i>not markup</i>') }}")
    env = app.jinja_env
    ours, seen = env.globals["_"], set()
    for language in ("en", "zh_CN"):
        with app.test_request_context(headers={"Accept-Language": language}):
            refresh()  # the suite's app context (and its `g`) outlives a request context: choose the language again
            for autoescape in (True, False):
                template = env.from_string(("{% autoescape true %}" if autoescape else "{% autoescape false %}")
                                           + source + "{% endautoescape %}")
                first, again = template.render(), template.render()  # the second from what `_()` remembered
                env.globals["_"] = _gettext_alias
                try:
                    jinjas = template.render()
                finally:
                    env.globals["_"] = ours
                assert first == again == jinjas, (language, autoescape)
                seen.add(first.split("|")[0])
    assert seen == {"Notifications", "通知"}


def test_forms_errors_follow_the_readers_language(app):
    """WTForms' own messages come from a catalogue kept per language (community/i18n.py `CommunityRequest`)."""
    from flask_wtf import FlaskForm  # noqa: PLC0415
    from wtforms import StringField  # noqa: PLC0415
    from wtforms.validators import DataRequired  # noqa: PLC0415

    class Form(FlaskForm):
        class Meta:
            csrf = False

        name = StringField(validators=[DataRequired()])

    answers = {}
    for language in ("en", "zh_CN", "en"):
        with app.test_request_context(method="POST", data={}, headers={"Accept-Language": language}):
            refresh()  # the suite's app context (and its `g`) outlives a request context: choose the language again
            form = Form()
            assert not form.validate()
            answers.setdefault(language, set()).add(form.name.errors[0])
    assert answers["en"] == {"This field is required."}
    assert len(answers["zh_CN"]) == 1 and answers["zh_CN"] != answers["en"]
