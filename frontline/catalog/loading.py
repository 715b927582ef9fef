"""Landing the catalog from the source systems, in bulk: brands, products, variants and stock."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from frontline.catalog.models import Brand, Product, StockLevel, Variant
from frontline.catalog.services import back_in_stock_announce
from frontline.core.upsert import (
    TableSpec,
    WriteOutcome,
    ids_by_value,
    per_record_counts,
    rows_where_in,
    upsert,
)
from frontline.staff.models import Store

Record = dict[str, Any]

# --- Products and variants --------------------------------------------------------------


def products_land(*, records: list[Record]) -> WriteOutcome:
    """Land product records (one per variant): brands, products and variants."""
    brands = upsert(
        TableSpec(model=Brand, key=("name",), compare=("name",)),
        [{"name": record["brand"]} for record in records],
        want_ids=True,
    )
    products = upsert(
        TableSpec(
            model=Product,
            key=("style_code",),
            compare=("name", "name_is_code", "brand_id", "category", "season", "is_active"),
            insert_defaults={"style": str, "description": str},
        ),
        [
            {
                "style_code": record["style_code"],
                "name": record["name"],
                # A source that sends no name gets the code as name, flagged for a person.
                "name_is_code": record.get("name_is_code", False),
                "brand_id": brands.ids[(record["brand"],)],
                "category": record["category"],
                "season": record["season"],
                "is_active": record["is_active"],
            }
            for record in records
        ],
        want_ids=True,
    )
    variants = upsert(
        TableSpec(
            model=Variant,
            key=("sku",),
            compare=("product_id", "barcode", "size", "colour", "price", "currency"),
        ),
        [
            {
                "sku": record["sku"],
                "product_id": products.ids[(record["style_code"],)],
                "barcode": record["barcode"],
                "size": record["size"],
                "colour": record["colour"],
                "price": record["price"],
                "currency": record["currency"],
            }
            for record in records
        ],
    )
    return per_record_counts(variants, len(records), also_written=products.updated)


# --- Stock ------------------------------------------------------------------------------


def stock_land(*, records: list[Record]) -> WriteOutcome:
    """Land stock counts per SKU and store; a count below what is held for customers is refused."""
    variant_ids = ids_by_value(Variant, "sku", {record["sku"] for record in records})
    store_ids = ids_by_value(Store, "code", {record["store"] for record in records})
    outcome = WriteOutcome()
    rows: list[Record] = []
    for index, record in enumerate(records):
        if record["sku"] not in variant_ids:
            outcome.rejected[index] = f"unknown SKU {record['sku']!r}"
        elif record["store"] not in store_ids:
            outcome.rejected[index] = f"unknown store {record['store']!r}"
        else:
            rows.append(
                {
                    "variant_id": variant_ids[record["sku"]],
                    "store_id": store_ids[record["store"]],
                    "on_hand": record["on_hand"],
                    "_index": index,
                }
            )
    before = {
        (variant, store): (on_hand, reserved)
        for variant, store, on_hand, reserved in rows_where_in(
            StockLevel,
            "variant_id",
            {row["variant_id"] for row in rows},
            ("variant_id", "store_id", "on_hand", "reserved"),
        )
    }
    landing = []
    for row in rows:
        reserved = before.get((row["variant_id"], row["store_id"]), (0, 0))[1]
        if row["on_hand"] < reserved:
            # Frontline holds units for customers; an ERP count below them needs a person.
            outcome.rejected[row["_index"]] = (
                f"on hand {row['on_hand']} is below the {reserved} units held for customers"
            )
        else:
            landing.append(row)
    result = upsert(
        TableSpec(
            model=StockLevel,
            key=("variant_id", "store_id"),
            compare=("on_hand",),
            insert_defaults={"reserved": int},
            stamps=("synced_at", "updated_at"),
        ),
        landing,
    )
    arrivals = sorted(
        {
            (row["variant_id"], row["store_id"])
            for row in landing
            if row["on_hand"] - before.get((row["variant_id"], row["store_id"]), (0, 0))[1] > 0
            and _available(before.get((row["variant_id"], row["store_id"]))) <= 0
        }
    )
    if arrivals:
        transaction.on_commit(lambda: back_in_stock_announce(pairs=arrivals))
    counts = per_record_counts(result, len(landing))
    outcome.count(counts)
    return outcome


def _available(levels: tuple[int, int] | None) -> int:
    return 0 if levels is None else levels[0] - levels[1]
