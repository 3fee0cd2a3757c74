"""The bilingual analyzer: English words stemmed, Chinese runs segmented into words by jieba.

jieba's own Whoosh analyzer (jieba.analyse.ChineseAnalyzer) is close, but it gives each token its
character offset as position (so phrase queries never match), passes runs of spaces and punctuation
through as tokens, and sends Latin text through jieba's slower path. Here only runs of Han characters
go to jieba; everything else goes through a plain word pattern, and positions count tokens.

In the index a long word also yields the dictionary words inside it (jieba's "search" mode, but of
every length), at the same position, so 退货 finds 退货流程 while phrases still line up. Queries use
jieba's plain cut.
"""
from __future__ import annotations

import logging
import re
import threading

from whoosh.analysis import Filter, LowercaseFilter, StemFilter, Token, Tokenizer
from whoosh.lang import stemmer_for_language

# Han ideographs (CJK unified, extension A, compatibility); everything else is cut at non-word characters.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PIECES = re.compile(rf"[{_HAN}]+|[^\W{_HAN}_](?:[^\W{_HAN}]|['’.\-](?=[^\W{_HAN}_]))*")
_HAN_RUN = re.compile(rf"[{_HAN}]")

STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "if", "in", "is", "it",
    "of", "on", "or", "that", "the", "this", "to", "was", "were", "with",
    "的", "了", "和", "是", "在", "吗", "呢", "吧", "啊",
))

_jieba = None
_jieba_lock = threading.Lock()


def segmenter():
    """Load jieba's dictionary once per process (about a second), on first use."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba  # noqa: PLC0415  (heavy: kept off the start-up path, loaded by a warm-up thread)

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def is_han(text: str) -> bool:
    return bool(_HAN_RUN.search(text))


class BilingualTokenizer(Tokenizer):
    """Yield words of Latin (and other) scripts and jieba-segmented Chinese words, with positions."""

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        search_mode = mode != "query"
        pos = start_pos
        for match in _PIECES.finditer(value):
            piece = match.group()
            if _HAN_RUN.match(piece):
                jieba = segmenter()
                base = start_char + match.start()
                for word, start, end in jieba.tokenize(piece, mode="default"):
                    # In the index a long word also yields the dictionary words inside it (as jieba's
                    # search mode does), at the same position, so that phrases still line up.
                    for text, s, e in _with_parts(jieba, word, start, end, search_mode):
                        token.text = text
                        token.boost = 1.0
                        token.stopped = False
                        if keeporiginal:
                            token.original = text
                        if positions:
                            token.pos = pos
                        if chars:
                            token.startchar, token.endchar = base + s, base + e
                        yield token
                    pos += 1
            else:
                token.text = piece
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = piece
                if positions:
                    token.pos = pos
                pos += 1
                if chars:
                    token.startchar = start_char + match.start()
                    token.endchar = start_char + match.end()
                yield token


def _with_parts(jieba, word, start, end, parts):
    """Yield the word, then (when indexing) every dictionary word inside it, like jieba's search mode
    but of any length, so that 人民共和国 is found in 中华人民共和国."""
    yield word, start, end
    if not parts or len(word) < 3:
        return
    freq = jieba.dt.FREQ
    for size in range(2, min(len(word), 12)):
        for i in range(len(word) - size + 1):
            gram = word[i:i + size]
            if freq.get(gram):
                yield gram, start + i, start + i + size


class PositionalStopFilter(Filter):
    """Drop stop words and close the gaps they leave, keeping tokens that share a position together."""

    def __init__(self, stoplist=STOP_WORDS):
        self.stops = frozenset(stoplist)

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__ and self.stops == other.stops

    def __call__(self, tokens):
        stops = self.stops
        last_in, out = None, -1
        for token in tokens:
            if token.text in stops:
                if not token.removestops:
                    token.stopped = True
                    yield token
                continue
            if token.positions:
                if token.pos != last_in:
                    last_in, out = token.pos, out + 1
                token.pos = out
            yield token


def BilingualAnalyzer():
    """Return the analyzer for titles and bodies (English stemming, Chinese words, few stop words)."""
    return (BilingualTokenizer() | LowercaseFilter() | PositionalStopFilter()
            | StemFilter(lang="en", cachesize=100_000))


_stem = stemmer_for_language("en")
_stems: dict = {}
_STEMS_KEPT = 200_000  # words remembered (a dict: Whoosh's LFU cache costs more than it saves here)


def _stemmed(word: str) -> str:
    found = _stems.get(word)
    if found is None:
        if len(_stems) >= _STEMS_KEPT:
            _stems.clear()
        found = _stems[word] = _stem(word)
    return found


_han_runs: dict = {}
_HAN_RUNS_KEPT = 100_000  # runs of Han characters remembered (forum text repeats its phrases)


def _han_words(piece: str) -> tuple:
    """The index's words of a run of Han characters: per jieba word (a position each), the word and its
    dictionary parts, lowercased, without stop words, stemmed (as index_tokens yields them)."""
    found = _han_runs.get(piece)
    if found is None:
        jieba = segmenter()
        stops = STOP_WORDS
        found = tuple(
            tuple(_stemmed(text.lower()) for text, _s, _e in _with_parts(jieba, word, start, end, True)
                  if text.lower() not in stops)
            for word, start, end in jieba.tokenize(piece, mode="default"))
        if len(_han_runs) >= _HAN_RUNS_KEPT:
            _han_runs.clear()
        _han_runs[piece] = found
    return found


def index_tokens(value: str) -> list[tuple[str, int]]:
    """Return [(word, position)] of `value` exactly as BilingualAnalyzer()(value, positions=True,
    mode="index") yields them, without its chain of generators and Token objects (a third of the
    postgres backend's reindex time went there), a run of Han characters segmented once per process
    (`_han_words`). tests/community/search/test_language.py compares the two."""
    found: list = []
    append = found.append
    stops = STOP_WORDS
    pos, last_in, out = 0, None, -1
    for match in _PIECES.finditer(value):
        piece = match.group()
        if _HAN_RUN.match(piece):
            for words in _han_words(piece):
                for text in words:
                    if pos != last_in:
                        last_in, out = pos, out + 1
                    append((text, out))
                pos += 1
        else:
            text = piece.lower()
            if text not in stops:
                if pos != last_in:
                    last_in, out = pos, out + 1
                append((_stemmed(text), out))
            pos += 1
    return found
