from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from frontline.customers.models import Consent, Customer, CustomerIdentity
from frontline.orders.models import Order, OrderLine
from frontline.sync import engine
from frontline.sync.connectors import connector_for
from frontline.sync.models import Cursor, QuarantinedRecord, Source
from tests.factories import StoreFactory
from tests.sync.standins import (
    Fault,
    ShopifyStandIn,
    marketing_consent,
    shopify_customer,
    shopify_order,
    shopify_product,
    shopify_refund,
)

pytestmark = pytest.mark.django_db

MARK = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


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


def cursor_of(source: Source, entity: str = "customers") -> dict:
    return Cursor.objects.get(source=source, entity=entity).value


def listed(shop: ShopifyStandIn, resource: str = "customers") -> list[str]:
    return [hit for hit in shop.hits if f"/{resource}.json" in hit]


def test_customers_are_read_page_by_page_following_the_link_header(shop, source, monkeypatch):
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 2)
    shop.records["customers"] = [shopify_customer(n, f"2026-11-01T10:00:0{n}Z") for n in range(5)]

    run = sync(source)

    assert (run.status, run.pages, run.created) == ("succeeded", 3, 5)
    shopper = CustomerIdentity.objects.get(source="ecommerce", external_id="7003").customer
    assert (shopper.email, shopper.phone, shopper.postcode) == (
        "shopper3@example.com",
        "+447700800003",
        "E1 6AN",
    )
    # The page links carry the query: nothing but the link is sent after the first page.
    assert [hit.split("?")[1].split("&")[0] for hit in listed(shop)] == [
        "limit=2",
        "limit=2",
        "limit=2",
    ]
    assert all("page_info=" in hit for hit in listed(shop)[1:])


def test_the_high_water_mark_moves_only_once_the_listing_is_complete_to_when_it_began(
    shop, source, monkeypatch
):
    """Each page's cursor keeps the mark and the listing's position; the last one, the mark."""
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 2)
    # Pages follow ids: the newest change is on the first page.
    shop.records["customers"] = [
        shopify_customer(0, "2026-11-05T10:00:00Z"),
        *(shopify_customer(n, f"2026-11-01T10:00:0{n}Z") for n in range(1, 5)),
    ]
    before = datetime.now(UTC).replace(microsecond=0)

    cursors = [page.cursor for page in connector_for(source).pages("customers", {})]

    began = cursors[0]["listing"]["began"]
    assert MARK.fullmatch(began)
    query = {"limit": 2}
    assert cursors[:2] == [
        {
            "updated_at_min": "",
            "listing": {
                "began": began,
                "part": 0,
                "query": query,
                "next": cursor["listing"]["next"],
            },
        }
        for cursor in cursors[:2]
    ]
    assert "page_info=" in cursors[0]["listing"]["next"]
    assert cursors[2] == {"updated_at_min": began}
    # The shop's clock when the first page was answered, a few seconds back for safety.
    assert 0 <= (before - datetime.fromisoformat(began)).total_seconds() <= 10


def test_the_next_run_asks_only_for_what_changed_and_unchanged_records_cost_no_write(shop, source):
    shop.records["customers"] = [shopify_customer(n) for n in range(3)]
    sync(source)
    mark = cursor_of(source)["updated_at_min"]
    stamps = dict(Customer.objects.values_list("id", "updated_at"))
    shop.change("customers", 7001, last_name="Smith")

    run = sync(source)

    assert f"updated_at_min={mark.replace(':', '%3A')}" in listed(shop)[-1]
    assert (run.created, run.updated, run.unchanged) == (0, 1, 0)
    changed = Customer.objects.get(last_name="Smith")
    assert all(
        stamp == stamps[id_]
        for id_, stamp in Customer.objects.exclude(pk=changed.pk).values_list("id", "updated_at")
    )


def test_a_run_that_fails_part_way_resumes_with_the_page_after_the_last_that_landed(
    shop, source, settings, monkeypatch
):
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 2)
    settings.SYNC_HTTP_ATTEMPTS = 2
    # The newest change is on the first page: a mark taken from it would skip the rest.
    shop.records["customers"] = [
        shopify_customer(n, f"2026-11-0{5 - n}T10:00:00Z") for n in range(5)
    ]
    second_page = shop.inject(Fault(lambda request: "page_info" in request.args, times=2))

    failed = sync(source)

    assert (failed.status, failed.created, failed.pages) == ("failed", 2, 1)
    assert "500" in failed.error
    assert second_page.times == 0
    stored = cursor_of(source)["listing"]["next"]
    resumed = sync(source)
    assert listed(shop)[-2] == stored.removeprefix(shop.base_url)
    assert (resumed.status, resumed.created, resumed.unchanged) == ("succeeded", 3, 0)
    assert Customer.objects.count() == 5
    assert set(cursor_of(source)) == {"updated_at_min"}


