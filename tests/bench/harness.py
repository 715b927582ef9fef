"""What every benchmark shares: timing, percentiles, memory, the machine, the report file."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

BENCH_DIR = Path(__file__).resolve().parents[2] / "var" / "bench"


@dataclass
class Report:
    """One benchmark's outcome; ``budget`` maps a metric to {"max": x} and/or {"min": y}."""

    name: str
    params: dict[str, Any]
    results: dict[str, float]
    baseline: dict[str, Any] = field(default_factory=dict)
    budget: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: str = ""

    def budget_failures(self) -> list[str]:
        failures = []
        for metric, limits in self.budget.items():
            value = self.results.get(metric)
            if value is None:
                failures.append(f"{metric}: not measured")
                continue
            if "max" in limits and value > limits["max"]:
                failures.append(f"{metric}={value} above max {limits['max']}")
            if "min" in limits and value < limits["min"]:
                failures.append(f"{metric}={value} below min {limits['min']}")
        return failures

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "name": self.name,
            "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": machine_description(),
            "params": self.params,
            "results": self.results,
            "baseline": self.baseline,
            "budget": self.budget,
            "budget_met": not self.budget_failures(),
        }
        if self.notes:
            document["notes"] = self.notes
        return document

    def write(self, directory: Path = BENCH_DIR) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.json"
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n")
        return path


def machine_description() -> str:
    memory_gib = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores, {memory_gib:.0f} GiB, {platform.system()} {platform.machine()}"


def percentile(samples: Iterable[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of the samples."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    # Nearest rank: the smallest sample with at least ``fraction`` of the samples at or below
    # it, i.e. the ceil(fraction * n)-th. Rounding first keeps 0.07 * 100 at 7, not 7.000…1.
    rank = max(0, min(len(ordered) - 1, math.ceil(round(fraction * len(ordered), 9)) - 1))
    return ordered[rank]


def latency_summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(samples_ms, 0.50), 3),
        "p95_ms": round(percentile(samples_ms, 0.95), 3),
        "p99_ms": round(percentile(samples_ms, 0.99), 3),
        "mean_ms": round(statistics.fmean(samples_ms), 3),
    }


def time_each(calls: Iterable[Callable[[], object]]) -> list[float]:
    """Run each call once and return its wall time in milliseconds."""
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def reset_peak_rss() -> bool:
    """Start this process's peak-memory mark afresh (Linux: "5" to clear_refs); False if not.

    So a step measured in-process reports its own peak (on top of what the process already
    held, as a worker running it would), not an earlier step's.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb(process: psutil.Process | None = None) -> float:
    """Peak resident memory of a process (default: this one): the kernel's high-water mark."""
    process = process or psutil.Process()
    try:
        with Path(f"/proc/{process.pid}/status").open() as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(process.memory_info().rss / 2**20, 1)
