"""Stock of one variant across every store, nearest first (issue 4's budget: p95 <= 20 ms).

Measured: what the variant page and ``GET /api/catalog/variants/<id>/stock/`` do — fetch the
variant, then ``variant_stock_overview`` (one indexed query; distances computed in Python).
Also measured in the same run: the same answer with distances and order computed in SQL, and
the baseline a first version might write (one query per store, then sort).
"""

from __future__ import annotations

import random
from typing import Any

from django.db import connection

from frontline.catalog.models import StockLevel, Variant
from frontline.catalog.selectors import haversine_km, variant_stock_overview
from frontline.staff.models import Store
from tests.bench.catalog_fixture import CATALOG, loaded, sizes
from tests.bench.harness import Report, latency_summary, time_each

DATA = CATALOG

SQL_NEAREST_FIRST = """
SELECT s.id, s.code, s.kind, st.on_hand, st.reserved, st.synced_at,
       2 * 6371.0088 * asin(sqrt(
           power(sin(radians(s.latitude - %(lat)s) / 2), 2)
           + cos(radians(%(lat)s)) * cos(radians(s.latitude))
             * power(sin(radians(s.longitude - %(lon)s) / 2), 2))) AS distance_km
FROM catalog_stocklevel st JOIN staff_store s ON s.id = st.store_id
WHERE st.variant_id = %(variant)s AND s.is_active
ORDER BY s.kind, distance_km NULLS LAST
"""


def run(options: Any) -> Any:
    variants, stores = sizes(options.scale)
    queries = 500 if options.scale == "full" else 200
    baseline_queries = 50 if options.scale == "full" else 30
    bench = loaded(options.scale)
    origin = bench.stores[0]
    rng = random.Random(40)
    picks = [rng.choice(bench.variant_ids) for _ in range(queries)]

    def lookup(variant_id: int) -> None:
        variant = Variant.objects.select_related("product").get(pk=variant_id)
        overview = variant_stock_overview(variant=variant, origin=origin)
        assert len(overview.nearby) + len(overview.warehouses) == stores - 1

    def lookup_sql_distance(variant_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                SQL_NEAREST_FIRST,
                {"lat": origin.latitude, "lon": origin.longitude, "variant": variant_id},
            )
            assert len(cursor.fetchall()) == stores

    def naive_per_store_loop(variant_id: int) -> None:
        rows = []
        for store in Store.objects.filter(is_active=True, code__startswith="bench-inv-"):
            level = StockLevel.objects.filter(store=store, variant_id=variant_id).first()
            if level is not None:
                distance = haversine_km(
                    float(origin.latitude),
                    float(origin.longitude),
                    float(store.latitude),
                    float(store.longitude),
                )
                rows.append((distance, store.code, level.on_hand - level.reserved))
        rows.sort()

    time_each(lambda v=v: lookup(v) for v in picks[:20])  # warm the cache and the pool
    measured = latency_summary(time_each(lambda v=v: lookup(v) for v in picks))
    sql_variant = latency_summary(time_each(lambda v=v: lookup_sql_distance(v) for v in picks))
    baseline = latency_summary(
        time_each(lambda v=v: naive_per_store_loop(v) for v in picks[:baseline_queries])
    )
    return Report(
        name="stock_lookup",
        params={
            "variants": variants,
            "stores": stores,
            "stock_rows": variants * stores,
            "queries": queries,
            "baseline_queries": baseline_queries,
        },
        results={
            **measured,
            "sql_distance_p50_ms": sql_variant["p50_ms"],
            "sql_distance_p95_ms": sql_variant["p95_ms"],
        },
        baseline={"label": "one query per store, then sort", **baseline},
        budget={"p95_ms": {"max": 20}},
        notes=(
            "p*_ms: variant fetch + variant_stock_overview (one query on the (variant, store) "
            "unique index, haversine in Python). sql_distance_*: the same rows with distance "
            "and order computed in PostgreSQL, for comparison."
        ),
    )
