"""Where the recommendations job's memory goes, at 1M customers / 5.27M lines, without a database.

``python -m tests.bench.profile_recommendations_memory [customers] [lines]``

The nightly job's array work (``similarities_recompute`` less the reading and the writing) on
made-up purchases the size of seed_demo's 1M customers: best sellers per store, the fit, the
last-purchase days and every customer's list (scored and turned into entries, not written).
Each step prints the process's peak resident memory (the kernel's high-water mark, reset after
the arrays are made), so a change to one step is seen in seconds, not after an hour's seeding.
It writes no benchmark file and has no budget: the figure of record is
``make bench ONLY=recommendations`` at full scale, whose peak adds the database reading.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from tests.bench.__main__ import prepare_django

PRODUCTS = 300
YEARS = 3


def high_water_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("customers", nargs="?", type=int, default=1_000_000)
    parser.add_argument("lines", nargs="?", type=int, default=5_272_640)
    options = parser.parse_args()
    prepare_django()
    from frontline.recommendations import model, services

    rng = np.random.default_rng(7)
    popularity = 1 / np.arange(1, PRODUCTS + 1) ** 0.8
    start = 1.70e9
    history = services.History(
        model.Purchases(
            rng.integers(1, options.customers + 1, options.lines).astype(np.int32),
            (rng.choice(PRODUCTS, options.lines, p=popularity / popularity.sum()) + 1).astype(
                np.int32
            ),
            rng.uniform(start, start + YEARS * 365 * model.SECONDS_PER_DAY, options.lines),
        ),
        rng.choice([services.ONLINE, 1, 2, 3], options.lines).astype(np.int32),
    )
    now = start + YEARS * 365 * model.SECONDS_PER_DAY
    settings = model.Settings()
    print(f"Django and the history's arrays: {high_water_mb()} MB", flush=True)
    Path("/proc/self/clear_refs").write_text("5")
    started = time.perf_counter()

    def step(name: str) -> None:
        seconds = time.perf_counter() - started
        print(f"{name}: peak {high_water_mb()} MB, {seconds:.1f} s", flush=True)

    services.store_best_sellers(history, now_seconds=now, settings=settings)
    step("store best sellers")
    purchases = history.purchases
    del history
    fitted = model.fit(purchases, now_seconds=now, settings=settings)
    step("fit")
    last_days = model.last_purchase_days(fitted.matrices, purchases)
    del purchases
    step("last-purchase days")
    listed = sum(
        len(entries)
        for block in model.ranked_lists(fitted, last_days, services.STORED_PER_CUSTOMER)
        for entries in services.entries_of(block)
    )
    step(f"lists ({listed:,} entries)")


if __name__ == "__main__":
    main()
