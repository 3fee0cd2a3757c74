"""Similar threads while a new thread's title is typed ("before you post"): relevant ones, or none.

Candidates come from the index (BM25F, title words weigh more than body words), over the words that say
what the question is about: the analyzer's stop words plus question and filler words ("how", "my", "anyone",
"怎么", "请问"...) are dropped. A thread is offered only when it shares enough of those words with the
title typed: `min(2, words)` of them with at least one in its title, or three anywhere. Those offered are
ordered by how many of the question's words they share (a word in the title counts twice), then by the
index's rank. An unrelated question gets no suggestion rather than a wrong one. Measured on the demo community in
tests/community/search/test_similar_relevance.py.
"""
from __future__ import annotations

from functools import lru_cache

from .analysis import BilingualAnalyzer
from .documents import plain_text
from .parse import clean

# Words that say how something is asked, not what about (before stemming; stemmed with the analyzer).
FILLER = """
about above after again against all almost already also always am any anymore anyone anything anyway
around away back because been before being best better between both but can cannot could did do does
doing done down during each either else even ever every everyone few first found get gets getting give
go goes going gone good got great had happen happens having he help her here him his how however i i'm
into its just keep keeps know last least like likely long lot lots make many may maybe me might more most
much must my myself need needs never new next no nobody none nor normal not nothing now off ok okay once
one only other others our out over own please possible pretty problem problems question quite rather
really right same see seems she should since so some someone something still such sure than thank
thanks their them then there these they thing things think those though through thus till too try
trying two under until up us use used using very via want wants way we well what whatever when where
whether which while who whom whose why will would yes yet you your yours
想 怎么 怎么办 怎样 如何 什么 为什么 是否 是不是 可以 可不可以 能 能不能 会 会不会 有 有没有 没有 一直 总是
需要 我 我的 我们 你 你们 大家 请问 还是 就 都 也 这个 那个 一个 这样 那样 问题 求助 谢谢 一下 现在 已经
""".split()
SIMILAR_MIN_SHARED = 2      # words a suggestion shares with the question (fewer when the question has fewer)
SIMILAR_BODY_ONLY = 3       # ... or this many, when none is in the suggestion's title

_ANALYZER = BilingualAnalyzer()


def _terms(text: str, mode: str = "index") -> set[str]:
    return {token.text for token in _ANALYZER(text, mode=mode)}


@lru_cache(maxsize=1)
def _filler() -> frozenset:
    return frozenset(_terms(" ".join(FILLER), mode="query")) | frozenset(FILLER)


def question_terms(title: str) -> list[str]:
    """The words of `title` that say what it is about, analyzed as the index is, in order."""
    typed = clean(title)[:200]
    filler = _filler()
    return [w for w in dict.fromkeys(t.text for t in _ANALYZER(typed, mode="query")) if w not in filler][:20]


def offered(words: list[str], thread_title: str, opening_html: str) -> int:
    """How well a thread covers the question's `words` (a title word counts twice); 0: not to be offered."""
    asked, need = set(words), min(SIMILAR_MIN_SHARED, len(words))
    in_title = asked & _terms(thread_title)
    shared = in_title | (asked & _terms(plain_text(opening_html)))
    if (in_title and len(shared) >= need) or len(shared) >= SIMILAR_BODY_ONLY:
        return len(shared) + len(in_title)
    return 0
