"""Offline evaluation of "for this customer": time-based hold-out, model vs popularity.

Trained on the order history before the cut-off (the 80th percentile of purchase times), tested
on what each customer bought after it and had not bought before; precision@10 and recall@10 of
the model (item-to-item cosine with shrinkage, blended with favourite brands) next to the
popularity baseline, both measured in this run on the same customers. The stock filter of the
live list is left out here: stock at the time of the held-out purchases is not known.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from django.db import connection

from frontline.customers.models import Customer
from frontline.recommendations.evaluation import evaluate_database
from frontline.recommendations.selectors import recommendations_for_customer
from frontline.recommendations.services import similarities_recompute
from tests.bench.actions_data import bench_staff
from tests.bench.datasets import DEMO
from tests.bench.harness import Report, latency_summary, peak_rss_mb, time_each

DATA = DEMO
SERVING_SAMPLES = {"full": 200, "small": 100}
EVALUATED_CUSTOMERS = 20_000


def hold_out_cutoff() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_disc(0.8) WITHIN GROUP (ORDER BY placed_at) FROM orders_order"
            " WHERE customer_id IS NOT NULL"
        )
        return cursor.fetchone()[0]


def run(options: argparse.Namespace) -> Report:
    cutoff = hold_out_cutoff()
    started = time.perf_counter()
    evaluation = evaluate_database(cutoff, k=10, max_customers=EVALUATED_CUSTOMERS, with_als=True)
    evaluation_seconds = time.perf_counter() - started
    started = time.perf_counter()
    pairs = similarities_recompute()
    similarity_seconds = time.perf_counter() - started
    serving = _serving_latency(samples=SERVING_SAMPLES[options.scale])
    baseline = {
        "label": "popularity (most bought before the cut-off, not already owned)",
        "precision_at_10": evaluation.popularity.precision_at_k,
        "recall_at_10": evaluation.popularity.recall_at_k,
    }
    return Report(
        name="recommendations",
        params={
            "customers": Customer.objects.count(),
            "cutoff": cutoff.isoformat(),
            "customers_evaluated": evaluation.customers_evaluated,
            "products": evaluation.products,
            "method": "item-item cosine, shrinkage 10, top 30 neighbours, favourite-brand blend",
        },
        results={
            "precision_at_10": evaluation.model.precision_at_k,
            "recall_at_10": evaluation.model.recall_at_k,
            "evaluation_seconds": round(evaluation_seconds, 1),
            "similarity_rebuild_seconds": round(similarity_seconds, 1),
            "similarity_pairs": pairs,
            **(
                {
                    "implicit_als_precision_at_10": evaluation.als.precision_at_k,
                    "implicit_als_recall_at_10": evaluation.als.recall_at_k,
                }
                if evaluation.als
                else {}
            ),
            "serve_p50_ms": serving["p50_ms"],
            "serve_p95_ms": serving["p95_ms"],
            "peak_rss_mb": peak_rss_mb(),
        },
        baseline=baseline,
        # The model must beat popularity, measured in the same run.
        budget={
            "precision_at_10": {"min": baseline["precision_at_10"]},
            "recall_at_10": {"min": baseline["recall_at_10"]},
        },
    )


def _serving_latency(samples: int) -> dict[str, float]:
    """How long one customer's "for this customer" list takes (informational, no budget)."""
    staff = bench_staff()
    ids = list(
        Customer.objects.filter(order_count__gt=0, preferred_store__isnull=False)
        .order_by("?")
        .values_list("id", flat=True)[:samples]
    )
    for customer_id in ids[:10]:
        recommendations_for_customer(user=staff, customer_id=customer_id)
    return latency_summary(
        time_each(
            [lambda c=c: recommendations_for_customer(user=staff, customer_id=c) for c in ids]
        )
    )
