"""Stock from a Shopify-shaped source's inventory levels, per location, through the catalog."""

from __future__ import annotations

import re

import pytest

from frontline.catalog.confirmation import StockConfirmationUnavailable
from frontline.catalog.models import BackInStockWatch, StockLevel, Variant
from frontline.catalog.services import NotEnoughStock, hold_create
from frontline.sync import engine
from frontline.sync.connectors.shopify import ShopifyStockConfirmer
from frontline.sync.models import Cursor, InventoryItem, QuarantinedRecord
from tests.factories import CustomerFactory, StoreFactory, UserFactory
from tests.sync.standins import Fault, ShopifyStandIn, shopify_product, shopify_source

pytestmark = pytest.mark.django_db

LATER = "2026-11-01T12:00:00Z"


@pytest.fixture
def shop(httpserver, monkeypatch) -> ShopifyStandIn:
    monkeypatch.setenv("SHOP_TEST_TOKEN", "shpat_test")
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 2)
    shop = ShopifyStandIn(httpserver)
    shop.records["products"] = [
        shopify_product(
            {"id": 111, "sku": "LS-S", "option1": "S", "price": "49.00", "inventory_item_id": 808},
            {"id": 112, "sku": "LS-M", "option1": "M", "price": "49.00", "inventory_item_id": 809},
        )
    ]
    return shop


@pytest.fixture
def source(shop):
    # Location 503 names a store Frontline does not have; 504 is not mapped at all.
    locations = {"501": "store-1", "502": "store-2", "503": "store-9"}
    return shopify_source(shop, "SHOP_TEST", options={"locations": locations})


@pytest.fixture
def stores(db):
    return StoreFactory(code="store-1"), StoreFactory(code="store-2")


def level(item: int, location: int, available: int | None, updated_at: str = LATER) -> dict:
    return {
        "inventory_item_id": item,
        "location_id": location,
        "available": available,
        "updated_at": updated_at,
    }


def sync(source, entity: str = "stock"):
    return engine.run_sync(source=source, entity=entity)


def on_hand() -> dict[tuple[str, str], int]:
    return {
        (row.store.code, row.variant.sku): row.on_hand
        for row in StockLevel.objects.select_related("store", "variant")
    }


def test_levels_per_location_land_in_the_mapped_stores_by_the_variants_inventory_items(
    shop, source, stores
):
    shop.records["inventory_levels"] = [
        level(808, 501, 3),
        level(809, 501, -2),  # oversold
        level(808, 502, 0),
        level(809, 502, 5),
        level(999, 501, 4),  # an item no product sync has named
        level(808, 503, 1),  # a location mapped to a store that does not exist
        level(809, 503, None),  # not tracked there
        level(808, 504, 7),  # a location that is not mapped: never asked for
    ]
    assert sync(source, "products").status == "succeeded"
    assert dict(InventoryItem.objects.values_list("item_id", "sku")) == {
        "808": "LS-S",
        "809": "LS-M",
    }

    run = sync(source)

    assert (run.status, run.pages, run.created, run.quarantined) == ("succeeded", 4, 4, 3)
    assert on_hand() == {
        ("store-1", "LS-S"): 3,
        ("store-1", "LS-M"): 0,
        ("store-2", "LS-S"): 0,
        ("store-2", "LS-M"): 5,
    }
    assert set(QuarantinedRecord.objects.values_list("external_id", "reason")) == {
        (
            "999@501",
            "inventory item 999 is not a variant this source has sent (sync products first)",
        ),
        ("808@503", "location 503 is mapped to store 'store-9', which does not exist"),
        ("809@503", "inventory item 809 is not tracked at location 503"),
    }
    listed = [hit for hit in shop.hits if "inventory_levels.json" in hit]
    assert "location_ids=501%2C502%2C503" in listed[0]
    assert len(listed) == 4 and all("page_info" in hit for hit in listed[1:])  # Link paging


def test_the_next_run_asks_for_levels_changed_since_the_listing_began_and_replays_change_nothing(
    shop, source, stores
):
    shop.records["inventory_levels"] = [level(808, 501, 3), level(809, 502, 5)]
    sync(source, "products")
    sync(source)
    since = Cursor.objects.get(source=source, entity="stock").value["updated_at_min"]
    # The server's clock when the listing began: levels are not listed in updated_at order.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", since) and since > LATER

    shop.records["inventory_levels"][1] = level(809, 502, 2, updated_at="2099-01-01T00:00:00Z")
    run = sync(source)

    assert f"updated_at_min={since.replace(':', '%3A')}" in shop.hits[-1]
    assert (run.created, run.updated, run.unchanged) == (0, 1, 0)
    assert on_hand()[("store-2", "LS-M")] == 2

    Cursor.objects.filter(source=source, entity="stock").update(value={})
    replay = sync(source)
    assert (replay.created, replay.updated, replay.unchanged) == (0, 0, 2)


def test_a_size_back_in_stock_at_a_location_wakes_the_customers_watch(shop, source, stores):
    shop.records["inventory_levels"] = [level(808, 501, 0, "2026-11-01T10:00:00Z")]
    sync(source, "products")
    sync(source)
    customer = CustomerFactory(preferred_store=stores[0])
    watch = BackInStockWatch.objects.create(
        customer=customer, product=StockLevel.objects.get().variant.product, size="S"
    )

    shop.records["inventory_levels"] = [level(808, 501, 2, "2099-01-01T00:00:00Z")]
    sync(source)

    watch.refresh_from_db()
    assert watch.notified_at is not None
    assert watch.notified_store == stores[0]


