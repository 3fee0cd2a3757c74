"""Accuracy of crm_bridge/sentiment.py on the labelled samples in bench/data/sentiment_{en,zh}.tsv.

    .venv/bin/python bench/sentiment_accuracy.py

Each sample holds 101 sentences of the kind a brand community sees (thanks, complaints, questions),
labelled by hand as pos / neg / neu. Prints accuracy over the three classes, the confusion table and
the time per sentence. Not a test: the figure is recorded in bench/README.md.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm_bridge.sentiment import analyse  # noqa: E402

SHORT = {"positive": "pos", "negative": "neg", "neutral": "neu"}


def main() -> int:
    for language in ("en", "zh"):
        rows = [line.rstrip("\n").split("\t", 1)
                for line in (ROOT / "bench" / "data" / f"sentiment_{language}.tsv").read_text("utf-8").splitlines()
                if line.strip()]
        analyse(rows[0][1])  # load the model outside the timing
        start = time.perf_counter()
        predicted = [SHORT[analyse(text)[1]] for _label, text in rows]
        per_sentence_ms = (time.perf_counter() - start) / len(rows) * 1000
        correct = sum(p == label for p, (label, _t) in zip(predicted, rows, strict=True))
        confusion = Counter((label, p) for p, (label, _t) in zip(predicted, rows, strict=True))
        print(f"{language}: {correct}/{len(rows)} = {correct / len(rows) * 100:.1f} % correct "
              f"({per_sentence_ms:.2f} ms per sentence)")
        print("   truth→predicted " + ", ".join(f"{a}→{b}: {n}" for (a, b), n in sorted(confusion.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
