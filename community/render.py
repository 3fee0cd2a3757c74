"""Template helpers that run once per post on a thread page, written for speed.

A thread page calls these for every post it shows, so their cost is multiplied by the page size
(bench/thread_page.py measures it). Three things were expensive in the general-purpose versions:

- Flask-Babel's ``format_datetime`` looks the locale and its patterns up and parses the pattern on
  every call; here the parsed pattern is cached per (locale, format) and only applied per call. The
  output is Babel's own (a test compares the two).
- ``url_for`` walks the URL map for every link; `fast_url` builds the URL once per request with a
  sentinel value and substitutes the real one. Only for arguments whose values need no quoting
  (integers, usernames: ``[A-Za-z0-9_.-]``).
- A Jinja macro imported into a template included once per post re-imports on every include;
  `member_link` and `when` are plain functions available to every template instead.
"""
from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import parse_pattern
from flask import g, url_for
from flask_babel import get_locale, get_timezone, gettext
from markupsafe import Markup, escape

from .groups.badges import name_badges

_SENTINEL_INT = 987654321987
_SENTINEL_STR = "zq9sentinel9qz"
_LENGTHS = ("full", "long", "medium", "short")


@lru_cache(maxsize=64)
def _parsed(pattern: str):
    return parse_pattern(pattern)


def format_datetime(value: datetime | None, format: str = "medium") -> str:
    """Format `value` in the reader's language and time zone (same output as Flask-Babel's)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _format(value, format, str(get_locale() or "en"), get_timezone())


@lru_cache(maxsize=8192)
def _format(value: datetime, format: str, locale_name: str, tz) -> str:
    """Memoized: a thread page shows the same post times to every reader, request after request."""
    value = value.astimezone(tz)
    locale = _locale(locale_name)
    if format in _LENGTHS:
        # as Babel does: the date and the time formatted by their own patterns, put into the
        # locale's datetime format ("{1}, {0}" in English) with its quotes dropped
        combined, time_pattern, date_pattern = _combined_parts(str(locale), format)
        return (combined.replace("{0}", time_pattern.apply(value, locale))
                .replace("{1}", date_pattern.apply(value, locale)))
    return _parsed(format).apply(value, locale)


@lru_cache(maxsize=16)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@lru_cache(maxsize=64)
def _combined_parts(locale_name: str, format: str):
    locale = Locale.parse(locale_name)
    combined = str(locale.datetime_formats[format]).replace("'", "")
    return (combined, parse_pattern(locale.time_formats[format].pattern),
            parse_pattern(locale.date_formats[format].pattern))


def fast_url(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` for int or username-like values, built once per request."""
    key = (endpoint, tuple(sorted((name, type(value) is int) for name, value in values.items())))
    cache = g.__dict__.setdefault("_fast_urls", {})
    template = cache.get(key)
    if template is None:
        sentinels = {name: (_SENTINEL_INT + i if type(value) is int else f"{_SENTINEL_STR}{i}")
                     for i, (name, value) in enumerate(sorted(values.items()))}
        template = url_for(endpoint, **sentinels)
        cache[key] = template = (template, tuple((str(sentinels[name]), name) for name in sorted(values)))
    url, replacements = template
    for sentinel, name in replacements:
        url = url.replace(sentinel, str(values[name]))
    return url


def member_link(member) -> Markup:
    """A link to a member's profile, or "a former member" when the account is gone."""
    if member is None:
        return Markup('<span class="member gone">%s</span>') % gettext("a former member")
    # data-usercard: static/js/usercard.js shows the member's card (<href>/card) on hover or tap
    link = Markup('<a class="member" href="%s"%s><bdi>%s</bdi></a>') % (
        fast_url("members.profile", username=member.username),
        Markup("") if member.deleted_at is not None else Markup(" data-usercard"), member.name)
    for group in name_badges(member):  # groups shown beside names (community/groups), one query per page
        link += Markup(' <span class="badge badge-group" data-group="%s">%s</span>') % (group.id, group.local_name)
    return link


def when(value: datetime | None) -> Markup:
    """A <time> element, the one way times are shown: the short local form, the full one with the zone on hover,
    UTC ISO for machines. static/js/localtime.js turns recent ones into "3 hours ago" in the page's language
    (client-side, so a guest page kept by community/pagecache.py never shows a stale "3 minutes ago")."""
    if value is None:
        return Markup("")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return Markup('<time datetime="%s" title="%s">%s</time>') % (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), local_time(value), format_datetime(value, "short"))


def local_time(value: datetime | None) -> str:
    """The time in the reader's zone with the zone named, as text (titles, mails): "Dec 4, 2026, 6:00:00 PM (Asia/Shanghai)"."""
    if value is None:
        return ""
    return f"{format_datetime(value)} ({get_timezone()})"


def _autoescape(default):
    """Escape Atom feeds as Flask escapes HTML and XML: a title such as "AT&T" must stay well-formed XML."""
    def select(name: str | None) -> bool:
        return default(name) or (name or "").endswith(".atom")
    return select


def init_app(app) -> None:
    app.jinja_env.autoescape = _autoescape(app.select_jinja_autoescape)
    # member_link and when are also macros of _macros/forum.html (which call these under other names)
    app.jinja_env.globals.update(format_datetime=format_datetime, member_link=member_link, when=when,
                                 render_member_link=member_link, render_when=when, fast_url=fast_url,
                                 local_time=local_time)


__all__ = ["format_datetime", "fast_url", "local_time", "member_link", "when", "escape"]