def test_a_stock_listing_that_fails_part_way_resumes_after_the_last_page_that_landed(
    shop, source, stores, settings, monkeypatch
):
    settings.SYNC_HTTP_ATTEMPTS = 2
    # One location a request and one level a page: three parts, the first of two pages.
    monkeypatch.setattr("frontline.sync.connectors.shopify.LOCATIONS_PER_REQUEST", 1)
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 1)
    shop.records["inventory_levels"] = [level(808, 501, 1), level(809, 501, 2), level(808, 502, 3)]
    sync(source, "products")
    shop.inject(Fault(lambda request: "page_info" in request.args, times=2))

    failed = sync(source)

    assert (failed.status, failed.pages, failed.created) == ("failed", 1, 1)
    position = Cursor.objects.get(source=source, entity="stock").value
    assert position["updated_at_min"] == "" and position["listing"]["part"] == 0
    resumed = sync(source)
    assert (resumed.status, resumed.created, resumed.unchanged) == ("succeeded", 2, 0)
    assert on_hand() == {("store-1", "LS-S"): 1, ("store-1", "LS-M"): 2, ("store-2", "LS-S"): 3}
    listed = [hit for hit in shop.hits if "inventory_levels.json" in hit]
    # Resumed with the stored link, then the parts for locations 502 and 503.
    assert "page_info=" in listed[-3]
    assert ["location_ids=502" in listed[-2], "location_ids=503" in listed[-1]] == [True, True]
    assert set(Cursor.objects.get(source=source, entity="stock").value) == {"updated_at_min"}


def test_a_stock_listing_is_not_resumed_once_the_mapped_locations_have_changed(
    shop, source, stores, settings, monkeypatch
):
    settings.SYNC_HTTP_ATTEMPTS = 1
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 1)
    shop.records["inventory_levels"] = [level(808, 501, 1), level(809, 501, 2)]
    sync(source, "products")
    shop.inject(Fault(lambda request: "page_info" in request.args))
    assert sync(source).status == "failed"
    source.options = {"locations": {"501": "store-1", "502": "store-2"}}
    source.save()

    rerun = sync(source)

    assert rerun.status == "succeeded"
    listed = [hit for hit in shop.hits if "inventory_levels.json" in hit]
    assert "page_info=" not in listed[-2] and "location_ids=501%2C502" in listed[-2]


def test_without_mapped_locations_the_stock_run_fails_saying_so(shop, source):
    source.options = {}
    source.save()
    run = sync(source)
    assert run.status == "failed"
    assert run.error == (
        "ImproperlyConfigured: source shop: options.locations maps no location to a store"
    )


# --- The live stock check on hold ------------------------------------------------------------


@pytest.fixture
def synced_products(shop, source, stores):
    assert sync(source, "products").status == "succeeded"
    shop.hits.clear()


def test_the_live_check_asks_the_shop_for_the_variants_level_at_the_stores_location(
    shop, source, synced_products
):
    shop.records["inventory_levels"] = [level(808, 501, 4), level(808, 502, 9), level(809, 501, 1)]

    confirmed = ShopifyStockConfirmer().confirm(sku="LS-S", store_code="store-1")

    assert confirmed.on_hand == 4
    assert [hit.split("?")[1] for hit in shop.hits] == ["inventory_item_ids=808&location_ids=501"]


@pytest.mark.parametrize(
    ("sku", "store_code", "levels", "reason"),
    [
        ("LS-S", "store-7", [], "no shop location is mapped to store store-7"),
        ("NOPE", "store-1", [], "the shop has sent no inventory item for NOPE"),
        ("LS-S", "store-1", [level(808, 501, None)], "LS-S is not tracked at location 501"),
        ("LS-S", "store-1", [], "LS-S is not tracked at location 501"),
    ],
)
def test_the_live_check_is_unavailable_when_the_shop_cannot_say(
    shop, source, synced_products, sku, store_code, levels, reason
):
    shop.records["inventory_levels"] = levels
    with pytest.raises(StockConfirmationUnavailable, match=re.escape(reason)):
        ShopifyStockConfirmer().confirm(sku=sku, store_code=store_code)


def test_a_shop_that_is_slow_or_down_makes_the_check_unavailable_after_one_try(
    shop, source, synced_products
):
    shop.records["inventory_levels"] = [level(808, 501, 4)]
    shop.inject(Fault(lambda request: True, delay=1.0))
    with pytest.raises(StockConfirmationUnavailable, match="did not answer"):
        ShopifyStockConfirmer(timeout=0.2).confirm(sku="LS-S", store_code="store-1")
    shop.inject(Fault(lambda request: True, status=503))
    with pytest.raises(StockConfirmationUnavailable, match="did not answer"):
        ShopifyStockConfirmer().confirm(sku="LS-S", store_code="store-1")
    assert len(shop.hits) == 2


def test_a_hold_records_the_shops_live_figure_and_is_refused_when_the_shop_has_too_few(
    shop, source, synced_products, stores
):
    variant = Variant.objects.get(sku="LS-S")
    StockLevel.objects.create(store=stores[0], variant=variant, on_hand=3)
    associate = UserFactory(is_superuser=True)
    customer = CustomerFactory(preferred_store=stores[0])
    shop.records["inventory_levels"] = [level(808, 501, 2)]

    def hold(quantity: int):  # type: ignore[no-untyped-def]
        return hold_create(
            user=associate,
            customer=customer,
            variant=variant,
            store=stores[0],
            quantity=quantity,
            confirmer=ShopifyStockConfirmer(),
        )

    placed = hold(1)
    assert (placed.basis, placed.basis_detail) == ("live", "Live stock check confirmed 2 on hand")
    with pytest.raises(NotEnoughStock, match="counts only 2"):
        hold(2)  # one of the shop's two is already held
