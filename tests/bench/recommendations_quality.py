"""What both recommendation benchmarks report: the evaluation's figures, the job's cost."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from frontline.recommendations.evaluation import Evaluation
from tests.bench.harness import peak_rss_mb, reset_peak_rss

# The app must beat the best of these on both figures, measured in the same run.
BEATEN_PEERS = ("item_item", "als")
# Job budget from issue 28: at 1M customers / 5M lines on this machine.
JOB_BUDGET = {"seconds": {"max": 600.0}, "peak_rss_mb": {"max": 500.0}}


@dataclass(frozen=True)
class JobCost:
    seconds: float
    peak_rss_mb: float
    measured_alone: bool  # False when the peak could not be reset before the job


def measure_job(job: Callable[[], object]) -> tuple[JobCost, object]:
    """Run the job in this process with the peak-memory mark reset just before it."""
    alone = reset_peak_rss()
    started = time.perf_counter()
    outcome = job()
    return JobCost(round(time.perf_counter() - started, 1), peak_rss_mb(), alone), outcome


def quality_results(evaluation: Evaluation) -> dict[str, float]:
    results = evaluation.app.as_results(k=evaluation.k)
    for name, peer in evaluation.peers.items():
        results.update(peer.as_results(f"{name}_", k=evaluation.k))
    return results


def beat_the_peers_budget(results: dict[str, float]) -> dict[str, dict[str, float]]:
    """Hit-rate and NDCG at least the best peer's (item-item, ALS) in this run."""
    budget = {}
    for metric in ("hit_rate_at_10", "ndcg_at_10"):
        peers = [results[f"{p}_{metric}"] for p in BEATEN_PEERS if f"{p}_{metric}" in results]
        if peers:
            budget[metric] = {"min": max(peers)}
    return budget


def evaluation_params(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "customers_evaluated": evaluation.customers_evaluated,
        "train_lines": evaluation.train_lines,
        "products": evaluation.products,
        "held_out": "every product each customer bought from the cut-off on (rebuys included)",
        "stock_filter": "not applied (stock at the time of the held-out purchases is unknown)",
        "peers": "popularity; item_item (plain cosine, owned left out); als (implicit ALS, 64"
        " factors, owned left out); als_repeats (the same ALS allowed to recommend owned)",
    }
