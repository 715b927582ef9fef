"""A customers listing killed at every page boundary, resumed: nothing lost, nothing doubled.

The shop pages by id while the newest changes sit on the first pages, so a cursor taken from
the records seen would skip the rest. Between the kill and the rerun the shop changes records
on pages already read and on pages still to come, and gains a customer; and the page link
the killed run left may have expired by then.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from frontline.customers.models import Customer, CustomerIdentity
from frontline.sync import engine
from frontline.sync.models import Cursor, Lease, Run
from tests.sync.standins import ShopifyStandIn, shopify_customer, shopify_source

pytestmark = pytest.mark.django_db

CUSTOMERS, PAGE_LIMIT = 12, 3
PAGES = CUSTOMERS // PAGE_LIMIT


class WorkerKilled(BaseException):
    """Not an Exception: like SIGKILL, the engine gets no chance to record the failure."""


@pytest.fixture
def shop(httpserver, monkeypatch) -> ShopifyStandIn:
    monkeypatch.setenv("SHOP_TEST_TOKEN", "shpat_test")
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", PAGE_LIMIT)
    shop = ShopifyStandIn(httpserver)
    # Newest first in id order: the first page holds the most recent changes.
    shop.records["customers"] = [
        shopify_customer(n, f"2026-11-{28 - n:02d}T10:00:00Z") for n in range(CUSTOMERS)
    ]
    return shop


def kill_after(monkeypatch, pages: int) -> None:
    """The worker dies once ``pages`` pages have landed, before the next one lands."""
    land_page = engine._land_page
    landed = 0

    def land_or_die(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal landed
        if landed == pages:
            raise WorkerKilled
        landing = land_page(*args, **kwargs)
        landed += 1
        return landing

    monkeypatch.setattr(engine, "_land_page", land_or_die)


def tables() -> dict[str, tuple[str, str, str, str]]:
    return {
        identity.external_id: (
            identity.customer.first_name,
            identity.customer.last_name,
            identity.customer.email,
            identity.customer.phone,
        )
        for identity in CustomerIdentity.objects.select_related("customer")
    }


def source_of_truth(shop: ShopifyStandIn) -> dict[str, tuple[str, str, str, str]]:
    return {
        str(record["id"]): (
            record["first_name"],
            record["last_name"],
            record["email"],
            record["phone"],
        )
        for record in shop.records["customers"]
    }


@pytest.mark.parametrize("links_expire", [False, True], ids=["link-kept", "link-expired"])
@pytest.mark.parametrize("landed", range(PAGES), ids=lambda n: f"killed-after-{n}-pages")
def test_a_listing_killed_at_a_page_boundary_and_rerun_loses_and_doubles_nothing(
    shop, monkeypatch, landed, links_expire
):
    source = shopify_source(shop, "SHOP_TEST")
    with monkeypatch.context() as patched:
        kill_after(patched, landed)
        with pytest.raises(WorkerKilled):
            engine.run_sync(source=source, entity="customers")
    assert Customer.objects.count() == landed * PAGE_LIMIT
    # While the worker is down the shop moves on: a record on a page already read and one on
    # a page still to come change, and a customer signs up (the highest id: the last page).
    shop.change("customers", 7000, last_name="Read-then-changed")
    shop.change("customers", 7000 + CUSTOMERS - 1, last_name="Changed-before-read")
    shop.records["customers"].append(shopify_customer(CUSTOMERS))
    shop.change("customers", 7000 + CUSTOMERS)  # created now
    if links_expire:
        shop.expire_page_links()  # the stored link is refused: the listing starts again
    # The killed worker's lease runs out.
    Lease.objects.update(expires_at=timezone.now())

    resumed = engine.run_sync(source=source, entity="customers")
    caught_up = engine.run_sync(source=source, entity="customers")

    assert (resumed.status, caught_up.status) == ("succeeded", "succeeded")
    assert Run.objects.get(pk=resumed.pk - 1).error == "worker lost"
    assert tables() == source_of_truth(shop)
    assert Customer.objects.count() == CustomerIdentity.objects.count() == CUSTOMERS + 1
    assert set(Cursor.objects.get(source=source, entity="customers").value) == {"updated_at_min"}
