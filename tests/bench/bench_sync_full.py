"""Full import from the file drop: customers then orders, by a real Celery worker.

Measured in the same run: the import (sum of the two runs' durations as recorded on the runs),
the worker's peak RSS, the physical floor (a raw client-side COPY of the same files into bare
tables without indexes) and the ratio to it, and a naive per-row ``update_or_create`` on a
20,000-customer sample (its rate, and how much faster the bulk path is per record).
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from frontline.customers.models import Customer, CustomerIdentity
from frontline.sync.connectors.file_drop import FileDropConnector, inbox_of
from frontline.sync.models import QuarantinedRecord, Run, Source
from frontline.sync.tasks import run_sync_task
from tests.bench.datasets import OwnData
from tests.bench.harness import Report, peak_rss_mb
from tests.bench.sync_support import (
    BENCH_VAR,
    fresh_sync_root,
    reset_tables,
    start_worker,
    unique_queue,
    wait_until,
)
from tests.sync import generate

# What it leaves behind (file-drop customers and orders, no demo) is what the next benchmark
# finds: the harness's fingerprint of the demo data tells the two apart.
DATA = OwnData("its own: it empties what a sync writes and imports its generated files")

SCALES = {"full": (1_000_000, 5_000_000), "small": (20_000, 100_000)}
NAIVE_SAMPLES = {"full": 20_000, "small": 2_000}
SOURCE_NAME = "bench-erp"


def customers_input(customers: int) -> Path:
    """Generated once per size and kept under var/bench/sync (deterministic content)."""
    folder = BENCH_VAR / f"customers-{customers}"
    folder.mkdir(parents=True, exist_ok=True)
    customers_file = folder / "customers-bench.csv"
    if not customers_file.exists():
        generate.write_customers(customers_file.with_suffix(".part"), customers)
        customers_file.with_suffix(".part").rename(customers_file)
    return customers_file


def input_files(customers: int, lines: int) -> tuple[Path, Path]:
    customers_file = customers_input(customers)
    folder = BENCH_VAR / f"orders-{customers}-{lines}"
    folder.mkdir(parents=True, exist_ok=True)
    orders_file = folder / "orders-bench.csv"
    if not orders_file.exists():
        generate.write_orders(orders_file.with_suffix(".part"), lines, customers=customers)
        orders_file.with_suffix(".part").rename(orders_file)
    return customers_file, orders_file


def copy_floor(files: list[Path]) -> float:
    """Seconds to COPY the files as they are into bare, index-free text tables."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for number, path in enumerate(files):
            with path.open() as handle:
                header = next(csv.reader([handle.readline()]))
            table = f"bench_floor_{number}"
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {table} ({', '.join(f'{c} text' for c in header)})")
            with (
                path.open("rb") as handle,
                cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        for number in range(len(files)):
            cursor.execute(f"DROP TABLE IF EXISTS bench_floor_{number}")
    return elapsed


def naive_rate(customers_file: Path, source: Source, sample: int) -> float:
    """Rows a second of the textbook loop: update_or_create per customer and identity.

    All in one transaction, as the engine's pages are, so that the figure is the per-row
    round trips and not the disk's commit latency.
    """
    connector = FileDropConnector(source)
    with customers_file.open(newline="") as handle:
        rows = [row for _, row in zip(range(sample), csv.DictReader(handle), strict=False)]
    started = time.perf_counter()
    with transaction.atomic():
        for row in rows:
            record = connector.map_customers(row)
            customer, _ = Customer.objects.update_or_create(
                number=record["number"],
                defaults={k: record[k] for k in generate.CUSTOMER_COLUMNS[2:]},
            )
            CustomerIdentity.objects.update_or_create(
                source=source.record_source,
                external_id=record["external_id"],
                defaults={"customer": customer, "email": record["email"], "phone": record["phone"]},
            )
    return len(rows) / (time.perf_counter() - started)


def fresh_source() -> Source:
    """The benchmark's file-drop source, with an empty sync root and empty tables."""
    fresh_sync_root("root")
    reset_tables()
    source, _ = Source.objects.get_or_create(
        name=SOURCE_NAME, defaults={"kind": "file_drop", "record_source": "erp"}
    )
    return source


def drop_into_inbox(files: list[Path]) -> None:
    inbox = inbox_of(SOURCE_NAME)
    inbox.mkdir(parents=True, exist_ok=True)
    for path in files:
        os.link(path, inbox / path.name)  # the archive move then leaves the cached input alone


def run(options: Any) -> Report:
    customers, lines = SCALES[options.scale]
    customers_file, orders_file = input_files(customers, lines)
    source = fresh_source()
    naive_per_s = naive_rate(customers_file, source, NAIVE_SAMPLES[options.scale])
    reset_tables()
    floor_seconds = copy_floor([customers_file, orders_file])

    drop_into_inbox([customers_file, orders_file])
    queue = unique_queue("sync-full")
    worker = start_worker(
        queue,
        settings.SYNC_ROOT.parent / f"worker-full-{connection.settings_dict['NAME']}.log",
        SYNC_PAGE_SIZE=os.environ.get("SYNC_PAGE_SIZE", "5000"),
    )
    try:
        for entity in ("customers", "orders"):
            run_sync_task.apply_async((source.pk, entity), queue=queue)
            wait_until(
                lambda entity=entity: Run.objects.filter(
                    entity=entity, status__in=["succeeded", "failed"]
                ).exists(),
                timeout=1800,
            )
        rss = peak_rss_mb(__import__("psutil").Process(worker.pid))
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    runs = {run.entity: run for run in Run.objects.filter(source=source)}
    failed = [f"{r.entity}: {r.error}" for r in runs.values() if r.status != "succeeded"]
    if failed:
        raise RuntimeError(f"sync failed: {failed}")
    durations = {e: (r.finished_at - r.started_at).total_seconds() for e, r in runs.items()}
    seconds = sum(durations.values())
    records = customers + lines // 5
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders_orderline")
        landed_lines = cursor.fetchone()[0]
    return Report(
        name="sync_full",
        params={
            "customers": customers,
            "order_lines": lines,
            "orders": lines // 5,
            "page_size": int(os.environ.get("SYNC_PAGE_SIZE", "5000")),
            "scale": options.scale,
        },
        results={
            "seconds": round(seconds, 1),
            "customers_seconds": round(durations["customers"], 1),
            "orders_seconds": round(durations["orders"], 1),
            "peak_rss_mb": rss,
            "copy_floor_seconds": round(floor_seconds, 1),
            "ratio_to_copy_floor": round(seconds / floor_seconds, 2),
            "records_per_s": round(records / seconds),
            "landed_order_lines": landed_lines,
            "quarantined": QuarantinedRecord.objects.count(),
            "speedup_vs_naive": round((records / seconds) / naive_per_s, 1),
        },
        baseline={
            "label": f"update_or_create per row, {NAIVE_SAMPLES[options.scale]} customers",
            "rows_per_s": round(naive_per_s),
        },
        budget={"seconds": {"max": 90}, "peak_rss_mb": {"max": 300}},
        notes="ratio_to_copy_floor aims at <= 4 (issue 5); records = customers + orders.",
    )
