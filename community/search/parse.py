"""The query language: what a reader types, turned into a query tree (filters included) every backend takes.

The tree is built of Whoosh's public query classes (Term, Phrase, And, Or, Not, Every) and ColumnRange for
dates; the Whoosh backend searches it as it is, the postgres backend compiles it to SQL.

Words (all must match, stemmed in English, segmented in Chinese), "phrases", OR, NOT / -word, ( ) groups,
and filters board:slug, kind:question (the board's kind), author:name, tag:name, status:planned,
is:solved, is:unsolved, is:unanswered, is:thread, after:2024-01-01, before:2024-12-31, date:2024-05 or
date:2024-01-01..2024-03-31 (a filter can be negated with -).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from whoosh import qparser
from whoosh.query import And, Every, Not, NullQuery, Or, Term

from ..errors import ServiceError
from ..forum.models import BoardKind, IdeaStatus
from .backends.whoosh_columns import ColumnRange
from .backends.whoosh_schema import index_schema
from .documents import seconds

_FILTER = re.compile(r'(?<![^\s(])(-?)(board|kind|author|tag|status|is|before|after|date):("[^"]*"|[^\s()"]+)', re.I)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"', "＂": '"'})
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")



class BadQuery(ServiceError):
    code = "bad_query"
    status = 400



def clean(raw: str | None) -> str:
    """Return the query as typed, normalised: NFKC, curly quotes made straight, control characters gone."""
    text = unicodedata.normalize("NFKC", raw or "").translate(_QUOTES)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch for ch in text)
    return " ".join(text.split())


def _parser():
    parser = qparser.MultifieldParser(["title", "body"], index_schema(), group=qparser.AndGroup)
    for plugin in (qparser.FieldsPlugin, qparser.WildcardPlugin, qparser.RangePlugin, qparser.BoostPlugin,
                   qparser.EveryPlugin, qparser.SingleQuotePlugin, qparser.FuzzyTermPlugin):
        parser.remove_plugin_class(plugin)
    parser.add_plugin(qparser.PlusMinusPlugin())
    return parser


def _day(text: str, end: bool = False) -> int:
    match = _DATE.match(text)
    if not match:
        raise ValueError(text)
    year, month, day = int(match.group(1)), match.group(2), match.group(3)
    if day:
        start = date(year, int(month), int(day))
        stop = start + timedelta(days=1)
    elif month:
        start = date(year, int(month), 1)
        stop = date(year + (start.month == 12), start.month % 12 + 1, 1)
    else:
        start, stop = date(year, 1, 1), date(year + 1, 1, 1)
    moment = stop if end else start
    return seconds(datetime(moment.year, moment.month, moment.day))


def _filter_query(name: str, value: str, boards: dict, kinds: dict):
    value = value.strip('"').strip()
    name = name.lower()
    if not value:
        raise BadQuery(_l("The filter %(name)s: needs a value.", name=name))
    folded = value.casefold()
    if name == "board":  # a board the reader may not read is no board at all
        return Term("board_id", str(boards.get(folded, 0)))
    if name == "kind":  # the readable boards of that kind (from the database: no index field needed)
        if folded not in {k.value for k in BoardKind}:
            raise BadQuery(_l("Unknown kind %(value)s. Try one of: %(known)s.", value=value,
                              known=", ".join(k.value for k in BoardKind)))
        ids = kinds.get(folded) or [0]
        return Or([Term("board_id", str(board_id)) for board_id in ids]) if len(ids) > 1 else Term("board_id", str(ids[0]))
    if name == "author":
        return Term("author", folded.lstrip("@"))
    if name == "tag":
        return Term("tags", folded.lstrip("#"))
    if name == "status":
        status = folded.replace("-", "_").replace(" ", "_")
        if status not in {s.value for s in IdeaStatus}:
            raise BadQuery(_l("Unknown status %(value)s. Try one of: %(known)s.", value=value,
                              known=", ".join(s.value for s in IdeaStatus)))
        return Term("facts", f"s_{status}")
    if name == "is":
        known = {"solved", "unsolved", "unanswered", "answered", "thread", "reply"}
        if folded not in known:
            raise BadQuery(_l("Unknown filter is:%(value)s. Try is:solved, is:unsolved, is:unanswered or is:thread.",
                              value=value))
        return Term("facts", {"thread": "opening"}.get(folded, folded))
    try:
        if name == "after":
            return ColumnRange("created", _day(value), None)
        if name == "before":
            return ColumnRange("created", None, _day(value))
        first, _sep, last = value.partition("..")
        return ColumnRange("created", _day(first) if first else None,
                           _day(last or first, end=True) if (last or not _sep) else None)
    except ValueError:
        raise BadQuery(_l("Dates are written like 2024-05-31, 2024-05 or 2024; date ranges like "
                          "date:2024-01-01..2024-03-31.")) from None


@dataclass
class Parsed:
    text: str  # the words part, as typed
    query: object  # the Whoosh query, filters included
    has_words: bool


def parse(raw: str | None, boards: dict | None = None, kinds: dict | None = None) -> Parsed:
    """Turn what the reader typed into a Whoosh query; raise BadQuery with a clear message."""
    config = current_app.config
    typed = clean(raw)
    if len(typed) > config["SEARCH_MAX_QUERY_LENGTH"]:
        raise BadQuery(_l("That search is too long. Please use at most %(n)d characters.",
                          n=config["SEARCH_MAX_QUERY_LENGTH"]))
    filters, negated = [], []
    for neg, name, value in _FILTER.findall(typed):
        (negated if neg else filters).append(_filter_query(name, value, boards or {}, kinds or {}))
    words = " ".join(_FILTER.sub(" ", typed).split())
    if len(words.split()) + len(filters) + len(negated) > config["SEARCH_MAX_TERMS"]:
        raise BadQuery(_l("That search has too many words. Please use at most %(n)d.", n=config["SEARCH_MAX_TERMS"]))
    query = NullQuery
    if words:
        try:
            query = _parser().parse(words)
        except Exception:  # the parser is lenient; anything it cannot take is the query's fault
            raise BadQuery(_l("We could not understand that search. Try plain words.")) from None
    has_words = query is not NullQuery and bool(list(query.leaves()))
    if not has_words:
        query = Every() if (filters or negated) else NullQuery
    parts = ([query] if query is not NullQuery else []) + filters + [Not(q) for q in negated]
    combined = And(parts) if len(parts) > 1 else (parts[0] if parts else NullQuery)
    return Parsed(words, combined, has_words)
