"""How well each sentiment model reads star-rated reviews (issue 25's proof of quality).

Labels from the stars: 1-2 negative, 3 neutral, 4-5 positive. A fixed 80/20 split by a hash of
each review's position in the file (``frontline.sentiment.learning.held_out``): the learned model
is trained on the 80 by the code the nightly training runs (``model_train``) and both models are
measured on the same 20; "unknown" counts as a wrong answer. Reported: macro-F1 over the three
classes and the negative class's F1 of the model that would be in use (the learned one only if
it beats the default), with the default's beside them.

By default the reviews are the extract shipped in tests/data/clothing_reviews (the first 3,000
of the CC0 "Women's E-Commerce Clothing Reviews"); ``SENTIMENT_REVIEWS_CSV`` names another CSV
with ``Title``, ``Review Text`` and ``Rating`` columns, such as that set's full file (23,486
reviews; see the extract's README for where to get it). No data set is fetched at run time.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

from frontline.sentiment.feedback import star_reviews_read
from frontline.sentiment.learning import (
    CLASSES,
    HELD_OUT_PERCENT,
    POSITIVE,
    Evaluation,
    f1_by_class,
    held_out,
    model_train,
)
from tests.bench.harness import Report

ENVIRONMENT = "SENTIMENT_REVIEWS_CSV"
EXTRACT = (
    Path(__file__).resolve().parents[1] / "data" / "clothing_reviews" / "reviews-first-3000.csv"
)
# The goal for the learned model, on the full review set.
GOAL = {"macro_f1": {"min": 0.60}, "negative_f1": {"min": 0.55}}


@dataclass(frozen=True)
class ReviewSet:
    """The shipped extract, or the star-rated review CSV the environment names."""

    def path(self) -> Path:
        value = os.environ.get(ENVIRONMENT, "")
        return Path(value) if value else EXTRACT

    def describe(self, scale: str) -> str:
        return f"star-rated reviews from {self.path()}"

    def missing(self, scale: str) -> str | None:
        if not self.path().is_file():
            return f"{self.path()} is not a file; {ENVIRONMENT} names a CSV of rated reviews"
        return None

    def prepare(self, scale: str) -> None:
        return None


DATA = ReviewSet()


def run(options: argparse.Namespace) -> Report:
    path = DATA.path()
    reviews = star_reviews_read(path)
    started = time.perf_counter()
    training = model_train(rated=reviews, name="learned-bench")
    seconds = time.perf_counter() - started
    learned, default = training.learned_evaluation, training.default_evaluation
    assert learned is not None and default is not None, training.note
    in_use = learned if training.learned_is_better else default
    truth = [item.label for item in reviews if held_out(item.key)]
    return Report(
        name="sentiment_quality",
        params={
            "data_set": path.name,
            "reviews": len(reviews),
            "trained_on": training.trained,
            "held_out": training.held_out,
            "held_out_percent": HELD_OUT_PERCENT,
            "classes": {label: truth.count(label) for label in CLASSES},
            "model_in_use": in_use.model,
            "learned_model": "TF-IDF word 1-2-grams + char 2-5-grams, logistic regression, "
            "balanced class weights",
            "default_model": default.model,
        },
        results={
            "macro_f1": in_use.macro_f1,
            "negative_f1": in_use.negative_f1,
            "neutral_f1": in_use.f1["neutral"],
            "positive_f1": in_use.f1["positive"],
            "learned_macro_f1": learned.macro_f1,
            "learned_negative_f1": learned.negative_f1,
            "default_macro_f1": default.macro_f1,
            "default_negative_f1": default.negative_f1,
            "training_and_evaluation_seconds": round(seconds, 1),
        },
        baseline={"label": "always positive (the majority class)", **_majority(truth)},
        budget=GOAL,
        notes=_confusions(learned, default)
        + " Rows: rated negative, neutral, positive; columns: answered negative, neutral, "
        "positive, unknown. The goal is set for the full review set; the shipped extract has "
        "a fifth of the training texts.",
    )


def _confusions(learned: Evaluation, default: Evaluation) -> str:
    return f"Confusion, learned: {learned.confusion}; default: {default.confusion}."


def _majority(truth: list[str]) -> dict[str, float]:
    f1 = f1_by_class(truth, [POSITIVE] * len(truth))
    return {"macro_f1": round(sum(f1.values()) / len(CLASSES), 3), "negative_f1": 0.0}
