"""Scoring the demo's whole interaction history (issue 25's budget: 1M interactions <= 10 min).

Measured: ``sentiment_backfill_run`` from a rewound checkpoint over every interaction of the
demo data, in 2,000-row chunks, each scored and written in one transaction with its checkpoint
(the PostgreSQL rollup trigger runs once a chunk). Reported for the rows there are and per
million. Baseline in the same run: scoring and ``save()`` one interaction at a time, on a
sample, extrapolated. The demo's drawn labels are replaced by read ones; the fingerprint the
harness keeps (files, ids, row counts) is unchanged by it.
"""

from __future__ import annotations

import argparse
import time

from frontline.customers.models import Interaction
from frontline.customers.sentiment import (
    BACKFILL_CHUNK,
    interaction_sentiment_fields,
    sentiment_backfill_run,
    sentiment_backfill_start,
)
from tests.bench.datasets import DEMO
from tests.bench.harness import Report, peak_rss_mb

DATA = DEMO
MILLION = 1_000_000
BASELINE_SAMPLE = 1_000


def run(options: argparse.Namespace) -> Report:
    backfill = sentiment_backfill_start(restart=True)
    started = time.perf_counter()
    backfill = sentiment_backfill_run(backfill_id=backfill.pk)
    seconds = time.perf_counter() - started
    rows = backfill.scored + backfill.unknown
    per_row_baseline = _one_at_a_time(BASELINE_SAMPLE)
    return Report(
        name="sentiment_backfill",
        params={"interactions": rows, "chunk": BACKFILL_CHUNK, "model": backfill.model},
        results={
            "seconds": round(seconds, 1),
            "interactions_per_s": round(rows / seconds),
            "seconds_per_million": round(seconds * MILLION / rows, 1),
            "unknown_share": round(backfill.unknown / rows, 3),
            "peak_rss_mb": peak_rss_mb(),
        },
        baseline={
            "label": f"score and save() one at a time (sample of {BASELINE_SAMPLE}, extrapolated)",
            "seconds_per_million": round(per_row_baseline * MILLION, 1),
        },
        budget={"seconds_per_million": {"max": 600}},
    )


def _one_at_a_time(sample: int) -> float:
    interactions = list(Interaction.objects.order_by("-pk")[:sample])
    started = time.perf_counter()
    for interaction in interactions:
        for name, value in interaction_sentiment_fields(summary=interaction.summary).items():
            setattr(interaction, name, value)
        interaction.save(update_fields=["sentiment", "sentiment_score"])
    return (time.perf_counter() - started) / max(1, len(interactions))
