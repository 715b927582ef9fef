"""The booking benchmarks' two operations alone, timed in this process's CPU time.

``python -m tests.bench.profile_booking_cpu``

On a machine shared with other work, wall-clock latencies follow the others' load; the CPU time
this process spends (``time.process_time()``) hardly does, so comparing two versions of the code
this way (run it in each checkout, alternating) shows what a change saves. Median of 40 slot
searches ("any stylist" at the benchmark's store of 30 stylists over their 60-day horizon, as
``booking_slots``) and of 40 bookings by one client (as ``booking_create``), with the queries of
one booking. Beside this process's CPU it reads the CPU time its PostgreSQL backend spent on
the bookings (``/proc/<pid>/stat`` of ``pg_backend_pid()``, so the server must run on this
machine): a booking's cost to the two cores is both. It writes no benchmark file and has no
budget: the figures of record are ``make bench ONLY=booking_slots`` and ``ONLY=booking_create``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.bench.__main__ import prepare_django

RUNS = 40


def median_ms(work: Callable[[int], object]) -> dict[str, float]:
    cpu, wall = [], []
    for number in range(RUNS):
        began_cpu, began_wall = time.process_time(), time.perf_counter()
        work(number)
        cpu.append((time.process_time() - began_cpu) * 1000)
        wall.append((time.perf_counter() - began_wall) * 1000)
    return {
        "cpu_ms": round(statistics.median(cpu), 1),
        "wall_ms": round(statistics.median(wall), 1),
    }


def backend_cpu_seconds(connection: object) -> float | None:
    """CPU time (user + system) the database backend serving ``connection`` has used so far;
    None when it does not run on this machine."""
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime, the 14th and 15th fields of the line (11th and 12th after the name).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    prepare_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from frontline.appointments import selectors, services
    from frontline.appointments.availability import slots_by_local_day
    from tests.bench.booking_fixture import PREFIX, booking_bench_create, booking_bench_remove

    bench = booking_bench_create(seed=23)
    figures: dict[str, object] = {}
    try:
        stylists = list(selectors.stylists_bookable(store=bench.store, service=bench.service))

        def search(_: int = 0) -> list:
            now = timezone.now()
            found = selectors.slots_search(
                stylists=stylists,
                service=bench.service,
                window_starts=now,
                window_ends=selectors.booking_horizon_end(stylists=stylists, now=now),
                now=now,
            )
            slots_by_local_day(found.slots, ZoneInfo("America/New_York"))
            return found.slots

        wanted = search()[:60]
        rng = random.Random(5)

        def book(number: int) -> None:
            with contextlib.suppress(services.SlotTaken):  # "just taken" is a booking's work too
                services.booking_create(
                    service=bench.service,
                    store=bench.store,
                    stylist=None,
                    starts_at=rng.choice(wanted),
                    details=services.CustomerDetails(
                        first_name=f"Client{number}",
                        last_name="Bench",
                        email=f"{PREFIX}cpu-{number}@example.com",
                        time_zone="Europe/London",
                    ),
                )

        figures["slot_search"] = median_ms(search)
        with CaptureQueriesContext(connection) as queries:
            book(RUNS)
        figures["booking_queries"] = len(queries.captured_queries)
        connection.ensure_connection()
        backend_before = backend_cpu_seconds(connection)
        figures["booking"] = median_ms(book)
        backend_after = backend_cpu_seconds(connection)
        if backend_before is not None and backend_after is not None:
            # Mean, not median: the kernel counts a process's CPU in ticks of 10 ms.
            figures["booking_database_cpu_ms"] = round(
                (backend_after - backend_before) * 1000 / RUNS, 1
            )
    finally:
        booking_bench_remove()
    figures["load"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