def test_a_stored_page_link_the_shop_refuses_starts_the_listing_again_from_the_mark(
    shop, source, settings, monkeypatch
):
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 2)
    settings.SYNC_HTTP_ATTEMPTS = 1
    shop.records["customers"] = [shopify_customer(n) for n in range(5)]
    sync(source)
    mark = cursor_of(source)["updated_at_min"]
    for n in range(5):
        shop.change("customers", 7000 + n, last_name=f"Changed{n}")
    shop.inject(Fault(lambda request: "page_info" in request.args))
    assert sync(source).status == "failed"
    shop.expire_page_links()  # the killed run's link is refused now: 400 Invalid value

    rerun = sync(source)

    assert rerun.status == "succeeded"
    hits = listed(shop)
    assert "page_info=" in hits[-4] and f"updated_at_min={mark.replace(':', '%3A')}" in hits[-3]
    assert Customer.objects.filter(last_name__startswith="Changed").count() == 5


def test_page_links_are_refused_with_anything_but_limit_and_fields(shop, source, monkeypatch):
    """The stand-in is as strict as Shopify: a connector that re-sends its query fails."""
    import httpx

    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 1)
    shop.records["customers"] = [shopify_customer(1), shopify_customer(2)]
    first = httpx.get(
        f"{shop.base_url}/admin/api/2024-10/customers.json",
        params={"limit": 1, "updated_at_min": "2026-01-01T00:00:00Z"},
        headers={"X-Shopify-Access-Token": shop.token},
    )
    following = first.links["next"]["url"]

    again = httpx.get(
        f"{following}&updated_at_min=2026-01-01T00%3A00%3A00Z",
        headers={"X-Shopify-Access-Token": shop.token},
    )
    followed = httpx.get(following, headers={"X-Shopify-Access-Token": shop.token})

    assert followed.json()["customers"][0]["id"] == 7002
    assert (again.status_code, again.json()) == (400, {"errors": {"page_info": "Invalid value."}})


def test_429_with_a_float_retry_after_is_waited_out_and_5xx_and_timeouts_are_retried(
    shop, source, settings
):
    settings.SYNC_HTTP_TIMEOUT = 0.5
    shop.records["customers"] = [shopify_customer(1)]
    shop.inject(Fault(lambda request: True, status=429, headers={"Retry-After": "2.0"}))
    shop.inject(Fault(lambda request: True, status=503, times=2))
    shop.inject(Fault(lambda request: True, delay=1.0))

    run = sync(source)

    assert (run.status, run.created) == ("succeeded", 1)
    assert len(shop.hits) >= 5  # 429, 503, 503, the stalled one, then the answer


def test_the_stand_in_answers_a_full_bucket_with_429_and_a_float_retry_after(shop):
    import httpx

    shop.bucket_size = 3
    # Slow leak: six requests on a loaded machine once took long enough for a 2-a-second leak
    # to empty the bucket between them, and none was refused.
    shop.leak_per_second = 0.01
    answers = [
        httpx.get(
            f"{shop.base_url}/admin/api/2024-10/customers.json",
            headers={"X-Shopify-Access-Token": shop.token},
        )
        for _ in range(6)
    ]

    refused = [answer for answer in answers if answer.status_code == 429]
    assert refused and all(answer.headers["Retry-After"] == "2.0" for answer in refused)
    limits = [answer.headers["X-Shopify-Shop-Api-Call-Limit"] for answer in answers]
    assert limits[0] == "1/3" and all(limit.endswith("/3") for limit in limits)


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


def line(line_id: int, sku: str, quantity: int, price: str = "49.00") -> dict:
    return {"id": line_id, "sku": sku, "title": "Linen shirt", "quantity": quantity, "price": price}


@pytest.fixture
def catalogue(shop) -> None:
    shop.records["customers"] = [shopify_customer(1)]
    shop.records["products"] = [
        shopify_product(
            {"id": 111, "sku": "LS-S", "option1": "S", "option2": "White", "price": "49.00"},
            {"id": 112, "sku": "LS-M", "option1": "M", "option2": "White", "price": "49.00"},
        )
    ]


def test_orders_and_products_map_to_frontline(shop, source, catalogue):
    StoreFactory(code="store-1")
    shop.records["orders"] = [shopify_order(9001, 7001, line(1, "LS-S", 2), location_id=501)]

    for entity in ("customers", "products", "orders"):
        assert sync(source, entity).status == "succeeded"

    order = Order.objects.get(source="ecommerce", external_id="9001")
    assert (order.number, order.channel, order.store.code, order.customer.email) == (
        "#9001",
        "store",
        "store-1",
        "shopper1@example.com",
    )
    assert order.lines.get().variant.product.name == "Linen shirt"


