"""Landing a bulk load of orders from tables: the set-wise form of ``orders_land``.

Sync's fast path for big files (``frontline.sync.bulk_file``) COPYs a file into a staging table
and maps it there; it hands over the names of two tables of mapped records, as the record path
hands ``orders_land`` a list of them (see ``customers.bulk`` for why a table). Both must outlive
the call (temporary tables of the caller's transaction do):

- orders (``ORDER_COLUMNS``): ``first_row`` and ``last_row``, the positions in the feed of the
  order's first and last line (an earlier order is older, and lands first), then the record's
  fields as ``orders_land`` takes them;
- lines (``LINE_COLUMNS``): ``first_row``, its order's; ``line_no``, its position in the order
  from 1; then the line's fields.

The landing refuses what ``orders_land`` refuses, with the same reasons, and says which
(``StagedOrders.refusals``): the caller, who holds the source's raw records, quarantines them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection

from frontline.core import bulk_load
from frontline.core.bulk_load import work_table
from frontline.core.upsert import TableSpec, UpsertResult, WriteOutcome, per_record_counts
from frontline.customers.loading import customer_figures_sql
from frontline.orders.loading import LINE_COLUMNS as STORED_LINE_COLUMNS
from frontline.orders.loading import ORDER_COMPARE, refusal, replace_staged_lines_sql
from frontline.orders.models import Order, OrderLine

RECORD_FIELDS = (
    "external_id",
    "number",
    "customer_external_id",
    "channel",
    "store",
    "placed_at",
    "currency",
    "total",
    "kind",
    "original_external_id",
)
LINE_FIELDS = ("sku", "description", "quantity", "unit_price", "returned_quantity")
ORDER_COLUMNS = ("first_row", "last_row", *RECORD_FIELDS)
LINE_COLUMNS = ("first_row", "line_no", *LINE_FIELDS)
ORDERS_SPEC = TableSpec(Order, key=("source", "external_id"), compare=ORDER_COMPARE)
# The landing's work tables (temporary, gone at commit).
ACCEPTED = "bulk_orders_accepted"
WRITTEN = "bulk_orders_written"
KNOWN_LINES = "bulk_orders_known_lines"


@dataclass
class StagedOrders:
    """What a bulk landing of orders did; its reports read the landing's work tables, so they
    are to be read in the landing's transaction."""

    outcome: WriteOutcome

    def refusals(self) -> Iterator[tuple[int, str]]:
        """(first_row, reason) of each order refused, in feed order."""
        with connection.connection.cursor(name="bulk_orders_refusals") as cursor:
            cursor.execute(
                "SELECT first_row, problem, customer_external_id, store, "  # noqa: S608
                f"original_external_id FROM {ACCEPTED} WHERE problem IS NOT NULL ORDER BY first_row"
            )
            for first_row, problem, customer, store, original in cursor:
                yield first_row, refusal(problem, customer=customer, store=store, original=original)

    def active_customers(self) -> Iterator[set[int]]:
        """The customers whose orders landed, in sets of at most a page (SYNC_PAGE_SIZE): a
        million customers' ids in one set would be the worker's biggest allocation."""
        with connection.connection.cursor(name="bulk_orders_customers") as cursor:
            cursor.execute(
                f"SELECT DISTINCT customer_id FROM {ACCEPTED} "  # noqa: S608 - our own table
                "WHERE problem IS NULL AND customer_id IS NOT NULL"
            )
            while rows := cursor.fetchmany(settings.SYNC_PAGE_SIZE):
                yield {row[0] for row in rows}


