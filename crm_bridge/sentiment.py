"""Sentiment of a post, English or Chinese: the one module that knows how a text is scored.

The method, chosen on the figures in bench/README.md ("Sentiment accuracy"), is a small linear model per
language (logistic regression), shipped as a weights file in `crm_bridge/sentiment_model/` and trained by
`python -m crm_bridge.sentiment_model.train` (see that module for the data each language learns from):
- **English**: words and word pairs, with negation marked ("not good" is its own feature, up to three words
  after a negator) and a contrast rule (words before "but" / "however" count half), plus VADER's compound
  score as one more feature (vaderSentiment 3.3.2 carries its own lexicon), which keeps words the training
  reviews never used from being unknown.
- **Chinese**: jieba's words and word pairs, and pairs of characters (so 不好 and 没有用 count whatever
  jieba made of them).
Scoring is a dictionary look-up per feature: well under 2 ms per post on one core, offline, no download.

**Neutral means no opinion**, not an unsure model: a text reads neutral only when the words that carry
opinion (weights above a small floor) add up to little in either direction (the threshold is part of the
model file, tuned on community sentences). A text with strong words both ways reads as the side that wins.

Every score explains itself: `explain` names the words or phrases that pushed it, each of which occurs in
the text. A text is treated as Chinese when at least a third of its letters are CJK ideographs.
"""
from __future__ import annotations

import gzip
import json
import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import jieba
from flask import current_app, has_app_context
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from community.text import plain_text

POSITIVE, NEGATIVE, NEUTRAL = "positive", "negative", "neutral"
MODEL_DIR = Path(__file__).resolve().parent / "sentiment_model"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)

# English: words (with an apostrophe part), and the punctuation that ends a negation's reach
_EN_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[.,;:!?]")
_NEGATORS = frozenset("not no never nothing nobody none neither nor cannot without hardly barely".split())
_CONTRAST = frozenset(("but", "however", "although", "though", "yet"))
_CLAUSE_END = frozenset(".,;:!?")
_NEGATION_REACH = 3
_CN_KEEP = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z0-9！？!?]")


def is_chinese(text: str) -> bool:
    letters = len(_LETTER.findall(text))
    return bool(letters) and len(_CJK.findall(text)) * 3 >= letters


_vader_lock = threading.Lock()
_vader_instance: list = []


def _vader() -> SentimentIntensityAnalyzer:
    if not _vader_instance:
        with _vader_lock:
            if not _vader_instance:
                _vader_instance.append(SentimentIntensityAnalyzer())
    return _vader_instance[0]


_QUESTION = re.compile(r"[?？]\s*$|吗\s*$")


def is_question(text: str) -> bool:
    """Whether the text ends as a question does (each sentence is judged as one text)."""
    return bool(_QUESTION.search(text.strip()))


def _negated(token: str) -> bool:
    return token in _NEGATORS or token.endswith("n't")


def english_features(text: str) -> dict[str, float]:
    """Features of an English text: words, word pairs, negated words, VADER's compound score."""
    tokens = _EN_TOKEN.findall(text.lower())
    # the contrast rule: what comes before the last "but" counts half
    last_contrast = max((i for i, t in enumerate(tokens) if t in _CONTRAST), default=-1)
    features: dict[str, float] = {}
    words: list[tuple[str, float]] = []
    reach = 0
    for i, token in enumerate(tokens):
        if token in _CLAUSE_END or token in _CONTRAST:
            reach = 0
            if token in "!?":
                features["p:" + token] = 1.0
            words.append(("|", 0.0))
            continue
        value = 0.5 if i < last_contrast else 1.0
        if reach:
            features["n:" + token] = max(features.get("n:" + token, 0.0), value)
            reach -= 1
        else:
            features["w:" + token] = max(features.get("w:" + token, 0.0), value)
        if _negated(token):
            reach = _NEGATION_REACH
        words.append((token, value))
    for (a, va), (b, vb) in zip(words, words[1:], strict=False):
        if a != "|" and b != "|":
            key = f"b:{a} {b}"
            features[key] = max(features.get(key, 0.0), min(va, vb))
    _normalise(features)
    features["_vader"] = _vader().polarity_scores(text)["compound"]
    return features


def chinese_features(text: str) -> dict[str, float]:
    """Features of a Chinese text: jieba's words and word pairs, and pairs of characters."""
    features: dict[str, float] = {}
    words = [w for w in jieba.lcut(text, HMM=False) if _CN_KEEP.search(w)]
    for word in words:
        features["w:" + word] = 1.0
    for a, b in zip(words, words[1:], strict=False):
        features[f"b:{a} {b}"] = 1.0
    chars = [c for c in text if _CN_KEEP.match(c)]
    for a, b in zip(chars, chars[1:], strict=False):
        features["c:" + a + b] = 1.0
    _normalise(features)
    return features


def _normalise(features: dict[str, float]) -> None:
    # long reviews and one-line posts on one scale: divide by the square root of the feature count
    if features:
        norm = 1 / math.sqrt(len(features))
        for key in features:
            features[key] *= norm


FEATURES = {"en": english_features, "zh": chinese_features}


