"""Snippets: the page's post text with the query's words marked, the same for every backend.

The text comes from the database rows of the page (the index stores no text); the words marked are the
query's words of that field, found in the text by the analyzer the index uses (so "cables" marks "cable"
and 退货 marks 退货流程's 退货).
"""
from __future__ import annotations

from markupsafe import Markup
from whoosh.highlight import (
    FIRST,
    BasicFragmentScorer,
    ContextFragmenter,
    HtmlFormatter,
    set_matched_filter,
    top_fragments,
)

from .analysis import BilingualAnalyzer

_ANALYZER = BilingualAnalyzer()


def query_words(query, fieldname: str) -> frozenset:
    """Return the words (as analyzed) the query asks of `fieldname`."""
    try:
        return frozenset(text if isinstance(text, str) else text.decode("utf-8")
                         for field, text in query.iter_all_terms() if field == fieldname)
    except Exception:  # a query without terms (filters only)
        return frozenset()


def _merged(tokens):
    """Merge consecutive matched tokens, so they are marked as one (as Whoosh's highlighter does)."""
    token = None
    for t in tokens:
        if not t.matched:
            if token is not None:
                yield token
                token = None
            yield t
            continue
        if token is None:
            token = t.copy()
        elif t.startchar <= token.endchar:
            if t.endchar > token.endchar:
                token.text += t.text[token.endchar - t.endchar:]
                token.endchar = t.endchar
        else:
            yield token
            token = None
            yield t
    if token is not None:
        yield token


def snippet(words: frozenset, text: str, top: int = 2) -> Markup:
    """Return up to `top` fragments of `text` around the `words`, each word in <mark class="match">."""
    if not words or not text:
        return Markup("")
    try:
        fragmenter = ContextFragmenter(maxchars=240, surround=60)
        formatter = HtmlFormatter(tagname="mark", classname="match", termclass="term")
        tokens = _ANALYZER(text, positions=True, chars=True, mode="index", removestops=False)
        tokens = _merged(set_matched_filter(tokens, words))
        fragments = top_fragments(fragmenter.fragment_tokens(text, tokens), top, BasicFragmentScorer(), FIRST, minscore=1)
        return Markup(formatter.format(fragments))  # the formatter escapes the text around the <mark>s
    except Exception:  # a snippet is a nicety; never fail a search for it
        return Markup("")
