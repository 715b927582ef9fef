"""Scoring an interaction's words as it is written (issue 25's budget: p95 <= 5 ms).

Measured: ``interaction_sentiment_fields`` (language detection, then the lexicon model, or
"unknown"), what every synced interaction and typed note pays before its row is written, on a
fixed mix of what the timeline holds: short CRM notes, e-mails and reviews of a few sentences,
other languages, markup, emoji, and a long text of a megabyte. The models are loaded before
timing (once per process; a worker pays it on its first text). Baseline in the same run: the
lexicon alone, without language detection, on the same texts. The learned model (trained in the
run on the shipped review extract) is timed on the same texts, one at a time as a write scores
them: ``learned_*`` results.
"""

from __future__ import annotations

import argparse
import random

from frontline.customers.sentiment import (
    interaction_sentiment_fields,
    interactions_sentiment_fields,
)
from frontline.sentiment.feedback import star_reviews_read
from frontline.sentiment.learning import model_train
from frontline.sentiment.scoring import SentimentModel, default_model, text_clean
from tests.bench.bench_sentiment_quality import EXTRACT
from tests.bench.datasets import OwnData
from tests.bench.harness import Report, latency_summary, time_each

DATA = OwnData("none: texts built in the run")

TEXTS = {"full": 5_000, "small": 500}
SHORT = [
    "Call back re: size 12 in navy",
    "Asked about the delivery date",
    "Thanks!",
    "Returned, too small",
    "Loves the new linen range",
]
REVIEWS = [
    "I love this dress! The fabric is soft and the fit is perfect, I got so many compliments.",
    "The zip broke after a week and nobody called me back. Really disappointed with the "
    "quality for the price; I expected much better from this brand.",
    "Not bad at all. The sleeves are a little long but the colour is lovely and the staff "
    "at the store were so helpful when I came to collect it.",
    "Ordered twice, arrived late twice. The second parcel was damaged and the refund took "
    "three weeks. I will not order online again.",
]
OTHER = [
    "La robe était magnifique, merci beaucoup pour votre aide",
    "Das Kleid war nicht gut, der Reißverschluss ist kaputt",
    "Muy mal servicio, no vuelvo",
    "素晴らしいサービスでした",
]
ODD = ["", "😍😍", "<p>I <b>love</b> the new coat &amp; scarf</p>", "123 456"]
MEGABYTE = "I hate waiting. " + "x" * 1_000_000


def texts(count: int) -> list[str]:
    rng = random.Random(25)
    pool = [(SHORT, 30), (REVIEWS, 45), (OTHER, 15), (ODD, 10)]
    chosen = [
        rng.choice(rng.choices([group for group, _ in pool], [w for _, w in pool])[0])
        for _ in range(count - 5)
    ]
    return [*chosen, *[MEGABYTE] * 5]


def _learned_on_the_shipped_reviews() -> SentimentModel:
    """The learned model as the nightly training builds it, from the shipped review extract."""
    training = model_train(rated=star_reviews_read(EXTRACT), name="learned-bench")
    assert training.learned is not None, training.note
    for text in SHORT + REVIEWS:  # warm it as the lexicon was
        training.learned.read(text)
    return training.learned


def run(options: argparse.Namespace) -> Report:
    sample = texts(TEXTS[options.scale])
    for text in sample[:50]:  # load the models and warm the caches
        interaction_sentiment_fields(summary=text)
    samples = time_each(
        lambda text=text: interaction_sentiment_fields(summary=text) for text in sample
    )
    lexicon = default_model()
    baseline = time_each(lambda text=text: lexicon.polarity(text_clean(text)) for text in sample)
    unknown = sum(
        interaction_sentiment_fields(summary=text)["sentiment"] == "unknown" for text in sample
    )
    results = latency_summary(samples)
    results["texts_per_s"] = round(len(samples) / (sum(samples) / 1000))
    results["unknown_share"] = round(unknown / len(sample), 3)
    learned = _learned_on_the_shipped_reviews()
    learned_samples = time_each(
        lambda text=text: interactions_sentiment_fields(summaries=[text], model=learned)
        for text in sample
    )
    results.update(
        {f"learned_{name}": value for name, value in latency_summary(learned_samples).items()}
    )
    return Report(
        name="sentiment_score",
        params={
            "texts": len(sample),
            "model": lexicon.name,
            "megabyte_texts": 5,
            "learned_model": "trained on the shipped review extract (learned_* results)",
        },
        results=results,
        baseline={"label": "lexicon alone, no language detection", **latency_summary(baseline)},
        budget={"p95_ms": {"max": 5}},
    )
