"""Where the "for this customer" panel's time goes, statement by statement, on a prepared database.

``python -m tests.bench.profile_recommendations_serving [customers] [--scored-now] [--cprofile]``

Runs ``recommendation_list`` for random customers with orders and a store (as the
``recommendations`` benchmark does) and prints, per kind of SQL statement, how many ran and
their wall time, next to the whole call's wall and CPU time. With ``--cprofile`` it also
prints the top functions by cumulative time. It writes no benchmark file and has no budget;
the figure of record is ``serve_p95_ms`` of ``python -m tests.bench --only recommendations``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from tests.bench.__main__ import prepare_django


def statement_kind(sql: str) -> str:
    """The statement's verb and tables, literals dropped, so that repeats group together."""
    tables = sorted(set(re.findall(r'FROM "(\w+)"|JOIN "(\w+)"', sql)))
    names = sorted({name for pair in tables for name in pair if name})
    return f"{sql.split(None, 1)[0]} {' '.join(names)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("customers", nargs="?", type=int, default=50)
    parser.add_argument("--scored-now", action="store_true")
    parser.add_argument("--cprofile", action="store_true")
    options = parser.parse_args()
    prepare_django()
    from django.db import connection

    from frontline.customers.models import Customer
    from frontline.recommendations.selectors import recommendation_list
    from tests.bench.actions_data import bench_staff
    from tests.bench.harness import latency_summary

    staff = bench_staff()
    ids = list(
        Customer.objects.filter(order_count__gt=0, preferred_store__isnull=False)
        .order_by("?")
        .values_list("id", flat=True)[: options.customers]
    )
    spent: dict[str, list[float]] = defaultdict(list)
    slowest: dict[str, tuple[float, str]] = {}

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ms = (time.perf_counter() - started) * 1000
            kind = statement_kind(sql)
            spent[kind].append(ms)
            if ms > slowest.get(kind, (0.0, ""))[0]:
                slowest[kind] = (ms, f"{sql} {params}")

    def show(customer_id: int) -> object:
        return recommendation_list(
            user=staff, customer_id=customer_id, stored=not options.scored_now
        )

    for customer_id in ids[:10]:
        show(customer_id)
    walls, cpus = [], []
    profiler = cProfile.Profile() if options.cprofile else None
    with connection.execute_wrapper(timed):
        for customer_id in ids:
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            show(customer_id)
            if profiler:
                profiler.disable()
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
    print(f"{len(ids)} customers: wall {latency_summary(walls)}")
    print(f"CPU of this process {latency_summary(cpus)}")
    for kind, times in sorted(spent.items(), key=lambda item: -sum(item[1])):
        print(f"{sum(times) / len(ids):8.2f} ms/customer  {len(times):5} x  {kind}")
    for kind, (ms, sql) in slowest.items():
        print(f"slowest {kind}: {ms:.1f} ms: {sql[:600]}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
