"""seed_demo at scale: ``manage.py seed_demo --customers N`` into a freshly recreated database.

Measures the wall time and the peak resident memory of the seeding process (a subprocess, as
an operator runs it) and the rows per second it wrote per table. The baseline is Django's
``bulk_create`` on a sample of the very same generated rows, extrapolated to the same row
count. ``--scale full`` is the issue's budget: 1,000,000 customers (about 5M order lines) in at
most 3 minutes and 500 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg
from psycopg import sql

from tests.bench.datasets import OwnData
from tests.bench.harness import Report

DATA = OwnData("its own: a database of its own (<benchmark database>_seed_demo), recreated")

REPO = Path(__file__).resolve().parents[2]
SCALES = {"full": 1_000_000, "small": 20_000}
BASELINE_CUSTOMERS = {"full": 5_000, "small": 2_000}
SEED = 1
REPORTED_TABLES = (
    "customers_customer",
    "orders_order",
    "orders_orderline",
    "customers_interaction",
    "customers_consent",
    "customers_customeridentity",
    "customers_customersize",
    "customers_customerpreference",
    "catalog_stocklevel",
)


def run(options: Any) -> Report:
    customers = SCALES[options.scale]
    database_url = fresh_database(os.environ["DATABASE_URL"], "seed_demo")
    environment = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    manage(["migrate", "--noinput", "-v0"], environment)
    baseline = bulk_create_baseline(BASELINE_CUSTOMERS[options.scale], environment)

    seconds, figures, output = timed_seed(customers, environment)
    counts = table_counts(database_url)
    total_rows = sum(counts.values())
    results: dict[str, float] = {
        "seconds": round(seconds, 1),
        **figures,
        "rows_per_s": round(total_rows / seconds),
    }
    for table in REPORTED_TABLES:
        results[f"{table}_rows_per_s"] = round(counts.get(table, 0) / seconds)
    baseline_rate = baseline["rows_per_s"]
    return Report(
        name="seed_demo",
        params={
            "customers": customers,
            "products": 300,
            "stores": 3,
            "workers": 2,
            "batch_size": 10_000,
            "seed": SEED,
            "rows": counts,
            "total_rows": total_rows,
        },
        results=results,
        baseline={
            "label": (
                f"Django bulk_create of {baseline['customers']:,} customers' generated rows "
                "(all tables), rate extrapolated to the same row count"
            ),
            "rows_per_s": baseline_rate,
            "seconds": round(total_rows / baseline_rate, 1),
        },
        budget={"seconds": {"max": 180}, "peak_rss_mb": {"max": 500}},
        notes="Progress of the run, last lines: " + " | ".join(output.strip().splitlines()[-4:]),
    )


def fresh_database(database_url: str, suffix: str) -> str:
    """Drop and create ``<bench database>_<suffix>``; return its URL."""
    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def manage(arguments: list[str], environment: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{completed.stderr}")
    return completed.stdout


def timed_seed(customers: int, environment: dict[str, str]) -> tuple[float, dict[str, float], str]:
    """Run seed_demo, echoing its progress; return seconds, its resource figures and output."""
    command = [
        sys.executable,
        "manage.py",
        "seed_demo",
        "--customers",
        str(customers),
        "--seed",
        str(SEED),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    tree_peak = TreeMemory(process.pid)
    tree_peak.start()
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(f"  {line}")
        sys.stdout.flush()
        lines.append(line)
    # wait4 gives this child's own resource usage (with that of the worker processes it
    # reaped), so it is not mixed up with the migrate and baseline subprocesses run before.
    # ru_maxrss is the largest single process; the sampled tree total is reported beside it.
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    tree_peak.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"seed_demo failed ({process.returncode}):\n{''.join(lines[-20:])}")
    figures = {
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "peak_tree_pss_mb": tree_peak.peak_mb,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
    }
    return seconds, figures, "".join(lines)


class TreeMemory(threading.Thread):
    """Samples the memory of a process and all its descendants, keeping the peak.

    Proportional set size (PSS): pages the forked workers share with the parent count once,
    as they use memory once; summing RSS would count them in every process.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_mb = 0.0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.25):
            try:
                root = psutil.Process(self.pid)
                processes = [root, *root.children(recursive=True)]
                total = sum(p.memory_full_info().pss for p in processes if p.is_running())
            except psutil.Error:
                continue
            self.peak_mb = max(self.peak_mb, round(total / 2**20, 1))

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def table_counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as connection:
        counts = {}
        for table in (*REPORTED_TABLES, "catalog_variant", "catalog_product"):
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            counts[table] = connection.execute(query).fetchone()[0]  # type: ignore[index]
    return counts


def bulk_create_baseline(customers: int, environment: dict[str, str]) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_seed_demo", "baseline", str(customers)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure_bulk_create(customers: int) -> dict[str, Any]:
    """Insert the generator's rows for ``customers`` customers with bulk_create, then roll back."""
    from datetime import date

    from django.db import transaction

    from frontline.demo.generate import (
        CustomerContext,
        build_catalogue,
        customer_chunks,
    )
    from frontline.demo.services import demo_logins_ensure, demo_stores_ensure, demo_world
    from frontline.demo.tables import CATALOGUE_TABLES, CUSTOMER_TABLES, STOCK_LEVEL

    with transaction.atomic():
        stores, warehouse = demo_stores_ensure(store_count=3)
        users = demo_logins_ensure(stores=stores)
        world = demo_world(
            seed=SEED, today=date.today(), stores=stores, warehouse=warehouse, users=users
        )
        catalogue = build_catalogue(world, 300)
        for table in CATALOGUE_TABLES:
            if table is not STOCK_LEVEL:
                insert_with_bulk_create(table, catalogue.rows[table])
        rows = {table: [] for table in CUSTOMER_TABLES}
        for chunk in customer_chunks(CustomerContext(world, catalogue, customers)):
            for table, chunk_rows in chunk.rows.items():
                rows[table].extend(chunk_rows)
        started = time.perf_counter()
        written = sum(insert_with_bulk_create(table, rows[table]) for table in CUSTOMER_TABLES)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"customers": customers, "rows": written, "rows_per_s": round(written / seconds)}


def insert_with_bulk_create(table: Any, rows: list[tuple[object, ...]]) -> int:
    instances = [table.model(**dict(zip(table.columns, row, strict=True))) for row in rows]
    table.model.objects.bulk_create(instances, batch_size=1000)
    return len(instances)


if __name__ == "__main__" and sys.argv[1:2] == ["baseline"]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clienteling.settings")
    import django

    django.setup()
    sys.stdout.write(json.dumps(measure_bulk_create(int(sys.argv[2]))) + "\n")
