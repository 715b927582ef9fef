"""Stock from Shopify-shaped inventory levels: item → SKU, location → store, then the catalog.

Inventory levels say "inventory item 808 at location 501: 3 available". The products sync
remembers which SKU each inventory item is (``inventory_items_remember``); the source's
``options.locations`` says which store each location is. The counts then go through the
catalog's own ``stock_levels_upsert``, which keeps the newest figure per store and variant and
wakes back-in-stock watches.
"""

from __future__ import annotations

from typing import Any

from frontline.catalog.models import StockLevel, Variant
from frontline.catalog.services import StockFigure, stock_levels_upsert
from frontline.core.upsert import WriteOutcome
from frontline.staff.models import Store
from frontline.sync.models import InventoryItem, Source

Record = dict[str, Any]


def inventory_items_remember(*, source: Source, skus_by_item: dict[str, str]) -> None:
    """Record (or correct) which SKU each of the source's inventory items counts."""
    InventoryItem.objects.bulk_create(
        [
            InventoryItem(source=source, item_id=item_id, sku=sku)
            for item_id, sku in sorted(skus_by_item.items())
        ],
        update_conflicts=True,
        unique_fields=["source", "item_id"],
        update_fields=["sku"],
    )


def write_inventory_levels(source: Source, records: list[Record]) -> WriteOutcome:
    """Land mapped inventory levels; items and stores Frontline does not know are rejected."""
    skus = dict(
        InventoryItem.objects.filter(
            source=source, item_id__in={record["inventory_item_id"] for record in records}
        ).values_list("item_id", "sku")
    )
    variant_ids = dict(Variant.objects.filter(sku__in=set(skus.values())).values_list("sku", "id"))
    store_ids = dict(
        Store.objects.filter(code__in={record["store"] for record in records}).values_list(
            "code", "id"
        )
    )
    outcome = WriteOutcome()
    figures: list[StockFigure] = []
    for index, record in enumerate(records):
        item, sku = record["inventory_item_id"], skus.get(record["inventory_item_id"])
        if sku is None:
            outcome.rejected[index] = (
                f"inventory item {item} is not a variant this source has sent (sync products first)"
            )
        elif sku not in variant_ids:
            outcome.rejected[index] = f"inventory item {item} is SKU {sku!r}, unknown in Frontline"
        elif record["store"] not in store_ids:
            outcome.rejected[index] = (
                f"location {record['location_id']} is mapped to store {record['store']!r}, "
                "which does not exist"
            )
        else:
            figures.append(
                StockFigure(
                    store_id=store_ids[record["store"]],
                    variant_id=variant_ids[sku],
                    on_hand=record["on_hand"],
                    synced_at=record["synced_at"],
                )
            )
    if not figures:
        return outcome
    keys = {(figure.store_id, figure.variant_id) for figure in figures}
    existing = set(
        StockLevel.objects.filter(
            store_id__in={store for store, _ in keys},
            variant_id__in={variant for _, variant in keys},
        ).values_list("store_id", "variant_id")
    )
    changed = stock_levels_upsert(figures=figures)
    # stock_levels_upsert creates exactly the rows that did not exist; the rest of what it
    # changed were updates, and a figure no newer than the stored one changes nothing.
    outcome.created = len(keys - existing)
    outcome.updated = changed - outcome.created
    outcome.unchanged = len(figures) - changed
    return outcome