def test_closed_and_cancelled_orders_are_read_too(shop, source, catalogue):
    shop.records["orders"] = [
        shopify_order(9001, 7001, line(1, "LS-S", 1)),
        shopify_order(9002, 7001, line(2, "LS-S", 1), closed_at="2026-11-02T10:00:00Z"),
        shopify_order(9003, 7001, line(3, "LS-M", 1), cancelled_at="2026-11-02T10:00:00Z"),
    ]
    for entity in ("customers", "products"):
        sync(source, entity)

    run = sync(source, "orders")

    assert "status=any" in listed(shop, "orders")[0]
    assert (run.status, run.created) == ("succeeded", 3)


def test_refunded_line_items_become_the_returned_quantity_of_their_lines(shop, source, catalogue):
    shop.records["orders"] = [
        shopify_order(
            9001,
            7001,
            line(1, "LS-S", 3),
            line(2, "LS-M", 1),
            refunds=[
                shopify_refund(61, (1, 1, "49.00")),
                shopify_refund(62, (1, 1, "49.00"), (2, 1, "49.00")),
            ],
        ),
        shopify_order(9002, 7001, line(3, "LS-M", 2)),
    ]
    for entity in ("customers", "products"):
        sync(source, entity)

    assert sync(source, "orders").status == "succeeded"

    assert sorted(
        OrderLine.objects.values_list("order__external_id", "sku", "quantity", "returned_quantity")
    ) == [("9001", "LS-M", 1, 1), ("9001", "LS-S", 3, 2), ("9002", "LS-M", 2, 0)]


def test_marketing_consent_states_become_statements_and_the_rest_say_nothing(shop, source):
    connector = connector_for(source)
    customer = shopify_customer(
        1,
        "2026-11-04T10:00:00-05:00",
        email_marketing_consent=marketing_consent(
            "subscribed", "2026-10-01T09:00:00-05:00", "confirmed_opt_in"
        ),
        sms_marketing_consent=marketing_consent("unsubscribed", None, "single_opt_in"),
    )

    record = connector.map("customers", customer)

    assert record["consents"] == [
        {
            "channel": "email",
            "purpose": "marketing",
            "granted": True,
            "recorded_at": datetime(2026, 10, 1, 14, 0, tzinfo=UTC),
        },
        # No date from the shop: the customer's own updated_at dates the statement.
        {
            "channel": "sms",
            "purpose": "marketing",
            "granted": False,
            "recorded_at": datetime(2026, 11, 4, 15, 0, tzinfo=UTC),
        },
    ]
    for state in ("not_subscribed", "pending", "invalid", "redacted"):
        silent = shopify_customer(
            1,
            email_marketing_consent=marketing_consent(state, "2026-10-01T09:00:00Z"),
            sms_marketing_consent=None,
        )
        assert connector.map("customers", silent)["consents"] == []


def test_marketing_consent_from_the_shop_lands_in_the_consent_table(shop, source):
    shop.records["customers"] = [
        shopify_customer(
            1,
            email_marketing_consent=marketing_consent("subscribed", "2026-10-01T09:00:00Z"),
            sms_marketing_consent=marketing_consent("pending", "2026-10-01T09:00:00Z"),
        )
    ]

    assert sync(source).status == "succeeded"

    customer = CustomerIdentity.objects.get(external_id="7001").customer
    assert list(Consent.objects.filter(customer=customer).values_list("channel", "granted")) == [
        ("email", True)
    ]


def test_a_missing_token_fails_the_run_with_a_clear_error(shop, source, monkeypatch):
    monkeypatch.delenv("SHOP_TEST_TOKEN")
    run = sync(source)
    assert run.status == "failed"
    assert run.error == "ImproperlyConfigured: environment variable SHOP_TEST_TOKEN is not set"


def test_the_shops_tags_are_kept_on_its_record_of_the_customer_and_replaced_as_a_whole(
    shop, source
):
    shop.records["customers"] = [shopify_customer(1, tags="VIP, wholesale,vip , ")]
    sync(source)
    identity = CustomerIdentity.objects.get(external_id="7001")
    assert identity.tags == ["VIP", "wholesale"]  # Shopify's tags ignore case

    # Changed after the first listing began, so that the next one reads it again.
    later = (timezone.now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    shop.records["customers"] = [shopify_customer(1, updated_at=later, tags="")]
    run = sync(source)

    identity.refresh_from_db()
    assert (run.updated, identity.tags) == (1, [])