@dataclass
class Model:
    """One language's weights, as trained by crm_bridge.sentiment_model.train."""
    language: str
    version: str
    bias: float
    weights: dict[str, float]
    # neutral means no opinion: a text reads neutral when its opinion words (a sentiment lexicon) push less
    # than `neutral_with_words` and it is a question or the model leans less than `neutral_below` either way
    neutral_below: float
    neutral_with_words: float = 0.0
    opinion_words: frozenset = frozenset()
    meta: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Model:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return cls(language=data["language"], version=data["version"], bias=data["bias"],
                   weights=data["weights"], neutral_below=data["neutral_below"],
                   neutral_with_words=data.get("neutral_with_words", 0.0),
                   opinion_words=frozenset(data.get("opinion_words", ())), meta=data.get("meta", {}))

    def save(self, path: Path) -> None:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            json.dump({"language": self.language, "version": self.version, "bias": self.bias,
                       "neutral_below": self.neutral_below, "neutral_with_words": self.neutral_with_words,
                       "meta": self.meta, "opinion_words": sorted(self.opinion_words), "weights": self.weights},
                      fh, ensure_ascii=False, separators=(",", ":"))

    def contributions(self, features: dict[str, float]) -> dict[str, float]:
        weights = self.weights
        return {key: weights[key] * value for key, value in features.items() if key in weights}

    def opinion_push(self, parts: dict[str, float]) -> float:
        """How far the text's opinion words (a sentiment lexicon), negated or paired, push the score."""
        words = self.opinion_words
        total = 0.0
        for key, push in parts.items():
            kind, rest = key[:2], key[2:]
            if kind == "_v" or (kind in ("w:", "n:", "c:") and rest in words) or \
                    (kind == "b:" and any(word in words for word in rest.split(" "))):
                total += push
        return total

    def judge(self, features: dict[str, float], question: bool = False) -> tuple[float, str, dict[str, float]]:
        """(score from -1 to 1, label, contributions) for a text's features."""
        parts = self.contributions(features)
        push = sum(parts.values())
        logit = self.bias + push
        score = math.tanh(logit / 2)  # = 2p - 1
        opinion = abs(self.opinion_push(parts))
        if opinion < self.neutral_with_words and (question or abs(logit) < self.neutral_below):
            # no opinion words to speak of, and a question (it asks, it does not judge) or no strong push
            label = NEUTRAL
        else:
            label = POSITIVE if logit >= 0 else NEGATIVE
        return round(score, 3), label, parts


_models: dict[tuple[str, str], Model] = {}
_models_lock = threading.Lock()


def model(language: str, directory: Path | str | None = None) -> Model:
    """The model of `language` from `directory` (the shipped one by default), loaded once per process."""
    directory = str(directory or MODEL_DIR)
    key = (directory, language)
    found = _models.get(key)
    if found is None:
        with _models_lock:
            found = _models.get(key)
            if found is None:
                found = _models[key] = Model.load(Path(directory) / f"{language}.json.gz")
    return found


def model_dir() -> str | None:
    """The app's SENTIMENT_MODEL_DIR (a retrained model), or None for the shipped one (also outside an app)."""
    return current_app.config.get("SENTIMENT_MODEL_DIR") if has_app_context() else None


@dataclass
class Reading:
    score: float
    label: str
    language: str
    reasons: list[tuple[str, float]]  # (word or phrase as written in the text, its push), strongest first
    version: str


def _phrase(key: str) -> str:
    kind, _, rest = key.partition(":")
    if kind == "n":
        return "not " + rest
    if kind == "c":
        return rest
    return rest


def read(text: str, directory: Path | str | None = None) -> Reading:
    """Score plain `text` and say why."""
    text = text.strip()[:2000]
    if not text:
        return Reading(0.0, NEUTRAL, "en", [], "")
    language = "zh" if is_chinese(text) else "en"
    chosen = model(language, directory or model_dir())
    score, label, parts = chosen.judge(FEATURES[language](text), question=is_question(text))
    reasons: dict[str, float] = {}
    for key, push in sorted(parts.items(), key=lambda kv: -abs(kv[1])):
        if key.startswith("_") or key[:2] == "p:":
            continue
        phrase = _phrase(key)
        if phrase not in reasons and not any(phrase in longer for longer in reasons):
            reasons[phrase] = round(push, 3)
        if len(reasons) == 5:
            break
    return Reading(score, label, language, list(reasons.items()), chosen.version)


def analyse(text: str) -> tuple[float, str, str]:
    """Return (score from -1 to 1, label, language) for plain `text`."""
    reading = read(text)
    return reading.score, reading.label, reading.language


def post_text(html: str) -> str:
    """The words of a post's sanitized HTML that are its author's own (quotes are someone else's)."""
    without_quotes = re.sub(r"<blockquote>.*?</blockquote>", " ", html or "", flags=re.S)
    return plain_text(without_quotes)


def read_html(html: str) -> Reading:
    """Score a post's sanitized HTML and say why."""
    return read(post_text(html))


def analyse_html(html: str) -> tuple[float, str, str]:
    """Sentiment of a post's sanitized HTML (quotes left out: they are someone else's words)."""
    reading = read_html(html)
    return reading.score, reading.label, reading.language


def warm_up(directory: Path | str | None = None) -> threading.Thread:
    """Load both models, VADER and jieba's dictionary in a background thread (seconds of CPU), so that a
    web worker's first post, and its first Chinese one, does not wait for them. Called when a served
    app is built (wsgi.py); returns the thread."""
    def run() -> None:
        for text in ("Thanks, this works well.", "谢谢分享，很有帮助。"):
            read(text, directory)

    thread = threading.Thread(target=run, name="sentiment-warm-up", daemon=True)
    thread.start()
    return thread
