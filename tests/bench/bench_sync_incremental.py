"""Incremental sync: 1% of the customers changed, served by the Shopify-shaped stand-in.

The database first holds every customer (loaded through the file drop, not measured), each
with the e-commerce identity of its shop id (Shopify's ids are integers, and the stand-in pages
by them). The stand-in then serves the changed customers in pages of 250 with ``Link`` paging;
the measured run fetches, maps, matches and upserts them end to end. A second run over the
same, now unchanged, records shows that an unchanged record costs no write.

The shop (tests/bench/shop_standin.py) is a Shopify Plus shop (a bucket of 400 requests leaking
20 a second, as Shopify documents its REST Admin API limits), and the source is configured
with that leak rate: the run's 40 pages and the second run's 40 never come near the bucket's
top, so what is measured is our code, while the pacing stays on as it is in production. It
pages from an index built once, where the tests' stand-in sorts all 10,000 records on every
request (≈ 30 ms a page, on the clock of the run it serves).
"""

from __future__ import annotations

import csv
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from frontline.customers.models import Customer, CustomerIdentity
from frontline.sync import engine
from frontline.sync.connectors.file_drop import inbox_of
from frontline.sync.models import Cursor, Source
from tests.bench.datasets import OwnData
from tests.bench.harness import Report
from tests.bench.shop_standin import (
    PLUS_LEAK_PER_SECOND,
    PLUS_PLAN,
    UnloggedHTTPServer,
    plus_shop,
    shop_id,
)
from tests.bench.sync_support import BENCH_VAR, fresh_sync_root, reset_tables
from tests.sync import generate

DATA = OwnData("its own: it empties what a sync writes, then loads customers by file drop")

SCALES = {"full": (1_000_000, 10_000), "small": (20_000, 500)}
START = {"updated_at_min": "2026-11-01T00:00:00Z"}


def shop_customers_input(customers: int) -> Path:
    """The generated customers with their shop ids as external ids (kept under var/bench/sync)."""
    folder = BENCH_VAR / f"shop-customers-{customers}"
    folder.mkdir(parents=True, exist_ok=True)
    customers_file = folder / "customers-shop.csv"
    if not customers_file.exists():
        part = customers_file.with_suffix(".part")
        with part.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(generate.CUSTOMER_COLUMNS)
            for n in range(customers):
                writer.writerow([str(shop_id(n)), *generate.customer_row(n)[1:]])
        part.rename(customers_file)
    return customers_file


def load_customers(customers: int) -> None:
    """Every customer, with an e-commerce identity, through the file drop (not measured)."""
    seed = Source.objects.create(
        name="bench-shop-seed", kind="file_drop", record_source="ecommerce"
    )
    customers_file = shop_customers_input(customers)
    inbox = inbox_of(seed.name)
    inbox.mkdir(parents=True, exist_ok=True)
    os.link(customers_file, inbox / customers_file.name)
    run = engine.run_sync(source=seed, entity="customers")
    if run.status != "succeeded" or run.created != customers:
        raise RuntimeError(f"loading customers failed: {run.status} {run.error}")


def stamp(second: int) -> str:
    """Distinct, ordered update times on 2 November, one a second."""
    hours, rest = divmod(second, 3600)
    return f"2026-11-02T{hours % 24:02d}:{rest // 60:02d}:{rest % 60:02d}Z"


def changed_customers(customers: int, changed: int) -> list[dict[str, Any]]:
    step = customers // changed
    # A new version on every run, so that the records differ from whatever is stored.
    version = int(time.time())
    records = []
    for index, n in enumerate(range(0, customers, step)[:changed]):
        row = dict(
            zip(generate.CUSTOMER_COLUMNS, generate.customer_row(n, version=version), strict=True)
        )
        records.append(
            {
                "id": shop_id(n),
                "email": row["email"],
                "first_name": row["first_name"],
                "last_name": row["last_name"],
                "phone": row["phone"],
                "updated_at": stamp(index),
                "default_address": {"zip": row["postcode"], "country_code": row["country"]},
            }
        )
    return records


def timed_run(source: Source) -> tuple[float, Any]:
    Cursor.objects.update_or_create(source=source, entity="customers", defaults={"value": START})
    started = time.perf_counter()
    run = engine.run_sync(source=source, entity="customers")
    return time.perf_counter() - started, run


def run(options: Any) -> Report:
    customers, changed = SCALES[options.scale]
    fresh_sync_root("root-incremental")
    loaded = (
        Customer.objects.count() == customers
        and CustomerIdentity.objects.filter(source="ecommerce").count() == customers
        # Loaded with shop ids (an older load keyed them otherwise).
        and CustomerIdentity.objects.filter(
            source="ecommerce", external_id=str(shop_id(0))
        ).exists()
    )
    if not (loaded and os.environ.get("BENCH_SYNC_REUSE")):
        # BENCH_SYNC_REUSE=1 keeps the customers of the previous run (same deterministic
        # input): only the measured part is then run again.
        reset_tables()
        Source.objects.filter(name__startswith="bench-shop").delete()
        load_customers(customers)
    Source.objects.filter(name="bench-shop").delete()

    server = UnloggedHTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        shop = plus_shop(server, "bench-token")
        shop.records["customers"] = changed_customers(customers, changed)
        os.environ["BENCH_SHOP_TOKEN"] = "bench-token"
        source = Source.objects.create(
            name="bench-shop",
            kind="shopify",
            record_source="ecommerce",
            base_url=shop.base_url,
            credentials_env="BENCH_SHOP",
            options={"api_leak_per_second": PLUS_LEAK_PER_SECOND},
        )
        seconds, first = timed_run(source)
        before_second = datetime.now(UTC)
        again_seconds, second = timed_run(source)
    finally:
        server.stop()
    for label, outcome in (("changed", first), ("unchanged", second)):
        if outcome.status != "succeeded":
            raise RuntimeError(f"{label} run failed: {outcome.error}")
    written = (
        Customer.objects.filter(updated_at__gte=before_second).count()
        + CustomerIdentity.objects.filter(last_synced_at__gte=before_second).count()
    )
    return Report(
        name="sync_incremental",
        params={
            "customers": customers,
            "changed": changed,
            "page_size": 250,
            "shop_plan": PLUS_PLAN,
            "scale": options.scale,
        },
        results={
            "seconds": round(seconds, 2),
            "changed_per_s": round(changed / seconds),
            "updated": first.updated,
            "pages": first.pages,
            "unchanged_run_seconds": round(again_seconds, 2),
            "unchanged_rows_written": written,
        },
        budget={"seconds": {"max": 5}, "unchanged_rows_written": {"max": 0}},
    )