def orders_land_staged(*, record_source: str, orders: str, lines: str) -> StagedOrders:
    """Land a source's staged orders and returns with their lines (see the module's
    docstring), and keep the customers' figures in step, as ``orders_land`` does."""
    params = {"source": record_source}
    with connection.cursor() as cursor:
        # What orders_land refuses (its _order_problem), and order numbers the database would
        # refuse as another order's.
        work_table(
            cursor,
            ACCEPTED,
            f"""
            SELECT o.*, i.customer_id, st.id AS store_id, NULL::bigint AS original_id,
                   CASE WHEN o.customer_external_id <> '' AND i.customer_id IS NULL THEN 'customer'
                        WHEN o.store <> '' AND st.id IS NULL THEN 'store'
                        WHEN o.channel = 'store' AND o.store = '' THEN 'needs_store'
                        WHEN x.id IS NOT NULL THEN 'number' END AS problem
            FROM {orders} o
            LEFT JOIN customers_customeridentity i
                   ON i.source = %(source)s AND i.external_id = o.customer_external_id
            LEFT JOIN staff_store st ON st.code = o.store
            LEFT JOIN orders_order x ON x.number = o.number
                   AND (x.source, x.external_id) <> (%(source)s, o.external_id)
            """,  # noqa: S608 - the caller's table
            params,
        )
        # Within the load, the first order with a number lands and a later one is refused.
        cursor.execute(
            f"""
            UPDATE {ACCEPTED} a SET problem = 'number'
            FROM (SELECT first_row, row_number() OVER (PARTITION BY number ORDER BY first_row) AS n
                  FROM {ACCEPTED} WHERE problem IS NULL) d
            WHERE a.first_row = d.first_row AND d.n > 1
            """  # noqa: S608 - our own table
        )
        returns_name_sales = _returns_name_sales(cursor)
        if returns_name_sales:
            _find_original_sales(cursor, orders, params)
        cursor.execute(f"ANALYZE {ACCEPTED}")
        cursor.execute(
            "SELECT count(*), coalesce(sum(last_row - first_row + 1), 0) "  # noqa: S608
            f"FROM {ACCEPTED} WHERE problem IS NULL"
        )
        accepted, accepted_lines = map(int, cursor.fetchone())
        work_table(
            cursor,
            WRITTEN,
            "SELECT NULL::boolean AS inserted, NULL::bigint AS id, NULL::text AS external_id "
            "WITH NO DATA",
        )
    loads = {Order._meta.db_table: accepted, OrderLine._meta.db_table: accepted_lines}
    # The landing updates the customers' figures too (and so locks their rows anyway).
    writes = ("customers_customer",)
    with (
        bulk_load.rebuilt_after(loads, writes=writes, keys_of_empty_tables=True) as rebuilt,
        connection.cursor() as cursor,
    ):
        first_load = bulk_load.first_load(ORDERS_SPEC, rebuilt)
        created, updated = bulk_load.upsert_counts(
            cursor,
            f"""
            INSERT INTO orders_order AS target
                (source, external_id, number, customer_id, channel, kind, original_id,
                 store_id, placed_at, currency, total, deleted_at)
            SELECT %(source)s, external_id, number, customer_id, channel, kind, original_id,
                   store_id, placed_at, currency, total, NULL
            FROM {ACCEPTED} WHERE problem IS NULL ORDER BY first_row
            """,  # noqa: S608 - our own table
            ORDERS_SPEC,
            params,
            first_load=first_load,
            keep=("id", "external_id"),
            into=WRITTEN,
        )
        # A new order has no lines to compare with: its lines go straight in, in the order the
        # record path writes them.
        cursor.execute(
            f"""
            INSERT INTO orders_orderline (order_id, {", ".join(STORED_LINE_COLUMNS)})
            SELECT w.id, v.id, l.sku, l.description, l.quantity, l.unit_price,
                   l.returned_quantity
            FROM {lines} l
            JOIN {ACCEPTED} a ON a.first_row = l.first_row AND a.problem IS NULL
            JOIN {WRITTEN} w ON w.external_id = a.external_id AND w.inserted
            LEFT JOIN catalog_variant v ON v.sku = l.sku
            ORDER BY w.id, l.line_no
            """  # noqa: S608 - only our own names are interpolated
        )
        # The orders that were there before (none on a first load): their lines are replaced
        # where they differ.
        changed_orders = (
            created if first_load else created + _replace_known_orders_lines(lines, params)
        )
    # After a first load the table holds this landing's orders only: no need to look them up.
    landed = (
        "customer_id IS NOT NULL"
        if first_load
        else f"customer_id IN (SELECT customer_id FROM {ACCEPTED} WHERE problem IS NULL)"  # noqa: S608
    )
    with connection.cursor() as cursor:
        if returns_name_sales:
            _link_returns_to_sales_of_the_load(cursor, params)
        cursor.execute(customer_figures_sql(landed))
    outcome = per_record_counts(
        UpsertResult(created=created, unchanged=accepted - created - updated),
        accepted,
        also_written=changed_orders - created,
    )
    outcome.analysed = set(rebuilt)
    return StagedOrders(outcome=outcome)


