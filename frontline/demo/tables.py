"""The tables the demo writes, and the column order of the row tuples the generators build.

Rows are plain tuples, in exactly these column orders, so that they can be streamed to
PostgreSQL's COPY without building a model instance for each.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model

from frontline.catalog.models import Brand, Product, StockLevel, Variant
from frontline.customers.models import (
    Consent,
    Customer,
    CustomerIdentity,
    CustomerPreference,
    CustomerSize,
    Interaction,
    SentimentMonth,
)
from frontline.orders.models import Order, OrderLine


# Identity equality: tables are used as dict keys in hot loops, where a field hash is costly.
@dataclass(frozen=True, eq=False)
class Table:
    model: type[Model]
    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.model._meta.db_table


BRAND = Table(Brand, ("id", "name"))
PRODUCT = Table(
    Product,
    (
        "id",
        "style_code",
        "name",
        "brand_id",
        "category",
        "style",
        "season",
        "description",
        "launched_on",
        "is_active",
    ),
)
VARIANT = Table(
    Variant, ("id", "product_id", "sku", "barcode", "size", "colour", "price", "currency")
)
STOCK_LEVEL = Table(
    StockLevel, ("id", "store_id", "variant_id", "on_hand", "reserved", "synced_at", "updated_at")
)
CUSTOMER = Table(
    Customer,
    (
        "id",
        "number",
        "first_name",
        "last_name",
        "email",
        "phone",
        "postcode",
        "country",
        "tier",
        "preferred_store_id",
        "preferred_associate_id",
        "birthday",
        "anniversary",
        "lifetime_value",
        "order_count",
        "first_purchase_at",
        "last_purchase_at",
        "last_visit_at",
        "merged_into_id",
        "created_at",
        "updated_at",
    ),
)
IDENTITY = Table(
    CustomerIdentity,
    (
        "id",
        "customer_id",
        "source",
        "external_id",
        "email",
        "phone",
        "first_seen_at",
        "last_synced_at",
    ),
)
CONSENT = Table(
    Consent,
    (
        "id",
        "customer_id",
        "channel",
        "purpose",
        "granted",
        "source",
        "recorded_at",
        "recorded_by_id",
    ),
)
SIZE = Table(CustomerSize, ("id", "customer_id", "category", "size", "updated_at", "updated_by_id"))
PREFERENCE = Table(
    CustomerPreference, ("id", "customer_id", "kind", "value", "updated_at", "updated_by_id")
)
INTERACTION = Table(
    Interaction,
    (
        "id",
        "customer_id",
        "channel",
        "kind",
        "sentiment",
        "sentiment_score",
        "summary",
        "source",
        "external_id",
        "store_id",
        "staff_id",
        "occurred_at",
    ),
)
ORDER = Table(
    Order,
    (
        "id",
        "number",
        "customer_id",
        "channel",
        "store_id",
        "associate_id",
        "placed_at",
        "currency",
        "total",
        "source",
        "external_id",
    ),
)
ORDER_LINE = Table(
    OrderLine,
    (
        "id",
        "order_id",
        "variant_id",
        "sku",
        "description",
        "quantity",
        "unit_price",
        "returned_quantity",
        "returned_at",
    ),
)

CATALOGUE_TABLES = (BRAND, PRODUCT, VARIANT, STOCK_LEVEL)
# In the order they are written: a row's references are written before it.
CUSTOMER_TABLES = (CUSTOMER, IDENTITY, CONSENT, SIZE, PREFERENCE, INTERACTION, ORDER, ORDER_LINE)
ALL_TABLES = CATALOGUE_TABLES + CUSTOMER_TABLES
# Filled by the database itself while the demo loads (the interactions' triggers keep the
# sentiment rollup): not written by the demo, but its references are checked once after the
# load and it is analysed, like the tables the demo writes.
DERIVED_TABLES = (Table(SentimentMonth, ()),)
