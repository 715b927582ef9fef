"""Nightly recomputation of recommended actions over every customer (budget: 1M in 10 min).

The engine runs set-based, a fixed number of queries per chunk of customer ids. The baseline
is the same engine driven one customer at a time (a chunk of one id: the per-customer
evaluation a naive nightly job would do), timed on a sample and extrapolated.
"""

from __future__ import annotations

import argparse
import random
import time

from django.db import connection
from django.utils import timezone

from frontline.actions import services
from frontline.actions.conf import ActionSettings
from frontline.actions.engine import recompute_range
from frontline.actions.models import ActionBatchRun, ActionSuggestion
from frontline.actions.registry import registry
from frontline.customers.models import Customer
from tests.bench.datasets import DEMO, DEMO_CUSTOMERS
from tests.bench.harness import Report, peak_rss_mb

DATA = DEMO
FULL_CUSTOMERS = DEMO_CUSTOMERS["full"]
BUDGET_SECONDS_AT_FULL = 600
BASELINE_SAMPLE = 300


def run(options: argparse.Namespace) -> Report:
    total = Customer.objects.count()
    ActionBatchRun.objects.filter(status="running").update(status="abandoned")

    started = time.perf_counter()
    batch = services.actions_batch_run()
    seconds = time.perf_counter() - started
    assert batch is not None and batch.status == "finished"

    baseline_seconds_per_customer = _per_customer_baseline(total)
    rate_needed = FULL_CUSTOMERS / BUDGET_SECONDS_AT_FULL
    return Report(
        name="actions_batch",
        params={
            "customers": total,
            "chunk_size": ActionSettings.load().batch_chunk_size,
            "rules": len(registry.names()),
            "database": connection.vendor,
        },
        results={
            "seconds": round(seconds, 1),
            "customers_per_s": round(total / seconds),
            "suggestions": batch.suggestions_written,
            "chunks": batch.chunks_done,
            "peak_rss_mb": peak_rss_mb(),
        },
        baseline={
            "label": f"one customer at a time (sample of {BASELINE_SAMPLE}, extrapolated)",
            "seconds": round(baseline_seconds_per_customer * total, 1),
            "customers_per_s": round(1 / baseline_seconds_per_customer),
        },
        budget={
            # At full scale: 1M customers within 600 s. At small scale the same rate.
            "customers_per_s": {"min": round(rate_needed)},
            **({"seconds": {"max": BUDGET_SECONDS_AT_FULL}} if options.scale == "full" else {}),
        },
        notes="ActionSuggestion rows after the run: "
        f"{ActionSuggestion.objects.count()}; the batch is resumable and idempotent.",
    )


def _per_customer_baseline(total: int) -> float:
    ids = list(Customer.objects.values_list("id", flat=True)[: min(total, 200_000)])
    sample = random.Random(8).sample(ids, min(BASELINE_SAMPLE, len(ids)))
    started = time.perf_counter()
    for customer_id in sample:
        recompute_range(first_id=customer_id, last_id=customer_id, now=timezone.now())
    return (time.perf_counter() - started) / len(sample)
