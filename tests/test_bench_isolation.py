"""Any benchmark runs after any other: the data it needs is reused, prepared, or named missing.

The case that broke: ``sync_full`` empties the customers and orders and leaves its own import
behind, as many customers as the demo data has; the benchmarks run next took those for the
demo's and crashed. Here the sync benchmark's leftovers have exactly as many customers as the
demo data, so a benchmark that only counted customers would be fooled, and the benchmarks are
then run through the harness as ``python -m tests.bench --only <name>`` runs them, at a scale
shrunk to a few hundred customers so that each pair takes seconds.
"""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from frontline.customers.models import Customer
from frontline.orders.models import Order
from frontline.sync import engine
from frontline.sync.connectors.file_drop import inbox_of
from frontline.sync.models import Source
from tests.bench import bench_actions_on_demand, bench_recommendations
from tests.bench.__main__ import declared_data, discover, run_benchmark
from tests.bench.actions_data import bench_staff
from tests.bench.bench_sync_full import SOURCE_NAME
from tests.bench.customer_data import heavy_customer
from tests.bench.datasets import (
    DEMO,
    DEMO_CUSTOMERS,
    DEMO_OPTIONS,
    RECORD_TABLE,
    DataNotReady,
    ensure,
)
from tests.bench.sync_support import reset_tables
from tests.sync import generate

CUSTOMERS = 300  # the demo's and the sync leftovers' alike
# Each benchmark's samples at the "small" scale, cut down: the run is exercised, not measured.
SAMPLES = [
    (bench_actions_on_demand.SAMPLES, 30),
    (bench_recommendations.SERVING_SAMPLES, 20),
]
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="the benchmarks and their data run on PostgreSQL only (seed_demo's fast path, "
    "TRUNCATE, table files); CI's PostgreSQL pass runs these",
)


def test_every_benchmark_declares_the_data_it_needs():
    for name in discover():
        data = declared_data(importlib.import_module(f"tests.bench.bench_{name}"))
        assert data.describe("small"), name
        assert callable(data.missing) and callable(data.prepare), name


def options(*, prepare: bool = True) -> argparse.Namespace:
    return argparse.Namespace(scale="small", no_prepare=not prepare, prepare_only=False)


@pytest.fixture
def tiny_scale(monkeypatch: pytest.MonkeyPatch, settings, tmp_path: Path) -> Iterator[None]:
    """The "small" scale shrunk to seconds: a few hundred customers, a few dozen samples."""
    monkeypatch.setitem(DEMO_CUSTOMERS, "small", CUSTOMERS)
    monkeypatch.setitem(DEMO_OPTIONS, "products", 60)
    for per_scale, samples in SAMPLES:
        monkeypatch.setitem(per_scale, "small", samples)
    settings.SYNC_ROOT = tmp_path / "sync"
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {RECORD_TABLE}")


def leave_sync_data_behind() -> None:
    """What sync_full leaves: its clean slate, then a file-drop import of customers and orders."""
    reset_tables()
    source = Source.objects.create(name=SOURCE_NAME, kind="file_drop", record_source="erp")
    inbox = inbox_of(source.name)
    inbox.mkdir(parents=True)
    generate.write_customers(inbox / "customers-bench.csv", CUSTOMERS)
    generate.write_orders(inbox / "orders-bench.csv", CUSTOMERS * 5, customers=CUSTOMERS)
    for entity in ("customers", "orders"):
        run = engine.run_sync(source=source, entity=entity)
        assert run.status == "succeeded", run.error
    # As many customers as the demo data: counting customers cannot tell the two apart.
    assert Customer.objects.count() == CUSTOMERS


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("benchmark", ["actions_on_demand", "recommendations"])
def test_a_benchmark_run_after_sync_full_prepares_the_demo_data_and_runs(
    benchmark, tiny_scale, tmp_path
):
    leave_sync_data_behind()

    run_benchmark(benchmark, options(), reports=tmp_path)

    report = json.loads((tmp_path / f"{benchmark}.json").read_text())
    assert report["results"], report
    assert report["params"]["data"]["how"].startswith("prepared in ")
    assert not Source.objects.filter(name=SOURCE_NAME).exists()  # the sync's data went


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_without_preparing_a_benchmark_says_what_is_missing_and_how_to_prepare_it(
    tiny_scale, tmp_path, capsys
):
    ensure(DEMO, benchmark="actions_on_demand", scale="small", prepare=True)
    leave_sync_data_behind()

    assert run_benchmark("recommendations", options(prepare=False), reports=tmp_path) is False

    err = capsys.readouterr().err
    assert "recommendations: not run: it needs the demo data (seed_demo: 300 customers" in err
    assert "customers_customer was emptied or rewritten since (TRUNCATE" in err
    assert "python -m tests.bench --only recommendations --scale small --prepare-only" in err
    assert "Traceback" not in err
    assert not (tmp_path / "recommendations.json").exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_demo_data_is_reused_with_what_benchmarks_add_but_not_once_it_changed(tiny_scale):
    assert ensure(DEMO, benchmark="x", scale="small", prepare=True).prepare_seconds is not None
    heavy_customer()  # what the profile benchmarks add: rows after the prepared ids
    bench_staff()
    assert ensure(DEMO, benchmark="x", scale="small", prepare=False).prepare_seconds is None

    Order.objects.filter(pk__in=Order.objects.order_by("pk").values("pk")[:3]).delete()
    with pytest.raises(DataNotReady, match="orders_order holds"):
        ensure(DEMO, benchmark="x", scale="small", prepare=False)

    # Emptied and refilled with the very same rows: only the table's new file tells.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE kept AS SELECT * FROM customers_consent")
        cursor.execute("TRUNCATE customers_consent")
        cursor.execute("INSERT INTO customers_consent SELECT * FROM kept")
    with pytest.raises(DataNotReady, match="customers_consent was emptied or rewritten"):
        ensure(DEMO, benchmark="x", scale="small", prepare=False)
