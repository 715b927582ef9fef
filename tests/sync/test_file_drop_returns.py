"""Money that adds up through the file drop: credit notes, returns linked to their sale, net
figures, prices as precise as the source sends them, products without a name.

Every test of orders runs both ways a file can land: page by page, and (on PostgreSQL) by the
fast path that COPYs the whole file; both must give the same result.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from frontline.catalog.models import Product
from frontline.customers.models import Customer
from frontline.orders.models import Order, OrderLine
from frontline.sync import engine
from frontline.sync.connectors.file_drop import inbox_of
from frontline.sync.models import QuarantinedRecord, Run, Source

pytestmark = pytest.mark.django_db

ORDER_COLUMNS = (
    "order_id",
    "number",
    "customer_id",
    "kind",
    "original_order_id",
    "placed_at",
    "total",
    "sku",
    "quantity",
    "unit_price",
    "returned_quantity",
)


@pytest.fixture(params=["page_by_page", "fast_path"])
def landing_path(request, settings) -> str:
    if request.param == "fast_path":
        if connection.vendor != "postgresql":
            pytest.skip("the fast path is PostgreSQL's own")
        settings.SYNC_FAST_PATH_MIN_BYTES = 0
    else:
        settings.SYNC_FAST_PATH_MIN_BYTES = 10**12
    return request.param


@pytest.fixture
def run(erp: Source, django_capture_on_commit_callbacks) -> Callable[[str], Run]:
    def run_entity(entity: str) -> Run:
        with django_capture_on_commit_callbacks(execute=True):
            result = engine.run_sync(source=erp, entity=entity)
        assert result.status == "succeeded", result.error
        return result

    return run_entity


@pytest.fixture
def customers(drop, run) -> dict[str, Customer]:
    rows = [
        {"external_id": f"E{n}", "number": f"N{n}", "first_name": name, "email": ""}
        for n, name in enumerate(["Ada", "Grace", "Alan"], start=1)
    ]
    drop("customers-1.csv", rows)
    run("customers")
    return {row["external_id"]: Customer.objects.get(number=row["number"]) for row in rows}


def line(order_id: str, customer: str, total: str, sku: str, quantity: int, price: str, **more):
    """One CSV row of an order file (consecutive rows of one order_id make the order)."""
    values: dict[str, Any] = {
        "order_id": order_id,
        "number": order_id,
        "customer_id": customer,
        "kind": "",
        "original_order_id": "",
        "placed_at": "2026-10-02T09:30:00Z",
        "total": total,
        "sku": sku,
        "quantity": quantity,
        "unit_price": price,
        "returned_quantity": 0,
    }
    values.update(more)
    return {name: values[name] for name in ORDER_COLUMNS}


def figures(customer: Customer) -> tuple[Decimal, int]:
    customer.refresh_from_db()
    return customer.lifetime_value, customer.order_count


def reasons() -> list[str]:
    return sorted(QuarantinedRecord.objects.values_list("reason", flat=True))


def test_a_credit_note_lands_with_negative_lines_and_reduces_net_spend(
    landing_path, customers, drop, run
):
    drop(
        "orders-1.csv",
        [
            line("536365", "E1", "110.00", "SKU1", 2, "50.00"),
            line("536365", "E1", "110.00", "SKU2", 1, "10.00"),
            line("C536379", "E1", "-50.00", "SKU1", -1, "50.00"),
        ],
    )

    result = run("orders")

    assert (result.created, result.quarantined) == (2, 0)
    credit = Order.objects.get(number="C536379")
    assert (credit.kind, credit.total, credit.original) == ("return", Decimal("-50.00"), None)
    assert list(credit.lines.values_list("quantity", "unit_price")) == [(-1, Decimal("50"))]
    # Net of the credit note; a return is no order of its own.
    assert figures(customers["E1"]) == (Decimal("60.00"), 1)

    drop("orders-2.csv", [line("C536379", "E1", "-50.00", "SKU1", -1, "50.00")])
    replay = run("orders")
    assert (replay.created, replay.updated, replay.unchanged) == (0, 0, 1)


def test_a_return_linked_to_its_sale_lands_with_the_link_in_the_same_file_or_later(
    landing_path, customers, drop, run
):
    drop(
        "orders-1.csv",
        [
            line("S1", "E2", "30.00", "SKU1", 3, "10.00"),
            line("R1", "E2", "-10.00", "SKU1", -1, "10.00", original_order_id="S1"),
        ],
    )
    run("orders")
    drop(
        "orders-2.csv",
        [
            # Named a return, with the units and money counted positive, as some ERPs write it.
            line("R2", "E2", "10.00", "SKU1", 1, "10.00", kind="return", original_order_id="S1"),
            line("R3", "E2", "-10.00", "SKU1", -1, "10.00", original_order_id="NOWHERE"),
        ],
    )
    run("orders")

    sale = Order.objects.get(number="S1")
    assert sorted(sale.returns.values_list("number", "total")) == [
        ("R1", Decimal("-10.00")),
        ("R2", Decimal("-10.00")),
    ]
    assert OrderLine.objects.get(order__number="R2").quantity == -1
    assert reasons() == ["unknown original sale 'NOWHERE' (sync the sale first)"]
    assert figures(customers["E2"]) == (Decimal("10.00"), 1)


def test_a_customer_whose_returns_exceed_purchases_has_a_negative_lifetime_value(
    landing_path, customers, drop, run
):
    # Bought before the sources' history starts, returned within it.
    drop(
        "orders-1.csv",
        [
            line("S1", "E3", "5.00", "SKU1", 1, "5.00"),
            line("C1", "E3", "-80.00", "SKU2", -2, "40.00"),
        ],
    )
    run("orders")

    assert figures(customers["E3"]) == (Decimal("-75.00"), 1)


def test_units_returned_against_sold_lines_are_taken_off_the_lifetime_value(
    landing_path, customers, drop, run
):
    drop(
        "orders-1.csv",
        [
            line("S1", "E1", "100.00", "SKU1", 2, "40.00", returned_quantity=1),
            line("S1", "E1", "100.00", "SKU2", 1, "20.00"),
        ],
    )
    run("orders")

    assert figures(customers["E1"]) == (Decimal("60.00"), 1)


def test_a_price_of_a_tenth_of_a_penny_is_kept_and_a_total_is_never_rounded(
    landing_path, customers, drop, run
):
    drop(
        "orders-1.csv",
        [
            line("S1", "E1", "0.01", "PADS", 10, "0.001"),
            line("S2", "E1", "20.005", "SKU1", 1, "20.005"),
        ],
    )
    run("orders")

    assert OrderLine.objects.get(order__number="S1").unit_price == Decimal("0.001")
    assert reasons() == ["total '20.005' has more than 2 decimals"]


def test_orders_that_mix_sold_and_returned_lines_or_contradict_their_kind_are_refused(
    landing_path, customers, drop, run
):
    drop(
        "orders-1.csv",
        [
            line("X1", "E1", "10.00", "SKU1", 2, "10.00"),
            line("X1", "E1", "10.00", "SKU2", -1, "10.00"),
            line("X2", "E1", "-10.00", "SKU1", 1, "10.00"),
            line("X3", "E1", "-10.00", "SKU1", -1, "10.00", kind="sale"),
            line("X4", "E1", "-10.00", "SKU1", -1, "10.00", returned_quantity=1),
        ],
    )
    run("orders")

    assert not Order.objects.exists()
    assert reasons() == [
        "a sale's quantities must be positive",
        "an order mixes sold and returned lines: send the return as a document of its own",
        "total '-10.00' of a sale must be zero or more",
        "units are returned against a sold line, not a returned one",
    ]


def test_a_product_without_a_name_lands_with_its_code_as_name_and_flagged(drop, run):
    row = {
        "style_code": "85123A",
        "name": "",
        "brand": "House",
        "category": "accessories",
        "sku": "85123A-1",
        "size": "one",
        "colour": "white",
        "price": "2.55",
    }
    drop("products-1.csv", [row, {**row, "style_code": "22423", "sku": "22423-1", "name": "Cake"}])

    result = run("products")

    assert (result.created, result.quarantined) == (2, 0)
    assert sorted(Product.objects.values_list("style_code", "name", "name_is_code")) == [
        ("22423", "Cake", False),
        ("85123A", "85123A", True),
    ]


def planner_rows(*tables: str) -> dict[str, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [list(tables)]
        )
        return dict(cursor.fetchall())


def test_a_small_import_leaves_the_planner_statistics_of_what_it_changed_fresh(
    customers, drop, run
):
    """On PostgreSQL itself: an import that is material for the table (more than 50 rows + 10 %
    of what the planner believes it holds) leaves statistics that count what it holds."""
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    tables = ("orders_order", "orders_orderline")
    # reltuples survives the rollback of earlier tests (ANALYZE writes it in place).
    believed = max(0.0, *planner_rows(*tables).values())
    orders = 60 + int(believed / 10)
    drop(
        "orders-1.csv",
        [line(f"S{n}", "E1", "10.00", "SKU1", 1, "10.00") for n in range(orders)],
    )
    run("orders")

    assert planner_rows(*tables) == {"orders_order": orders, "orders_orderline": orders}


# --- A real morning of a shop's invoices -------------------------------------------------

ONLINE_RETAIL = Path(__file__).parents[1] / "data" / "online_retail" / "invoices-2010-12-01.csv"
PENNY = Decimal("0.01")


def online_retail_rows() -> list[dict[str, str]]:
    with ONLINE_RETAIL.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def invoice_total(lines: list[dict[str, str]]) -> Decimal:
    """What the invoice comes to, to the penny (the extract has line prices only)."""
    amount = sum(Decimal(line["Quantity"]) * Decimal(line["UnitPrice"]) for line in lines)
    return Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)


def as_order_rows(raw: list[dict[str, str]]) -> list[dict[str, object]]:
    """The invoices as a file-drop order file, as an ERP export of them would be written."""
    rows: list[dict[str, object]] = []
    for invoice, group in itertools.groupby(raw, key=lambda row: row["InvoiceNo"]):
        lines = list(group)
        placed = datetime.strptime(lines[0]["InvoiceDate"], "%m/%d/%Y %H:%M")
        for raw_line in lines:
            rows.append(
                {
                    "order_id": invoice,
                    "number": invoice,
                    "customer_id": raw_line["CustomerID"],
                    "placed_at": f"{placed:%Y-%m-%dT%H:%M:00Z}",
                    "total": invoice_total(lines),
                    "sku": raw_line["StockCode"],
                    "description": raw_line["Description"],
                    "quantity": raw_line["Quantity"],
                    "unit_price": raw_line["UnitPrice"],
                }
            )
    return rows


def expected_figures(raw: list[dict[str, str]]) -> dict[str, tuple[Decimal, int]]:
    """Net spend and number of sales per customer, straight from the raw rows: a credit note
    (an invoice number starting with "C") counts against the customer, not as an order."""
    figures: dict[str, tuple[Decimal, int]] = {}
    for invoice, group in itertools.groupby(raw, key=lambda row: row["InvoiceNo"]):
        lines = list(group)
        customer = lines[0]["CustomerID"]
        if not customer:
            continue
        spent, orders = figures.get(customer, (Decimal("0.00"), 0))
        sale = not invoice.startswith("C")
        figures[customer] = (spent + invoice_total(lines), orders + sale)
    return figures


def write_rows(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_real_morning_of_invoices_with_credit_notes_adds_up_to_the_raw_rows(
    landing_path, erp, run
):
    raw = online_retail_rows()
    inbox = inbox_of(erp.name)
    inbox.mkdir(parents=True, exist_ok=True)
    customer_ids = sorted({row["CustomerID"] for row in raw if row["CustomerID"]})
    write_rows(
        inbox / "customers-online-retail.csv",
        [{"external_id": c, "number": f"OR{c}", "first_name": "Customer"} for c in customer_ids],
    )
    write_rows(inbox / "orders-online-retail.csv", as_order_rows(raw))
    run("customers")

    result = run("orders")

    invoices = {row["InvoiceNo"] for row in raw}
    credit_notes = {invoice for invoice in invoices if invoice.startswith("C")}
    assert (result.created, result.quarantined) == (len(invoices), 0)
    assert set(Order.objects.filter(kind="return").values_list("number", flat=True)) == credit_notes
    landed = {
        identity: (lifetime_value, order_count)
        for identity, lifetime_value, order_count in Customer.objects.values_list(
            "identities__external_id", "lifetime_value", "order_count"
        )
    }
    assert landed == expected_figures(raw)
    # Two customers only returned things that morning (bought before it): negative, truly.
    assert sorted(c for c, (spent, _) in landed.items() if spent < 0) == ["14527", "17548"]
    # The line without a description landed as it was sent, on a guest order.
    assert Order.objects.get(number="536414").customer is None
