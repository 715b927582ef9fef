"""Landing mapped records into the customers, catalog and orders tables, in bulk.

One writer per entity. Each takes the page's mapped records and returns what happened; a record
it cannot land for a reason of its own (an unknown store, stock below what is held) is returned
in ``rejected`` with the reason, and the engine quarantines it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from frontline.catalog.models import Brand, Product, StockLevel, Variant
from frontline.customers.models import Customer, CustomerIdentity, Interaction
from frontline.orders.models import Order, OrderLine
from frontline.staff.models import Store
from frontline.sync import seams
from frontline.sync.matching import resolve_customers
from frontline.sync.models import Entity, Source
from frontline.sync.upsert import (
    TableSpec,
    UpsertResult,
    copy_into_staging,
    rows_where_in,
    upsert,
)

Record = dict[str, Any]


@dataclass
class WriteOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: dict[int, str] = field(default_factory=dict)
    # Customers whose purchases or interactions this write changed (their actions go stale).
    active_customer_ids: set[int] = field(default_factory=set)


def _now() -> Any:
    return timezone.now()


def _zero() -> int:
    return 0


def per_record_counts(
    primary: UpsertResult, records: int, *, also_written: int = 0
) -> WriteOutcome:
    """Per-record counts: a record is updated when its row or a dependent row was written."""
    unchanged = max(0, min(primary.unchanged, records - primary.created - also_written))
    return WriteOutcome(
        created=primary.created,
        updated=records - primary.created - unchanged,
        unchanged=unchanged,
    )


# --- Customers --------------------------------------------------------------------------

CUSTOMER_FIELDS = ("first_name", "last_name", "email", "phone", "postcode", "country", "tier")
CUSTOMER_INSERT_DEFAULTS: dict[str, Callable[[], Any]] = {
    "postcode": str,
    "country": str,
    "tier": lambda: "member",
    "lifetime_value": lambda: Decimal("0.00"),
    "order_count": _zero,
    "created_at": _now,
}


def write_customers(source: Source, records: list[Record]) -> WriteOutcome:
    resolution = resolve_customers(source.record_source, records)
    # Only the fields this source provides are compared and written: a CRM that knows no
    # loyalty tier must not reset the tier the ERP set.
    provided = tuple(name for name in CUSTOMER_FIELDS if name in records[0])
    spec = TableSpec(
        model=Customer,
        key=("number",),
        compare=provided,
        insert_defaults={k: v for k, v in CUSTOMER_INSERT_DEFAULTS.items() if k not in provided},
        stamps=("updated_at",),
    )
    matched_ids = {cid for cid in resolution.customer_ids.values() if cid is not None}
    numbers_of = dict(rows_where_in(Customer, "id", matched_ids, ("id", "number")))
    rows = []
    for index, record in enumerate(records):
        customer_id = resolution.customer_ids[index]
        number = numbers_of[customer_id] if customer_id else resolution.numbers[index]
        rows.append({"number": number, **{name: record[name] for name in provided}})
    customers = upsert(spec, rows, want_ids=True)
    identity_rows = [
        {
            "source": source.record_source,
            "external_id": record["external_id"],
            "customer_id": customers.ids[(row["number"],)],
            "email": record["email"],
            "phone": record["phone"],
        }
        for record, row in zip(records, rows, strict=True)
    ]
    identities = upsert(
        TableSpec(
            model=CustomerIdentity,
            key=("source", "external_id"),
            compare=("customer_id", "email", "phone"),
            insert_defaults={"first_seen_at": _now},
            stamps=("last_synced_at",),
        ),
        identity_rows,
    )
    for index, (candidates, reason) in resolution.uncertain.items():
        seams.uncertain_match_record(
            source=source,
            external_id=records[index]["external_id"],
            customer_id=customers.ids[(rows[index]["number"],)],
            candidate_ids=candidates,
            reason=reason,
        )
    # A new customer always brings a new identity; only identity writes beyond those (a record
    # newly linked to a known customer, a changed contact point) make more records "updated".
    linked = identities.created + identities.updated - customers.created
    return per_record_counts(customers, len(records), also_written=max(0, linked))


# --- Products and variants --------------------------------------------------------------


def write_products(source: Source, records: list[Record]) -> WriteOutcome:
    brands = upsert(
        TableSpec(model=Brand, key=("name",), compare=("name",)),
        [{"name": record["brand"]} for record in records],
        want_ids=True,
    )
    products = upsert(
        TableSpec(
            model=Product,
            key=("style_code",),
            compare=("name", "brand_id", "category", "season", "is_active"),
            insert_defaults={"style": str, "description": str},
        ),
        [
            {
                "style_code": record["style_code"],
                "name": record["name"],
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


def _ids_by_value(model: Any, column: str, values: set[str]) -> dict[str, int]:
    return dict(rows_where_in(model, column, values, (column, "id")))


def _customer_ids(record_source: str, external_ids: set[str]) -> dict[str, int]:
    """Customers by their identity in this source."""
    return dict(
        rows_where_in(
            CustomerIdentity,
            "external_id",
            external_ids,
            ("external_id", "customer_id"),
            equal={"source": record_source},
        )
    )


def write_stock(source: Source, records: list[Record]) -> WriteOutcome:
    variant_ids = _ids_by_value(Variant, "sku", {record["sku"] for record in records})
    store_ids = _ids_by_value(Store, "code", {record["store"] for record in records})
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
            insert_defaults={"reserved": _zero},
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
        transaction.on_commit(lambda: seams.stock_became_available(pairs=arrivals))
    counts = per_record_counts(result, len(landing))
    outcome.created, outcome.updated, outcome.unchanged = (
        counts.created,
        counts.updated,
        counts.unchanged,
    )
    return outcome


def _available(levels: tuple[int, int] | None) -> int:
    return 0 if levels is None else levels[0] - levels[1]


# --- Orders and their lines -------------------------------------------------------------

LINE_COLUMNS = ("variant_id", "sku", "description", "quantity", "unit_price", "returned_quantity")


def write_orders(source: Source, records: list[Record]) -> WriteOutcome:
    customer_ids = dict(
        CustomerIdentity.objects.filter(
            source=source.record_source,
            external_id__in={
                r["customer_external_id"] for r in records if r["customer_external_id"]
            },
        ).values_list("external_id", "customer_id")
    )
    store_ids = _ids_by_value(Store, "code", {r["store"] for r in records if r["store"]})
    outcome = WriteOutcome()
    accepted: list[Record] = []
    for index, record in enumerate(records):
        reason = _order_problem(record, customer_ids, store_ids)
        if reason:
            outcome.rejected[index] = reason
        else:
            accepted.append(record)
    if not accepted:
        return outcome
    orders = upsert(
        TableSpec(
            model=Order,
            key=("source", "external_id"),
            compare=(
                "number",
                "customer_id",
                "channel",
                "store_id",
                "placed_at",
                "currency",
                "total",
            ),
        ),
        [
            {
                "source": source.record_source,
                "external_id": record["external_id"],
                "number": record["number"],
                "customer_id": customer_ids.get(record["customer_external_id"]),
                "channel": record["channel"],
                "store_id": store_ids.get(record["store"]),
                "placed_at": record["placed_at"],
                "currency": record["currency"],
                "total": record["total"],
            }
            for record in accepted
        ],
        want_ids=True,
    )
    variant_ids = _ids_by_value(
        Variant, "sku", {line["sku"] for record in accepted for line in record["lines"]}
    )
    lines = [
        {
            "order_id": orders.ids[(source.record_source, record["external_id"])],
            "line_no": number,
            "variant_id": variant_ids.get(line["sku"]),
            **{name: line[name] for name in LINE_COLUMNS if name != "variant_id"},
        }
        for record in accepted
        for number, line in enumerate(record["lines"], start=1)
    ]
    changed_orders = replace_changed_lines(lines)
    touched_customers = {
        customer_ids[record["customer_external_id"]]
        for record in accepted
        if record["customer_external_id"]
    }
    refresh_customer_figures(touched_customers)
    counts = per_record_counts(
        orders, len(accepted), also_written=len(changed_orders) - orders.created
    )
    outcome.created, outcome.updated, outcome.unchanged = (
        counts.created,
        counts.updated,
        counts.unchanged,
    )
    if counts.created or counts.updated:  # a replayed page changes nobody's actions
        outcome.active_customer_ids = touched_customers
    return outcome


def _order_problem(record: Record, customers: dict[str, int], stores: dict[str, int]) -> str:
    if record["customer_external_id"] and record["customer_external_id"] not in customers:
        return f"unknown customer {record['customer_external_id']!r} (sync customers first)"
    if record["store"] and record["store"] not in stores:
        return f"unknown store {record['store']!r}"
    if record["channel"] == Order.Channel.STORE and not record["store"]:
        return "an in-store order needs a store"
    if not record["lines"]:
        return "an order needs at least one line"
    return ""


def replace_changed_lines(lines: list[Record]) -> set[int]:
    """Replace the lines of every order whose lines differ from what is stored.

    Lines have no key of their own, so an order's lines are compared as a list (by position);
    an order whose lines are all the same costs no write.
    """
    if not lines:
        return set()
    if connection.vendor == "postgresql":
        return _replace_changed_lines_postgresql(lines)
    return _replace_changed_lines_portable(lines)


def _replace_changed_lines_postgresql(lines: list[Record]) -> set[int]:
    columns = ["order_id", *LINE_COLUMNS]
    copy_into_staging("stage_lines", "orders_orderline", columns, [])
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE stage_lines ADD COLUMN line_no integer")
        with cursor.copy(f"COPY stage_lines ({', '.join(columns)}, line_no) FROM STDIN") as copy:
            for line in lines:
                copy.write_row([*(line[name] for name in columns), line["line_no"]])
        cursor.execute("ANALYZE stage_lines")
        cursor.execute(
            replace_staged_lines_sql("stage_lines", "SELECT DISTINCT order_id FROM inserted")
        )
        return {order_id for (order_id,) in cursor.fetchall()}


def replace_staged_lines_sql(stage: str, final: str) -> str:
    """Replace the lines of the orders in ``stage`` (order_id, line_no, LINE_COLUMNS) that differ.

    ``final`` is the statement's last SELECT, reading ``inserted`` (the order_id of each line
    written).
    """
    compared = ", ".join(LINE_COLUMNS)
    return f"""
        WITH existing AS (
            SELECT order_id, {compared},
                   row_number() OVER (PARTITION BY order_id ORDER BY id) AS line_no
            FROM orders_orderline
            WHERE order_id IN (SELECT DISTINCT order_id FROM {stage})
        ),
        changed AS (
            SELECT DISTINCT coalesce(e.order_id, s.order_id) AS order_id
            FROM existing e
            FULL JOIN {stage} s ON s.order_id = e.order_id AND s.line_no = e.line_no
            WHERE ({", ".join(f"e.{c}" for c in LINE_COLUMNS)})
                  IS DISTINCT FROM ({", ".join(f"s.{c}" for c in LINE_COLUMNS)})
        ),
        removed AS (
            DELETE FROM orders_orderline WHERE order_id IN (SELECT order_id FROM changed)
        ),
        inserted AS (
            INSERT INTO orders_orderline (order_id, {compared})
            SELECT s.order_id, {", ".join(f"s.{c}" for c in LINE_COLUMNS)}
            FROM {stage} s
            WHERE s.order_id IN (SELECT order_id FROM changed)
            ORDER BY s.order_id, s.line_no
            RETURNING order_id
        )
        {final}
    """  # noqa: S608 - only our own table and column names are interpolated


def _replace_changed_lines_portable(lines: list[Record]) -> set[int]:
    incoming: dict[int, list[tuple[Any, ...]]] = {}
    for line in sorted(lines, key=lambda line: (line["order_id"], line["line_no"])):
        incoming.setdefault(line["order_id"], []).append(tuple(line[c] for c in LINE_COLUMNS))
    stored: dict[int, list[tuple[Any, ...]]] = {}
    for row in (
        OrderLine.objects.filter(order_id__in=incoming)
        .order_by("order_id", "id")
        .values_list("order_id", *LINE_COLUMNS)
    ):
        stored.setdefault(row[0], []).append(tuple(row[1:]))
    changed = {order for order, wanted in incoming.items() if stored.get(order) != wanted}
    if changed:
        OrderLine.objects.filter(order_id__in=changed).delete()
        OrderLine.objects.bulk_create(
            [
                OrderLine(order_id=order, **dict(zip(LINE_COLUMNS, values, strict=True)))
                for order in sorted(changed)
                for values in incoming[order]
            ],
            batch_size=500,
        )
    return changed


def customer_figures_sql(customers: str) -> str:
    """UPDATE the figures of the customers whose orders match ``customers`` (a condition)."""
    return f"""
        UPDATE customers_customer c
        SET lifetime_value = a.total, order_count = a.orders,
            first_purchase_at = a.first_at, last_purchase_at = a.last_at
        FROM (
            SELECT customer_id, sum(total) AS total, count(*) AS orders,
                   min(placed_at) AS first_at, max(placed_at) AS last_at
            FROM orders_order WHERE {customers} GROUP BY customer_id
        ) a
        WHERE c.id = a.customer_id
          AND (c.lifetime_value, c.order_count, c.first_purchase_at, c.last_purchase_at)
              IS DISTINCT FROM (a.total, a.orders, a.first_at, a.last_at)
    """  # noqa: S608 - the condition is our own


def refresh_customer_figures(customer_ids: set[int]) -> None:
    """Keep each customer's lifetime value, order count and purchase dates in step with orders."""
    if not customer_ids:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(customer_figures_sql("customer_id = ANY(%s)"), [list(customer_ids)])
        return
    figures = (
        Order.objects.filter(customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(
            total=Sum("total"), orders=Count("id"), first=Min("placed_at"), last=Max("placed_at")
        )
    )
    for row in figures:
        Customer.objects.filter(id=row["customer_id"]).update(
            lifetime_value=row["total"],
            order_count=row["orders"],
            first_purchase_at=row["first"],
            last_purchase_at=row["last"],
        )


# --- CRM activities ---------------------------------------------------------------------


def write_interactions(source: Source, records: list[Record]) -> WriteOutcome:
    customer_ids = _customer_ids(
        source.record_source, {record["customer_external_id"] for record in records}
    )
    outcome = WriteOutcome()
    rows = []
    for index, record in enumerate(records):
        customer_id = customer_ids.get(record["customer_external_id"])
        if customer_id is None:
            outcome.rejected[index] = f"unknown contact {record['customer_external_id']!r}"
            continue
        rows.append(
            {
                "source": source.record_source,
                "external_id": record["external_id"],
                "customer_id": customer_id,
                "kind": record["kind"],
                "channel": record["channel"],
                "summary": record["summary"],
                "occurred_at": record["occurred_at"],
            }
        )
    result = upsert(
        TableSpec(
            model=Interaction,
            key=("source", "external_id"),
            compare=("customer_id", "kind", "channel", "summary", "occurred_at"),
            insert_defaults={"sentiment": lambda: "neutral"},
            conflict_where="external_id IS NOT NULL",
        ),
        rows,
    )
    counts = per_record_counts(result, len(rows))
    outcome.created, outcome.updated, outcome.unchanged = (
        counts.created,
        counts.updated,
        counts.unchanged,
    )
    if counts.created or counts.updated:
        outcome.active_customer_ids = {row["customer_id"] for row in rows}
    return outcome


WRITERS: dict[str, Callable[[Source, list[Record]], WriteOutcome]] = {
    Entity.CUSTOMERS: write_customers,
    Entity.PRODUCTS: write_products,
    Entity.STOCK: write_stock,
    Entity.ORDERS: write_orders,
    Entity.INTERACTIONS: write_interactions,
}
