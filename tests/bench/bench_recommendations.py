"""Recommendations on the demo data (1M customers at full scale): the nightly job and the list.

The nightly job (``similarities_recompute``: order history streamed into arrays, sparse fit,
tables replaced) is timed in this process with the peak-memory mark reset just before it:
budget 10 minutes and 500 MB. Quality on a time-based hold-out (cut-off at the 80th percentile
of purchase times), the app next to popularity, item-item cosine and implicit's ALS in the
same run. seed_demo generates purchases from brand affinities; nothing of those is used here.
The panel's list is timed as served (the stored list read, stock checked) with the same
customers scored from their history on the spot (the path before lists were stored) as the
baseline, in the same run: budget p95 60 ms, the profile page's.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from django.db import connection

from frontline.customers.models import Customer
from frontline.recommendations import evaluation
from frontline.recommendations.selectors import recommendation_list
from frontline.recommendations.services import (
    Recompute,
    history_from_database,
    similarities_recompute,
)
from tests.bench.actions_data import bench_staff
from tests.bench.datasets import DEMO
from tests.bench.harness import Report, latency_summary, time_each
from tests.bench.recommendations_quality import (
    JOB_BUDGET,
    beat_the_peers_budget,
    evaluation_params,
    measure_job,
    quality_results,
)

DATA = DEMO
SERVING_SAMPLES = {"full": 200, "small": 100}
# The profile page's own p95 budget (customer_profile): the panel must not be slower.
SERVING_BUDGET = {"serve_p95_ms": {"max": 60.0}}


def hold_out_cutoff() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_disc(0.8) WITHIN GROUP (ORDER BY placed_at) FROM orders_order"
            " WHERE customer_id IS NOT NULL"
        )
        return cursor.fetchone()[0]


def run(options: argparse.Namespace) -> Report:
    cost, outcome = measure_job(similarities_recompute)
    assert isinstance(outcome, Recompute)
    cutoff = hold_out_cutoff()
    result = evaluation.evaluate(history_from_database().purchases, cutoff.timestamp())
    # The same customers for both paths.
    sample = list(
        Customer.objects.filter(order_count__gt=0, preferred_store__isnull=False)
        .order_by("?")
        .values_list("id", flat=True)[: SERVING_SAMPLES[options.scale]]
    )
    serving = _serving_latency(sample, stored=True)
    # A quarter of them for the baseline: at 1M customers it takes seconds a customer.
    scored_now = _serving_latency(sample[: max(len(sample) // 4, 10)], stored=False)
    results = quality_results(result)
    results.update(
        seconds=cost.seconds,
        peak_rss_mb=cost.peak_rss_mb,
        serve_p50_ms=serving["p50_ms"],
        serve_p95_ms=serving["p95_ms"],
        serve_scored_now_p50_ms=scored_now["p50_ms"],
        serve_scored_now_p95_ms=scored_now["p95_ms"],
    )
    return Report(
        name="recommendations",
        params={
            "customers": Customer.objects.count(),
            "lines": outcome.lines,
            "products": outcome.products,
            "similarity_pairs": outcome.pairs,
            "stored_lists": outcome.lists,
            "serving": "recommendation_list for random customers with orders and a store: "
            "serve_* reads the stored list, serve_scored_now_* scores the history on the spot "
            "(the baseline, a quarter of the same customers); both check stock",
            "cutoff": cutoff.isoformat(),
            **evaluation_params(result),
            "job": "similarities_recompute in-process, peak mark reset first: "
            f"{cost.measured_alone}",
        },
        results=results,
        baseline={
            "label": "implicit ALS on the same split, owned products left out (library default)",
            **{k.removeprefix("als_"): v for k, v in results.items() if k.startswith("als_")},
        },
        budget={**beat_the_peers_budget(results), **JOB_BUDGET, **SERVING_BUDGET},
    )


def _serving_latency(ids: list[int], *, stored: bool) -> dict[str, float]:
    """How long one customer's "for this customer" list takes, after 10 warm-up calls."""
    staff = bench_staff()

    def show(customer_id: int) -> object:
        return recommendation_list(user=staff, customer_id=customer_id, stored=stored)

    for customer_id in ids[:10]:
        show(customer_id)
    return latency_summary(time_each([lambda c=c: show(c) for c in ids]))
