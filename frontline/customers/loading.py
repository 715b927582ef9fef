"""Landing customer records from the source systems, in bulk: customers, identities, activities.

Sync maps each source's records into Frontline's shape and hands a batch here; this module
decides which customer each record is (``identities.resolve_customers``), writes only what
changed, and reports per record what happened. Records it cannot land come back in
``rejected`` with the reason, for sync to quarantine.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from frontline.core.upsert import (
    TableSpec,
    UncertainMatch,
    WriteOutcome,
    per_record_counts,
    rows_where_in,
    upsert,
)
from frontline.customers.identities import resolve_customers
from frontline.customers.models import Customer, CustomerIdentity, Interaction
from frontline.orders.models import Order, OrderLine

Record = dict[str, Any]

CUSTOMER_FIELDS = ("first_name", "last_name", "email", "phone", "postcode", "country", "tier")
CUSTOMER_INSERT_DEFAULTS: dict[str, Callable[[], Any]] = {
    "postcode": str,
    "country": str,
    "tier": lambda: "member",
    "lifetime_value": lambda: Decimal("0.00"),
    "order_count": int,
    "created_at": timezone.now,
}


def customers_land(*, record_source: str, records: list[Record]) -> WriteOutcome:
    """Land a source's customer records: matched to known customers, then upserted."""
    resolution = resolve_customers(record_source, records)
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
            "source": record_source,
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
            insert_defaults={"first_seen_at": timezone.now},
            stamps=("last_synced_at",),
        ),
        identity_rows,
    )
    # A new customer always brings a new identity; only identity writes beyond those (a record
    # newly linked to a known customer, a changed contact point) make more records "updated".
    linked = identities.created + identities.updated - customers.created
    outcome = per_record_counts(customers, len(records), also_written=max(0, linked))
    outcome.uncertain = [
        UncertainMatch(
            external_id=records[index]["external_id"],
            customer_id=customers.ids[(rows[index]["number"],)],
            candidate_ids=candidates,
            reason=reason,
        )
        for index, (candidates, reason) in resolution.uncertain.items()
    ]
    return outcome


def customer_ids_by_identity(record_source: str, external_ids: set[str]) -> dict[str, int]:
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


def customer_figures_sql(customers: str) -> str:
    """UPDATE the figures of the customers whose orders match ``customers`` (a condition on
    orders_order's own columns).

    Net of returns: a return document's total is negative already, and units returned
    against sold lines are taken off at their unit price (through the partial index
    orderline_with_returns, so a load without any costs nothing). Sales alone make the order
    count and the purchase dates. The sum is rounded once, to the currency's minor unit the
    column keeps, since unit prices carry four decimals.
    """
    return f"""
        WITH returned AS (
            SELECT o.customer_id, sum(l.returned_quantity * l.unit_price) AS value
            FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
            WHERE l.returned_quantity > 0 AND {customers}
            GROUP BY o.customer_id
        )
        UPDATE customers_customer c
        SET lifetime_value = a.net, order_count = a.orders,
            first_purchase_at = a.first_at, last_purchase_at = a.last_at
        FROM (
            SELECT d.customer_id, round(d.total - coalesce(r.value, 0), 2) AS net,
                   d.orders, d.first_at, d.last_at
            FROM (
                SELECT customer_id, sum(total) AS total,
                       count(*) FILTER (WHERE kind = 'sale') AS orders,
                       min(placed_at) FILTER (WHERE kind = 'sale') AS first_at,
                       max(placed_at) FILTER (WHERE kind = 'sale') AS last_at
                FROM orders_order WHERE {customers} GROUP BY customer_id
            ) d
            LEFT JOIN returned r ON r.customer_id = d.customer_id
        ) a
        WHERE c.id = a.customer_id
          AND (c.lifetime_value, c.order_count, c.first_purchase_at, c.last_purchase_at)
              IS DISTINCT FROM (a.net, a.orders, a.first_at, a.last_at)
    """  # noqa: S608 - the condition is our own


def customer_figures_refresh(customer_ids: set[int]) -> None:
    """Keep each customer's lifetime value (net of returns), order count and purchase dates in
    step with their orders and returns."""
    if not customer_ids:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                customer_figures_sql("customer_id = ANY(%(ids)s)"), {"ids": list(customer_ids)}
            )
        return
    sales = Q(kind=Order.Kind.SALE)
    figures = (
        Order.objects.filter(customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(
            total=Sum("total"),
            orders=Count("id", filter=sales),
            first=Min("placed_at", filter=sales),
            last=Max("placed_at", filter=sales),
        )
    )
    returned = dict(
        OrderLine.objects.filter(order__customer_id__in=customer_ids, returned_quantity__gt=0)
        .values("order__customer_id")
        .annotate(value=Sum(F("returned_quantity") * F("unit_price")))
        .values_list("order__customer_id", "value")
    )
    for row in figures:
        net = row["total"] - (returned.get(row["customer_id"]) or 0)
        Customer.objects.filter(id=row["customer_id"]).update(
            lifetime_value=net.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            order_count=row["orders"],
            first_purchase_at=row["first"],
            last_purchase_at=row["last"],
        )


# --- Interactions -----------------------------------------------------------------------


def interactions_land(*, record_source: str, records: list[Record]) -> WriteOutcome:
    """Land a source's activities (CRM tasks) on the timelines of the customers they are about."""
    customer_ids = customer_ids_by_identity(
        record_source, {record["customer_external_id"] for record in records}
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
                "source": record_source,
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
    outcome.count(counts)
    if counts.created or counts.updated:
        outcome.active_customer_ids = {row["customer_id"] for row in rows}
    return outcome