def _replace_known_orders_lines(lines: str, params: dict[str, Any]) -> int:
    """Replace the lines of the orders that were there before, where they differ; how many
    orders' lines were."""
    with connection.cursor() as cursor:
        work_table(
            cursor,
            KNOWN_LINES,
            f"""
            SELECT o.id AS order_id, l.line_no, v.id AS variant_id, l.sku, l.description,
                   l.quantity, l.unit_price, l.returned_quantity
            FROM {lines} l
            JOIN {ACCEPTED} a ON a.first_row = l.first_row AND a.problem IS NULL
            JOIN orders_order o ON o.source = %(source)s AND o.external_id = a.external_id
            LEFT JOIN catalog_variant v ON v.sku = l.sku
            WHERE NOT EXISTS (
                SELECT FROM {WRITTEN} w WHERE w.external_id = a.external_id AND w.inserted
            )
            """,  # noqa: S608 - only our own names are interpolated
            params,
        )
        cursor.execute(f"ANALYZE {KNOWN_LINES}")
        cursor.execute(
            replace_staged_lines_sql(KNOWN_LINES, "SELECT count(DISTINCT order_id) FROM inserted")
        )
        return int(cursor.fetchone()[0])


def _returns_name_sales(cursor: Any) -> bool:
    """Whether a return of the load names the sale it returns (most loads have none)."""
    cursor.execute(
        f"SELECT EXISTS (SELECT FROM {ACCEPTED} WHERE original_external_id <> '')"  # noqa: S608
    )
    return bool(cursor.fetchone()[0])


def _find_original_sales(cursor: Any, orders: str, params: dict[str, Any]) -> None:
    """The sales the load's returns name: known already (linked on insert), in the load
    (linked after it, _link_returns_to_sales_of_the_load), or neither (refused, as
    orders_land refuses them)."""
    cursor.execute(
        f"""
        UPDATE {ACCEPTED} a SET original_id = x.id
        FROM orders_order x
        WHERE a.original_external_id <> '' AND x.source = %(source)s
          AND x.external_id = a.original_external_id AND x.kind = 'sale'
        """,  # noqa: S608 - our own table
        params,
    )
    cursor.execute(
        f"""
        UPDATE {ACCEPTED} a SET problem = 'original'
        WHERE a.problem IS NULL AND a.original_external_id <> '' AND a.original_id IS NULL
          AND NOT EXISTS (SELECT FROM {orders} f
                          WHERE f.external_id = a.original_external_id AND f.kind = 'sale')
        """  # noqa: S608 - the caller's table and ours
    )


def _link_returns_to_sales_of_the_load(cursor: Any, params: dict[str, Any]) -> None:
    cursor.execute(
        f"""
        UPDATE orders_order o SET original_id = x.id
        FROM {ACCEPTED} a, orders_order x
        WHERE a.problem IS NULL AND a.original_external_id <> '' AND a.original_id IS NULL
          AND o.source = %(source)s AND o.external_id = a.external_id
          AND x.source = %(source)s AND x.external_id = a.original_external_id
          AND x.kind = 'sale' AND o.original_id IS DISTINCT FROM x.id
        """,  # noqa: S608 - our own table
        params,
    )
