"""Booking under load (issue 23's budget: p95 <= 100 ms with 50 concurrent clients, 0 double
bookings).

Measured: ``services.booking_create`` as the booking page calls it, by 50 clients at once, each a
thread with its own database connection, each booking one session after another for "any
stylist" or a named one at the benchmark's store of 30 stylists. The clients aim at the same
few days, so many aim at a slot someone else is taking at that moment: those get "just taken"
with the nearest free slots, which is part of what is timed. Every call is timed, whatever its
outcome. Then every pair of confirmed sessions of a stylist is checked for overlap (buffers
included): the double bookings, which must be none.

The clients share one Python process (and its GIL) with each other, on a machine whose two
cores also run PostgreSQL and Redis: the latencies include waiting for those. Baseline in the
same run: one client alone, so the cost of the concurrency can be read off.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

from django.db import connection
from django.utils import timezone

from frontline.appointments import selectors, services
from tests.bench.booking_fixture import PREFIX, booking_bench_create, booking_bench_remove
from tests.bench.datasets import OwnData
from tests.bench.harness import Report, latency_summary

DATA = OwnData("its own: a store of 30 stylists with filled diaries, removed afterwards")
CLIENTS = 50
SEED = 52


def run(options: Any) -> Report:
    per_client = 10 if options.scale == "full" else 4
    bench = booking_bench_create(seed=SEED)
    pool = connection.settings_dict["OPTIONS"].get("pool")
    try:
        if isinstance(pool, dict):
            # Fifty clients, fifty connections at once (as fifty requests on several servers).
            connection.close()
            connection.close_pool()
            pool["max_size"] = CLIENTS + 5
        stylists = list(selectors.stylists_bookable(store=bench.store, service=bench.service))
        now = timezone.now()
        # The next three days with free time: where everybody wants to be.
        search = selectors.slots_search(
            stylists=stylists,
            service=bench.service,
            window_starts=now,
            window_ends=selectors.booking_horizon_end(stylists=stylists, now=now),
            now=now,
        )
        wanted = search.slots[:60]
        baseline_samples, _ = _clients(1, per_client * 3, bench, stylists, wanted, seed=SEED + 1)
        samples, outcomes = _clients(CLIENTS, per_client, bench, stylists, wanted, seed=SEED)
        double_bookings = _overlapping_pairs(bench.store.pk)
        elapsed = outcomes.pop("seconds")
    finally:
        if isinstance(pool, dict):
            connection.close()
            connection.close_pool()
        booking_bench_remove()
    results = latency_summary(samples)
    results["double_bookings"] = double_bookings
    results["bookings_per_s"] = round(outcomes["booked"] / elapsed, 1)
    return Report(
        name="booking_create",
        params={
            "clients": CLIENTS,
            "attempts_per_client": per_client,
            "stylists": len(stylists),
            "slots_aimed_at": len(wanted),
            "outcomes": dict(outcomes),
        },
        results=results,
        baseline={"label": "one client alone", **latency_summary(baseline_samples)},
        budget={"p95_ms": {"max": 100}, "double_bookings": {"max": 0}},
        notes="Clients are threads of one process; see the module's docstring.",
    )


def _clients(
    count: int, attempts: int, bench: Any, stylists: list, wanted: list, *, seed: int
) -> tuple[list[float], Counter]:
    samples: list[float] = []
    outcomes: Counter = Counter()
    lock = threading.Lock()
    start = threading.Barrier(count)

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        start.wait()
        try:
            for attempt in range(attempts):
                # One in four asks for a named stylist; the rest for anybody free.
                stylist = rng.choice(stylists) if rng.random() < 0.25 else None
                began = time.perf_counter()
                try:
                    services.booking_create(
                        service=bench.service,
                        store=bench.store,
                        stylist=stylist,
                        starts_at=rng.choice(wanted),
                        details=services.CustomerDetails(
                            first_name=f"Client{number}",
                            last_name="Bench",
                            email=f"{PREFIX}{seed}-{number}-{attempt % 3}@example.com",
                            time_zone="Europe/London",
                        ),
                    )
                    outcome = "booked"
                except services.SlotTaken:
                    outcome = "just_taken"
                except Exception as error:
                    outcome = f"failed: {type(error).__name__}: {error}"[:120]
                took = (time.perf_counter() - began) * 1000
                with lock:
                    samples.append(took)
                    outcomes[outcome] += 1
        finally:
            connection.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes["seconds"] = time.perf_counter() - began  # type: ignore[assignment]
    return samples, outcomes


def _overlapping_pairs(store_id: int) -> int:
    """Pairs of confirmed sessions of one stylist whose spans (buffer included) overlap."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM appointments_booking a
            JOIN appointments_booking b
              ON a.stylist_id = b.stylist_id AND a.id < b.id
             AND a.starts_at < b.blocks_until AND b.starts_at < a.blocks_until
            WHERE a.store_id = %s AND a.status = 'confirmed' AND b.status = 'confirmed'
            """,
            [store_id],
        )
        return int(cursor.fetchone()[0])
