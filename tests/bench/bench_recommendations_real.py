"""Recommendations on real purchases: the UCI "Online Retail" year, time-based hold-out.

Trained on the lines before 2011-09-01, evaluated on what each customer bought from then to
2011-12-09 (rebuys included), next to popularity, item-item cosine and the implicit library's
ALS in the same run. The job's cost is the model's fit on every line of the file (what the
nightly job does with the database's history), measured in this process with the peak-memory
mark reset before it. The file is named by ``ONLINE_RETAIL_CSV`` (default
var/datasets/online_retail.csv.gz; docs/recommendations.md says where it comes from).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime

from frontline.recommendations import evaluation, model, online_retail
from tests.bench.harness import Report
from tests.bench.recommendations_quality import (
    JOB_BUDGET,
    beat_the_peers_budget,
    evaluation_params,
    measure_job,
    quality_results,
)

CUTOFF = datetime(2011, 9, 1, tzinfo=UTC)
GOAL_HIT_RATE = 0.50


@dataclass(frozen=True)
class OnlineRetailFile:
    """The data set's CSV on disk; missing says how to provide it (never fetched at run time)."""

    def describe(self, scale: str) -> str:
        return f"the UCI Online Retail purchases in {online_retail.configured_path()}"

    def missing(self, scale: str) -> str | None:
        if not online_retail.configured_path().is_file():
            return (
                f"set {online_retail.ENVIRONMENT} to the data set's CSV (plain or .gz);"
                " docs/recommendations.md says where it comes from"
            )
        return None

    def prepare(self, scale: str) -> None:
        return None


DATA = OnlineRetailFile()


def run(options: argparse.Namespace) -> Report:
    purchases, catalogue = online_retail.load(online_retail.configured_path())
    result = evaluation.evaluate(purchases, CUTOFF.timestamp())
    end = float(purchases.seconds.max())
    cost, _fitted = measure_job(lambda: model.fit(purchases, now_seconds=end))
    results = quality_results(result)
    results.update(seconds=cost.seconds, peak_rss_mb=cost.peak_rss_mb)
    budget = beat_the_peers_budget(results)
    budget["hit_rate_at_10"]["min"] = max(budget["hit_rate_at_10"]["min"], GOAL_HIT_RATE)
    return Report(
        name="recommendations_real",
        params={
            "data_set": "UCI Online Retail (Chen 2015, CC BY 4.0), purchases with a customer id",
            "lines": len(purchases),
            "customers": len(set(purchases.customers.tolist())),
            "products_in_file": len(catalogue.ids),
            "cutoff": CUTOFF.date().isoformat(),
            **evaluation_params(result),
            "method": "recency-weighted rebuys + shrunk item-item cosine (capped fan-out 100)"
            " + best sellers, blend tuned on a split inside the training period",
            "job": "model.fit on every line (in-process, peak mark reset first: "
            f"{cost.measured_alone})",
        },
        results=results,
        baseline={
            "label": "implicit ALS on the same split, owned products left out (library default)",
            **{k.removeprefix("als_"): v for k, v in results.items() if k.startswith("als_")},
        },
        budget={**budget, **JOB_BUDGET},
    )
