"""The benchmark harness: percentiles, budgets and the report file every benchmark writes."""

from __future__ import annotations

import json

import pytest

from tests.bench.harness import Report, latency_summary, percentile


def test_percentile_is_the_nearest_rank():
    samples = list(range(1, 101))  # 1..100
    assert percentile(samples, 0.50) == 50
    assert percentile(samples, 0.95) == 95
    assert percentile(samples, 0.99) == 99
    assert percentile(samples, 1.0) == 100
    assert percentile(samples, 0.0) == 1


def test_percentile_does_not_depend_on_the_order_of_samples():
    assert percentile([9.0, 1.0, 5.0], 0.5) == 5.0
    assert percentile([4.2], 0.95) == 4.2


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 0.5)


def test_latency_summary_names_its_metrics_as_the_contract_says():
    summary = latency_summary([1.0, 2.0, 3.0, 4.0])
    assert set(summary) == {"p50_ms", "p95_ms", "p99_ms", "mean_ms"}
    assert summary["p50_ms"] == 2.0 and summary["mean_ms"] == 2.5


def report(results: dict[str, float], budget: dict[str, dict[str, float]]) -> Report:
    return Report(name="example", params={"customers": 10}, results=results, budget=budget)


def test_a_budget_is_met_when_every_metric_is_within_its_limits():
    assert (
        report(
            {"p95_ms": 30.0, "rows_per_s": 10}, {"p95_ms": {"max": 30}, "rows_per_s": {"min": 10}}
        ).budget_failures()
        == []
    )


def test_budget_failures_name_the_metric_and_the_limit():
    failures = report(
        {"seconds": 200.0, "rows_per_s": 5}, {"seconds": {"max": 180}, "rows_per_s": {"min": 10}}
    ).budget_failures()
    assert failures == ["seconds=200.0 above max 180", "rows_per_s=5 below min 10"]


def test_a_budgeted_metric_that_was_not_measured_fails():
    assert report({}, {"peak_rss_mb": {"max": 500}}).budget_failures() == [
        "peak_rss_mb: not measured"
    ]


def test_the_report_file_has_the_contract_shape(tmp_path):
    written = Report(
        name="seed_demo",
        params={"customers": 20000},
        results={"seconds": 12.5},
        baseline={"label": "bulk_create", "seconds": 60.0},
        budget={"seconds": {"max": 180}},
    ).write(tmp_path)
    assert written == tmp_path / "seed_demo.json"
    document = json.loads(written.read_text())
    assert {"name", "when", "machine", "params", "results", "baseline", "budget"} <= set(document)
    assert document["name"] == "seed_demo"
    assert document["when"].endswith("Z") and "T" in document["when"]
    assert "cores" in document["machine"]
    assert document["results"] == {"seconds": 12.5}
    assert document["baseline"]["label"] == "bulk_create"
    assert document["budget"] == {"seconds": {"max": 180}}
    assert document["budget_met"] is True


def test_the_report_says_when_the_budget_is_missed(tmp_path):
    document = json.loads(
        report({"seconds": 181.0}, {"seconds": {"max": 180}}).write(tmp_path).read_text()
    )
    assert document["budget_met"] is False


def test_percentile_is_not_thrown_off_by_floating_point():
    samples = list(range(1, 101))
    assert percentile(samples, 0.07) == 7
    assert percentile(samples, 0.29) == 29
