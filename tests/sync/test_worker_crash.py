"""A real Celery worker killed with SIGKILL in the middle of a run loses and doubles nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from frontline.customers.models import Customer
from frontline.sync import engine
from frontline.sync.connectors.file_drop import inbox_of
from frontline.sync.models import Cursor, Lease, ProcessedFile, Run, Source
from frontline.sync.tasks import run_sync_task
from tests import conftest as shared
from tests.sync import generate
from tests.sync.catalog import schema_of

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a worker process needs a database it can share with the test: PostgreSQL",
    ),
]

CHECKSUM_SQL = """
SELECT md5(string_agg(row_text, '|' ORDER BY row_text)) FROM (
  SELECT concat_ws(',', number, first_name, last_name, email, phone, postcode, country, tier,
                   lifetime_value, order_count, first_purchase_at, last_purchase_at) AS row_text
  FROM customers_customer
  UNION ALL
  SELECT concat_ws(',', i.source, i.external_id, c.number, i.email, i.phone)
  FROM customers_customeridentity i JOIN customers_customer c ON c.id = i.customer_id
  UNION ALL
  SELECT concat_ws(',', o.source, o.external_id, o.number, c.number, o.channel, o.placed_at,
                   o.total, (SELECT string_agg(concat_ws(':', l.sku, l.quantity, l.unit_price),
                                               ';' ORDER BY l.id)
                             FROM orders_orderline l WHERE l.order_id = o.id))
  FROM orders_order o LEFT JOIN customers_customer c ON c.id = o.customer_id
) everything
"""


def checksum() -> tuple[str, int, int]:
    with connection.cursor() as cursor:
        cursor.execute(CHECKSUM_SQL)
        digest = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM orders_orderline")
        lines = cursor.fetchone()[0]
    return digest, Customer.objects.count(), lines


def drop_files(source: Source) -> None:
    inbox = inbox_of(source.name)
    inbox.mkdir(parents=True, exist_ok=True)
    generate.write_customers(inbox / "customers-1.csv", 3000)
    generate.write_orders(inbox / "orders-1.csv", 30000, customers=3000)


def start_worker(tmp_path: Path, queue: str, fast_path_min_bytes: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        **shared.database_url_for_subprocesses(),
        "REDIS_URL": settings.REDIS_URL,
        "SYNC_ROOT": str(settings.SYNC_ROOT),
        "SYNC_PAGE_SIZE": "100",
        "SYNC_LEASE_SECONDS": "2",
        "SYNC_FAST_PATH_MIN_BYTES": fast_path_min_bytes,
        # Loads into empty tables drop and rebuild their indexes and foreign keys (bulk_load),
        # so that a kill can land in the middle of that too.
        "SYNC_BULK_REBUILD_MIN_ROWS": "0",
    }
    log = (tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log").open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clienteling",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=shared.REPO,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, timeout: float = 120, every: float = 0.05):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError("condition not met in time")


def reset_sync_state() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE orders_orderline, orders_order, customers_customeridentity, "
            "customers_customer, sync_run, sync_cursor, sync_processedfile, sync_lease, "
            "sync_quarantinedrecord CASCADE"
        )


def orders_run_has_landed_pages() -> Run | None:
    return Run.objects.filter(entity="orders", status="running", pages__gte=3).first()


def orders_run_is_inside_the_fast_path() -> Run | None:
    """The worker's connection is busy with the fast path's work tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%%fd\\_%%'"
        )
        busy = cursor.fetchone()
    return Run.objects.filter(entity="orders", status="running").first() if busy else None


@pytest.mark.parametrize(
    ("fast_path_min_bytes", "mid_run"),
    [
        # Page by page: killed after some pages landed, the rerun resumes after them.
        (str(1 << 40), orders_run_has_landed_pages),
        # The PostgreSQL fast path lands the whole file in one transaction: killed inside it.
        ("0", orders_run_is_inside_the_fast_path),
    ],
    ids=["page-by-page", "fast-path"],
)
def test_a_worker_killed_mid_run_leaves_the_same_database_as_a_clean_run(
    tmp_path, fast_path_min_bytes, mid_run
):
    schema = schema_of()
    source = Source.objects.create(name="erp-crash", kind="file_drop", record_source="erp")
    queue = f"crash-test-{uuid.uuid4().hex[:8]}"
    workers = [start_worker(tmp_path, queue, fast_path_min_bytes)]
    try:
        drop_files(source)
        run_sync_task.apply_async((source.pk, "customers"), queue=queue)
        wait_for(lambda: Run.objects.filter(entity="customers", status="succeeded").exists())
        run_sync_task.apply_async((source.pk, "orders"), queue=queue)
        killed_run = wait_for(mid_run, every=0.01)
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)
        assert ProcessedFile.objects.get(entity="orders").finished_at is None

        workers.append(start_worker(tmp_path, queue, fast_path_min_bytes))

        # The killed run's lease expires after SYNC_LEASE_SECONDS; until then a rerun is skipped.
        def rerun_succeeded() -> bool:
            if Run.objects.filter(entity="orders", status="succeeded").exists():
                return True
            if (
                not Run.objects.filter(entity="orders", status__in=["running"])
                .exclude(pk=killed_run.pk)
                .exists()
            ):
                run_sync_task.apply_async((source.pk, "orders"), queue=queue)
                time.sleep(1)
            return False

        wait_for(rerun_succeeded, every=0.5)
        killed_run.refresh_from_db()
        assert (killed_run.status, killed_run.error) == ("failed", "worker lost")
        after_crash = checksum()
        assert schema_of() == schema
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=20)

    reset_sync_state()
    drop_files(source)
    for entity in ("customers", "orders"):
        assert engine.run_sync(source=source, entity=entity).status == "succeeded"
    clean = checksum()

    assert after_crash == clean
    assert clean[1:] == (3000, 30000)
    assert not Lease.objects.exclude(holder="").exists()
    assert Cursor.objects.filter(entity="orders").exists()
