"""Print the latest benchmark files (var/bench/*.json) as a Markdown table for the README.

``python -m tests.bench.summary``
"""

from __future__ import annotations

import json
import sys

from tests.bench.harness import BENCH_DIR


def _figures(values: dict[str, object], keys: list[str]) -> str:
    return ", ".join(f"{key} {values[key]}" for key in keys if key in values)


def row(document: dict) -> str:
    budget = document.get("budget", {})
    budget_keys = list(budget)
    results = _figures(document["results"], budget_keys or list(document["results"])[:3])
    baseline = document.get("baseline") or {}
    baseline_text = baseline.get("label", "")
    if baseline:
        baseline_text += ": " + _figures(baseline, budget_keys or list(baseline)[1:3])
    limits = "; ".join(
        f"{metric} {'≤' if 'max' in limit else '≥'} {limit.get('max', limit.get('min'))}"
        for metric, limit in budget.items()
    )
    verdict = "met" if document.get("budget_met") else "**not met**"
    return (
        f"| `{document['name']}` | {results} | {baseline_text} | {limits} | {verdict} "
        f"| {document['when']} |"
    )


def main() -> int:
    print("| benchmark | result | baseline (same run) | budget | | measured |")
    print("| --- | --- | --- | --- | --- | --- |")
    for path in sorted(BENCH_DIR.glob("*.json")):
        print(row(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
