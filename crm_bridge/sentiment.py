"""Sentiment of a post, English or Chinese: the one module that knows the sentiment libraries.

- English: VADER (vaderSentiment 3.3.2), a lexicon and rules made for social-media text, carrying
  its lexicon in the package. Its compound score is used as is.
- Chinese: SnowNLP 0.12.3, a naive-Bayes model trained on product reviews that ships inside the
  package (no download). Its probability of "positive" p becomes 2p - 1.
Neither is under active development; both are pinned, work offline, and live behind `analyse`, so
replacing one is a change to this file only. Measured on bench/data/sentiment_{en,zh}.tsv (101
labelled community sentences each, positive / negative / neutral): see bench/README.md.

A text is treated as Chinese when at least a third of its letters are CJK ideographs.
"""
from __future__ import annotations

import re
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from community.text import plain_text

POSITIVE, NEGATIVE, NEUTRAL = "positive", "negative", "neutral"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# thresholds chosen on the sample's structure (VADER's documented ±0.05; SnowNLP's 0.2/0.8 band)
_EN_NEUTRAL = 0.05
_ZH_NEUTRAL = 0.6  # |2p - 1| below this (p between 0.2 and 0.8) is neutral


@lru_cache(maxsize=1)
def _vader():
    return SentimentIntensityAnalyzer()


def _snownlp(text: str) -> float:
    from snownlp import SnowNLP  # noqa: PLC0415  (heavy: seconds to import, only for Chinese posts)

    return SnowNLP(text).sentiments


def is_chinese(text: str) -> bool:
    letters = len(_LETTER.findall(text))
    return bool(letters) and len(_CJK.findall(text)) * 3 >= letters


def analyse(text: str) -> tuple[float, str, str]:
    """Return (score from -1 to 1, label, language) for plain `text`."""
    text = text.strip()[:2000]
    if not text:
        return 0.0, NEUTRAL, "en"
    if is_chinese(text):
        score = round(2 * _snownlp(text) - 1, 3)
        label = POSITIVE if score >= _ZH_NEUTRAL else NEGATIVE if score <= -_ZH_NEUTRAL else NEUTRAL
        return score, label, "zh"
    score = round(_vader().polarity_scores(text)["compound"], 3)
    label = POSITIVE if score >= _EN_NEUTRAL else NEGATIVE if score <= -_EN_NEUTRAL else NEUTRAL
    return score, label, "en"


def analyse_html(html: str) -> tuple[float, str, str]:
    """Sentiment of a post's sanitized HTML (quotes left out: they are someone else's words)."""
    without_quotes = re.sub(r"<blockquote>.*?</blockquote>", " ", html or "", flags=re.S)
    return analyse(plain_text(without_quotes))
