"""How well the sentiment model in use reads star-rated reviews (issue 25's proof of quality).

Labels from the stars: 1-2 negative, 3 neutral, 4-5 positive. A fixed 80/20 split by a hash of
each review's position (the learned model, when it comes, trains on the 80 and is measured on
the same 20); the lexicon needs no training and is measured on the 20 too. "unknown" counts
as a wrong answer. Reported: macro-F1 over the three classes and the negative class's F1.

The review set is read from ``SENTIMENT_REVIEWS_CSV``: a CSV with a ``Rating`` column (1-5)
and ``Title`` / ``Review Text`` columns, such as the "Women's E-Commerce Clothing Reviews" set
(CC0). No data set is fetched at run time, and none ships in the repository yet.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from frontline.sentiment.scoring import NEGATIVE, NEUTRAL, POSITIVE, default_model, texts_score
from tests.bench.harness import Report

CLASSES = (NEGATIVE, NEUTRAL, POSITIVE)
HELD_OUT_PERCENT = 20
ENVIRONMENT = "SENTIMENT_REVIEWS_CSV"


@dataclass(frozen=True)
class ReviewSet:
    """A star-rated review CSV named by the environment; missing says how to provide it."""

    def path(self) -> Path | None:
        value = os.environ.get(ENVIRONMENT, "")
        return Path(value) if value else None

    def describe(self, scale: str) -> str:
        return f"star-rated reviews from {self.path()}"

    def missing(self, scale: str) -> str | None:
        path = self.path()
        if path is None or not path.is_file():
            return f"set {ENVIRONMENT} to a CSV of reviews with Rating, Title and Review Text"
        return None

    def prepare(self, scale: str) -> None:
        return None


DATA = ReviewSet()


def stars_label(stars: int) -> str:
    return NEGATIVE if stars <= 2 else NEUTRAL if stars == 3 else POSITIVE


def held_out(position: int) -> bool:
    digest = hashlib.sha256(str(position).encode()).digest()
    return digest[0] * 100 // 256 < HELD_OUT_PERCENT


def read_held_out(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as source:
        rows = [
            (f"{row.get('Title') or ''}. {row.get('Review Text') or ''}".strip(". "), row["Rating"])
            for row in csv.DictReader(source)
        ]
    return [
        (text, stars_label(int(stars)))
        for position, (text, stars) in enumerate(rows)
        if held_out(position) and text and stars.strip().isdigit()
    ]


def f1_by_class(truth: list[str], predicted: list[str]) -> dict[str, float]:
    scores = {}
    for label in CLASSES:
        hits = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        claimed, actual = predicted.count(label), truth.count(label)
        precision = hits / claimed if claimed else 0.0
        recall = hits / actual if actual else 0.0
        scores[label] = 2 * precision * recall / (precision + recall) if hits else 0.0
    return scores


def run(options: argparse.Namespace) -> Report:
    path = DATA.path()
    assert path is not None
    reviews = read_held_out(path)
    truth = [label for _, label in reviews]
    model = default_model()
    predicted = [score.label for score in texts_score(texts=[t for t, _ in reviews], model=model)]
    f1 = f1_by_class(truth, predicted)
    macro = sum(f1.values()) / len(CLASSES)
    lexicon = {"macro_f1": round(macro, 3), "negative_f1": round(f1[NEGATIVE], 3)}
    return Report(
        name="sentiment_quality",
        params={
            "data_set": path.name,
            "held_out": len(reviews),
            "held_out_percent": HELD_OUT_PERCENT,
            "classes": {label: truth.count(label) for label in CLASSES},
            "model_in_use": model.name,
        },
        results={
            **lexicon,
            "neutral_f1": round(f1[NEUTRAL], 3),
            "positive_f1": round(f1[POSITIVE], 3),
            "unknown_share": round(predicted.count("unknown") / len(predicted), 3),
            "default_macro_f1": lexicon["macro_f1"],
            "default_negative_f1": lexicon["negative_f1"],
        },
        baseline={"label": "always positive (the majority class)", **_majority(truth)},
        notes="The default lexicon model is the model in use until a learned one beats it.",
    )


def _majority(truth: list[str]) -> dict[str, float]:
    f1 = f1_by_class(truth, [POSITIVE] * len(truth))
    return {"macro_f1": round(sum(f1.values()) / len(CLASSES), 3), "negative_f1": 0.0}
