from __future__ import annotations

import time

import pytest

from frontline.customers.models import Customer, CustomerIdentity
from frontline.orders.models import Order
from frontline.sync import engine
from frontline.sync.models import Cursor, QuarantinedRecord, Source
from tests.factories import StoreFactory
from tests.sync.standins import Fault, ShopifyStandIn, shopify_customer, shopify_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(httpserver, monkeypatch) -> ShopifyStandIn:
    monkeypatch.setenv("SHOP_TEST_TOKEN", "shpat_test")
    return ShopifyStandIn(httpserver)


@pytest.fixture
def source(shop) -> Source:
    return Source.objects.create(
        name="shop",
        kind="shopify",
        record_source="ecommerce",
        base_url=shop.base_url,
        credentials_env="SHOP_TEST",
        options={"locations": {"501": "store-1"}},
    )


def sync(source: Source, entity: str = "customers"):
    return engine.run_sync(source=source, entity=entity)


def test_customers_are_read_page_by_page_following_the_link_header(shop, source, monkeypatch):
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 2)
    shop.records["customers"] = [shopify_customer(n, f"2026-11-01T10:00:0{n}Z") for n in range(5)]

    run = sync(source)

    assert (run.status, run.pages, run.created) == ("succeeded", 3, 5)
    assert Cursor.objects.get(source=source).value == {"updated_at_min": "2026-11-01T10:00:04Z"}
    shopper = CustomerIdentity.objects.get(source="ecommerce", external_id="7003").customer
    assert (shopper.email, shopper.phone, shopper.postcode) == (
        "shopper3@example.com",
        "+447700800003",
        "E1 6AN",
    )


def test_the_next_run_asks_only_for_what_changed_and_unchanged_records_cost_no_write(shop, source):
    shop.records["customers"] = [shopify_customer(n) for n in range(3)]
    sync(source)
    stamps = dict(Customer.objects.values_list("id", "updated_at"))
    shop.records["customers"][1] = shopify_customer(1, "2026-11-02T09:00:00Z", last_name="Smith")

    run = sync(source)

    assert "updated_at_min=2026-11-01T10%3A00%3A00Z" in shop.hits[-1]
    # updated_at_min is inclusive: the two records at the old cursor come again, unchanged.
    assert (run.created, run.updated, run.unchanged) == (0, 1, 2)
    changed = Customer.objects.get(last_name="Smith")
    assert all(
        stamp == stamps[id_]
        for id_, stamp in Customer.objects.exclude(pk=changed.pk).values_list("id", "updated_at")
    )


def test_429_with_retry_after_is_waited_out_and_5xx_and_timeouts_are_retried(
    shop, source, settings
):
    settings.SYNC_HTTP_TIMEOUT = 0.5
    shop.records["customers"] = [shopify_customer(1)]
    shop.inject(Fault(lambda request: True, status=429, headers={"Retry-After": "1"}))
    shop.inject(Fault(lambda request: True, status=503, times=2))
    shop.inject(Fault(lambda request: True, delay=1.0))

    started = time.monotonic()
    run = sync(source)

    assert (run.status, run.created) == ("succeeded", 1)
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert len(shop.hits) >= 5  # 429, 503, 503, the stalled one, then the answer


def test_a_page_that_keeps_failing_fails_the_run_and_the_next_run_resumes_from_the_cursor(
    shop, source, settings, monkeypatch
):
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 2)
    settings.SYNC_HTTP_ATTEMPTS = 2
    shop.records["customers"] = [shopify_customer(n, f"2026-11-01T10:00:0{n}Z") for n in range(5)]
    second_page = shop.inject(Fault(lambda request: "page_info" in request.args, times=2))

    failed = sync(source)

    assert (failed.status, failed.created, failed.pages) == ("failed", 2, 1)
    assert "500" in failed.error
    assert second_page.times == 0
    resumed = sync(source)
    assert "updated_at_min=2026-11-01T10%3A00%3A01Z" in shop.hits[len(shop.hits) - 2]
    assert (resumed.status, resumed.created, resumed.unchanged) == ("succeeded", 3, 1)
    assert Customer.objects.count() == 5


def test_malformed_records_are_quarantined_and_the_rest_of_the_page_lands(shop, source):
    shop.records["customers"] = [
        shopify_customer(1),
        shopify_customer(2, email="nope"),
        shopify_customer(3, phone="12"),
    ]

    run = sync(source)

    assert (run.created, run.quarantined) == (1, 2)
    assert set(QuarantinedRecord.objects.values_list("external_id", "reason")) == {
        ("7002", "e-mail 'nope' is not valid"),
        ("7003", "phone '12' is not valid"),
    }


def test_orders_and_products_map_to_frontline(shop, source):
    StoreFactory(code="store-1")
    shop.records["customers"] = [shopify_customer(1)]
    shop.records["products"] = [
        shopify_product(
            {
                "id": 111,
                "sku": "LS-S",
                "option1": "S",
                "option2": "White",
                "price": "49.00",
                "barcode": None,
            },
            {
                "id": 112,
                "sku": "LS-M",
                "option1": "M",
                "option2": "White",
                "price": "49.00",
                "barcode": None,
            },
        )
    ]
    shop.records["orders"] = [
        {
            "id": 9001,
            "name": "#1001",
            "customer": {"id": 7001},
            "created_at": "2026-11-01T11:00:00Z",
            "updated_at": "2026-11-01T11:00:00Z",
            "currency": "GBP",
            "total_price": "98.00",
            "location_id": 501,
            "line_items": [
                {"sku": "LS-S", "title": "Linen shirt", "quantity": 2, "price": "49.00"}
            ],
        }
    ]

    for entity in ("customers", "products", "orders"):
        assert sync(source, entity).status == "succeeded"

    order = Order.objects.get(source="ecommerce", external_id="9001")
    assert (order.number, order.channel, order.store.code, order.customer.email) == (
        "#1001",
        "store",
        "store-1",
        "shopper1@example.com",
    )
    assert order.lines.get().variant.product.name == "Linen shirt"


def test_a_missing_token_fails_the_run_with_a_clear_error(shop, source, monkeypatch):
    monkeypatch.delenv("SHOP_TEST_TOKEN")
    run = sync(source)
    assert run.status == "failed"
    assert run.error == "ImproperlyConfigured: environment variable SHOP_TEST_TOKEN is not set"
