"""Landing orders from the source systems, in bulk: orders, their lines, the customers' figures."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone

from frontline.catalog.models import Variant
from frontline.core.upsert import (
    TableSpec,
    WriteOutcome,
    copy_into_staging,
    ids_by_value,
    per_record_counts,
    split_deletions,
    upsert,
)
from frontline.customers.loading import customer_figures_refresh
from frontline.customers.models import CustomerIdentity
from frontline.orders.models import Order, OrderLine
from frontline.staff.models import Store

Record = dict[str, Any]

# --- Orders and their lines -------------------------------------------------------------

LINE_COLUMNS = ("variant_id", "sku", "description", "quantity", "unit_price", "returned_quantity")
# What an order's upsert compares (and writes when it differs); orders.bulk's too.
ORDER_COMPARE = (
    "number",
    "customer_id",
    "channel",
    "kind",
    "original_id",
    "store_id",
    "placed_at",
    "currency",
    "total",
    "deleted_at",
)


def orders_land(*, record_source: str, records: list[Record]) -> WriteOutcome:
    """Land a source's orders and returns with their lines, and keep the customers' figures
    in step.

    A record may name ``kind`` (sale, the default, or return) and, for a return,
    ``original_external_id``: the sale it returns, which must have landed before or be in the
    same batch. A record with ``deleted`` says the source deleted that order: it is marked
    (``orders_mark_deleted``), and a later record of it from the source brings it back.
    """
    live, gone = split_deletions(records)
    outcome = _orders_upsert(record_source, [records[index] for index in live])
    outcome.rejected = {live[index]: reason for index, reason in outcome.rejected.items()}
    if gone:
        marked, customer_ids = orders_mark_deleted(record_source=record_source, external_ids=gone)
        outcome.updated += marked
        outcome.unchanged += len(gone) - marked
        outcome.active_customer_ids |= customer_ids
    _recommendations_refresh(outcome.active_customer_ids)
    return outcome


def _recommendations_refresh(customer_ids: set[int]) -> None:
    """Their stored "for this customer" lists are rescored once the landing commits.

    The record path only (a page of an incremental sync, a till's sale): a bulk load of the
    whole history is followed by the nightly job, which rescores every customer at once.
    """
    from frontline.recommendations.services import customer_lists_refresh_on_commit

    customer_lists_refresh_on_commit(customer_ids=customer_ids)


def orders_mark_deleted(*, record_source: str, external_ids: list[str]) -> tuple[int, set[int]]:
    """The source deleted these orders: mark those still live and take them out of their
    customers' figures. Returns how many were marked, and whose orders they were."""
    orders = Order.objects.filter(
        source=record_source, external_id__in=external_ids, deleted_at__isnull=True
    )
    customer_ids = set(orders.filter(customer__isnull=False).values_list("customer_id", flat=True))
    marked = orders.update(deleted_at=timezone.now())
    customer_figures_refresh(customer_ids)
    return marked, customer_ids


def _orders_upsert(record_source: str, records: list[Record]) -> WriteOutcome:
    if not records:
        return WriteOutcome()
    customer_ids = dict(
        CustomerIdentity.objects.filter(
            source=record_source,
            external_id__in={
                r["customer_external_id"] for r in records if r["customer_external_id"]
            },
        ).values_list("external_id", "customer_id")
    )
    store_ids = ids_by_value(Store, "code", {r["store"] for r in records if r["store"]})
    known_sales = _known_sales(record_source, records)
    outcome = WriteOutcome()
    accepted: list[Record] = []
    for index, record in enumerate(records):
        reason = _order_problem(record, customer_ids, store_ids, known_sales)
        if reason:
            outcome.rejected[index] = reason
        else:
            accepted.append(record)
    if not accepted:
        return outcome
    orders = upsert(
        TableSpec(model=Order, key=("source", "external_id"), compare=ORDER_COMPARE),
        [
            {
                "source": record_source,
                "external_id": record["external_id"],
                "number": record["number"],
                "customer_id": customer_ids.get(record["customer_external_id"]),
                "channel": record["channel"],
                "kind": record.get("kind", Order.Kind.SALE),
                # A sale of this batch has no id yet: linked just below.
                "original_id": known_sales.get(_original_of(record) or ""),
                "store_id": store_ids.get(record["store"]),
                "placed_at": record["placed_at"],
                "currency": record["currency"],
                "total": record["total"],
                # A record of an order is the source saying it exists (again, if it was deleted).
                "deleted_at": None,
            }
            for record in accepted
        ],
        want_ids=True,
    )
    _link_returns_to_sales_of_the_batch(record_source, accepted, orders.ids, known_sales)
    variant_ids = ids_by_value(
        Variant, "sku", {line["sku"] for record in accepted for line in record["lines"]}
    )
    lines = [
        {
            "order_id": orders.ids[(record_source, record["external_id"])],
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
    customer_figures_refresh(touched_customers)
    counts = per_record_counts(
        orders, len(accepted), also_written=len(changed_orders) - orders.created
    )
    outcome.count(counts)
    if counts.created or counts.updated:  # a replayed page changes nobody's actions
        outcome.active_customer_ids = touched_customers
    return outcome


def _original_of(record: Record) -> str:
    return str(record.get("original_external_id") or "")


def _known_sales(record_source: str, records: list[Record]) -> dict[str, int | None]:
    """The sales the batch's returns name: id by external id (None: a sale of this batch)."""
    named = {_original_of(record) for record in records} - {""}
    if not named:
        return {}
    known: dict[str, int | None] = {
        record["external_id"]: None
        for record in records
        if record["external_id"] in named and record.get("kind", Order.Kind.SALE) == "sale"
    }
    known.update(
        Order.objects.filter(
            source=record_source, kind=Order.Kind.SALE, external_id__in=named
        ).values_list("external_id", "id")
    )
    return known


def _link_returns_to_sales_of_the_batch(
    record_source: str,
    accepted: list[Record],
    order_ids: dict[tuple[Any, ...], int],
    known_sales: dict[str, int | None],
) -> None:
    """Returns whose sale landed in the same batch: linked now that the sale has an id."""
    links = [
        Order(
            pk=order_ids[(record_source, record["external_id"])],
            original_id=order_ids.get((record_source, _original_of(record))),
        )
        for record in accepted
        if _original_of(record) and known_sales.get(_original_of(record)) is None
    ]
    Order.objects.bulk_update(links, ["original_id"], batch_size=500)


# Why an order is refused, by problem (the bulk form, orders.bulk, records the problem's key).
REFUSALS = {
    "customer": "unknown customer {customer!r} (sync customers first)",
    "store": "unknown store {store!r}",
    "needs_store": "an in-store order needs a store",
    "no_lines": "an order needs at least one line",
    "original": "unknown original sale {original!r} (sync the sale first)",
    # What PostgreSQL answers the record path when it inserts a second order with a number.
    "number": 'refused: duplicate key value violates unique constraint "orders_order_number_key"',
}


def refusal(problem: str, *, customer: str = "", store: str = "", original: str = "") -> str:
    """The reason given for an order refused for ``problem`` (a key of REFUSALS)."""
    return REFUSALS[problem].format(customer=customer, store=store, original=original)


def _order_problem(
    record: Record,
    customers: dict[str, int],
    stores: dict[str, int],
    known_sales: dict[str, int | None],
) -> str:
    original = _original_of(record)
    if record["customer_external_id"] and record["customer_external_id"] not in customers:
        problem = "customer"
    elif record["store"] and record["store"] not in stores:
        problem = "store"
    elif record["channel"] == Order.Channel.STORE and not record["store"]:
        problem = "needs_store"
    elif not record["lines"]:
        problem = "no_lines"
    elif original and original not in known_sales:
        problem = "original"
    else:
        return ""
    return refusal(
        problem, customer=record["customer_external_id"], store=record["store"], original=original
    )


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
