"""A real Celery worker killed with SIGKILL in the middle of a Shopify customers listing.

The shop pages by id while the newest changes are on its first pages; the worker dies with
pages landed and the listing's position in the cursor. The next worker resumes from the stored
page link and the tables end as the shop's records: nothing lost, nothing doubled.
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from frontline.customers.models import Customer, CustomerIdentity
from frontline.sync.models import Cursor, Lease, Run
from frontline.sync.tasks import run_sync_task
from tests.sync.standins import Fault, ShopifyStandIn, shopify_customer, shopify_source
from tests.sync.test_worker_crash import start_worker, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a worker process needs a database it can share with the test: PostgreSQL",
    ),
]

# Ten pages of the connector's 250: slowed down below so that the kill lands mid-listing.
CUSTOMERS = 2500


def test_a_worker_killed_mid_listing_resumes_from_the_stored_page_and_loses_nothing(
    tmp_path, httpserver, monkeypatch
):
    monkeypatch.setenv("SHOP_TEST_TOKEN", "shpat_test")
    shop = ShopifyStandIn(httpserver)
    shop.records["customers"] = [
        shopify_customer(n, f"2026-11-{28 - n * 27 // CUSTOMERS:02d}T10:00:00Z")
        for n in range(CUSTOMERS)
    ]
    # Each page after the first takes a moment, as a real shop's do.
    shop.inject(Fault(lambda request: "page_info" in request.args, times=10**6, delay=0.3))
    source = shopify_source(shop, "SHOP_TEST")
    queue = f"shop-crash-{uuid.uuid4().hex[:8]}"
    workers = [start_worker(tmp_path, queue, str(1 << 40))]
    try:
        run_sync_task.apply_async((source.pk, "customers"), queue=queue)
        killed_run = wait_for(
            lambda: Run.objects.filter(entity="customers", status="running", pages__gte=3).first(),
            every=0.01,
        )
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)
        position = Cursor.objects.get(source=source, entity="customers").value
        assert "page_info=" in position["listing"]["next"]
        # While the worker is down a customer already read changes.
        shop.change("customers", 7000, last_name="Changed-while-down")

        workers.append(start_worker(tmp_path, queue, str(1 << 40)))

        def rerun_succeeded() -> bool:
            if Run.objects.filter(entity="customers", status="succeeded").count() >= 2:
                return True
            if not Run.objects.filter(entity="customers", status="running").exclude(
                pk=killed_run.pk
            ):
                run_sync_task.apply_async((source.pk, "customers"), queue=queue)
                time.sleep(1)
            return False

        # The resumed run, then one more that catches up on what changed meanwhile.
        wait_for(rerun_succeeded, every=0.5)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=20)

    killed_run.refresh_from_db()
    assert (killed_run.status, killed_run.error) == ("failed", "worker lost")
    resumed = Run.objects.filter(entity="customers", status="succeeded").order_by("pk").first()
    assert resumed.created == CUSTOMERS - killed_run.created  # from the next page, not page 1
    assert Customer.objects.count() == CustomerIdentity.objects.count() == CUSTOMERS
    landed = dict(CustomerIdentity.objects.values_list("external_id", "customer__last_name"))
    assert landed == {str(r["id"]): r["last_name"] for r in shop.records["customers"]}
    assert not Lease.objects.exclude(holder="").exists()
