"""The PostgreSQL fast path for big file drops lands exactly what the page-by-page path lands.

The same files — clean rows and every kind of awkward one (values the mapping normalises, values
it refuses, records the writers refuse, contact points that match or half-match customers already
known) — are imported both ways into the same starting database, and everything the import
writes is compared: customers and their figures, identities, orders and their lines, the
quarantine with its reasons and payloads, the merge-review doubts and the runs' counts.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from frontline.core import bulk_load
from frontline.customers.models import Customer, CustomerIdentity
from frontline.orders.models import Order, OrderLine
from frontline.sync import bulk_file, engine
from frontline.sync.connectors import connector_for
from frontline.sync.connectors.file_drop import inbox_of
from frontline.sync.models import (
    Cursor,
    Lease,
    ProcessedFile,
    QuarantinedRecord,
    Run,
    Source,
    UncertainMatch,
)
from tests.factories import CustomerFactory, StoreFactory, VariantFactory
from tests.sync import generate

pytestmark = [
    pytest.mark.django_db(transaction=False),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the fast path is PostgreSQL's own"
    ),
]

CUSTOMERS = 400
LINES = 1500


def awkward_customers() -> list[list[str]]:
    """Rows beyond the generated ones, in generate.CUSTOMER_COLUMNS order."""
    return [
        # Normalised by the mapping: padded text, upper-case e-mail, a national phone number,
        # a lower-case country, a padded tier, no customer number.
        [
            "X1",
            " NX1 ",
            " Ada ",
            "Lovelace ",
            " Ada.X1@Example.COM ",
            "07700 900111",
            "n1",
            "gb",
            " Gold ",
        ],
        ["X2", "", "Grace", "Hopper", "grace@example.com", "+44 7700 900112", "", "", ""],
        # A long external id and no number: the number is hashed.
        ["X3-" + "z" * 40, "", "Alan", "Turing", "", "", "", "", "vip"],
        # Refused by the mapping.
        ["X4", "NX4", "Bad", "Email", "not-an-email", "", "", "GB", "member"],
        ["X5", "NX5", "", "Nameless", "", "", "", "GB", "member"],
        ["X6", "NX6", "Bad", "Phone", "", "12", "", "GB", "member"],
        ["X7", "NX7", "Bad", "Country", "", "", "", "GBR", "member"],
        ["X8", "NX8", "Bad", "Tier", "", "", "", "GB", "platinum"],
        ["", "NX9", "No", "Id", "", "", "", "GB", "member"],
        # Matches a known customer by e-mail (same name): attached to that customer.
        ["X10", "", "Edsger", "Dijkstra", "edsger@known.example", "", "", "GB", "member"],
        # E-mail one known customer's, phone another's: a new customer and a doubt.
        ["X11", "", "Barbara", "Liskov", "barbara@known.example", "+447700955555", "", "GB", ""],
        # Contact point matches but the name clearly differs: a new customer and a doubt.
        ["X12", "", "Zebedee", "Quint", "donald@known.example", "", "", "GB", ""],
        # The brand's customer number of a known customer: that customer, updated.
        ["X13", "KNOWN-4", "Frances", "Allen", "frances@new.example", "", "", "GB", "silver"],
        # Clean but for the case of the e-mail.
        ["X15", "NX15", "Mixed", "Case", "Mixed.Case@Example.com", "+447700900115", "", "GB", ""],
        # The same external id twice: the later row wins.
        ["X14", "NX14", "First", "Version", "", "", "", "GB", ""],
        ["X14", "NX14", "Second", "Version", "", "", "", "GB", ""],
    ]


def awkward_orders() -> list[list[str]]:
    """Orders beyond the generated ones, in generate.ORDER_COLUMNS order (one row a line)."""

    def order(order_id: str, *lines: list[str], **header: str) -> list[list[str]]:
        values = {
            "number": f"S{order_id}",
            "customer_id": "E1",
            "channel": "online",
            "store": "",
            "placed_at": "2026-10-02T09:30:00Z",
            "currency": "GBP",
            "total": "20.00",
            **header,
        }
        head = [values[name] for name in generate.ORDER_COLUMNS[1:8]]
        return [[order_id, *head, *line] for line in lines]

    line = ["SKU00001", "Item", "1", "10.00", "0"]
    return [
        # Normalised by the mapping.
        *order("Y1", line, line, placed_at="2026-10-02 09:30:00", channel=" Store ", store="s1"),
        *order("Y2", line, total="20.00", currency="gbp"),
        *order(
            "Y3",
            [" SKU00002 ", " Padded ", " 2 ", "5.5", ""],
            placed_at="2026-10-02T09:30:00+02:00",
        ),
        # Refused by the mapping.
        *order("Y4", line, placed_at="2026-02-30T10:00:00Z"),
        *order("Y5", ["SKU00001", "Item", "0", "10.00", "0"]),
        *order("Y6", line, ["SKU00001", "Item", "1", "10.00", "2"]),
        *order("Y7", line, total="-1"),
        *order("Y8", line, channel="phone"),
        # More decimals than the column keeps: refused, never rounded.
        *order("Y15", line, total="20.005"),
        *order("", line),
        # Refused by the orders writer.
        *order("Y9", line, customer_id="GHOST"),
        *order("Y10", line, channel="store", store="nowhere"),
        *order("Y11", line, channel="store"),
        *order("Y12", line, number="SO000000001"),
        # A guest order and an order for a customer who came with a national phone number.
        *order("Y13", line, customer_id=""),
        *order("Y14", line, line, line, customer_id="X1", placed_at="2026-10-03T23:59:59.5Z"),
    ]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def drop_files(source: Source, tmp_path: Path, *, version: int) -> None:
    """Generated records with the awkward ones spread through them; version 1 changes a few."""
    inbox = inbox_of(source.name)
    inbox.mkdir(parents=True, exist_ok=True)
    customers = [generate.customer_row(n, version=version * (n % 7 == 0)) for n in range(CUSTOMERS)]
    for offset, row in enumerate(awkward_customers()):
        customers.insert(offset * 25, row)
    write_csv(inbox / f"customers-{version}.csv", generate.CUSTOMER_COLUMNS, customers)
    generated = tmp_path / "orders.csv"
    generate.write_orders(generated, LINES, customers=CUSTOMERS)
    with generated.open(newline="") as handle:
        orders = list(csv.reader(handle))[1:]
    if version:
        orders = [
            [*row[:10], str(int(row[10]) + (index % 11 == 0)), *row[11:]]
            for index, row in enumerate(orders)
        ]
    awkward = awkward_orders()
    orders = orders[:500] + awkward[:12] + orders[500:1000] + awkward[12:] + orders[1000:]
    write_csv(inbox / f"orders-{version}.csv", generate.ORDER_COLUMNS, orders)


def known_customers() -> None:
    CustomerFactory(
        number="KNOWN-1",
        first_name="Edsger",
        last_name="Dijkstra",
        email="edsger@known.example",
        phone="+447700944444",
    )
    CustomerFactory(
        number="KNOWN-2",
        first_name="Barbara",
        last_name="Liskov",
        email="barbara@known.example",
        phone="+447700933333",
    )
    CustomerFactory(
        number="KNOWN-3",
        first_name="Barbara",
        last_name="Liskov",
        email="other@known.example",
        phone="+447700955555",
    )
    CustomerFactory(
        number="KNOWN-4",
        first_name="Frances",
        last_name="Allen",
        email="frances@known.example",
        phone="",
    )
    CustomerFactory(
        number="KNOWN-5",
        first_name="Donald",
        last_name="Knuth",
        email="donald@known.example",
        phone="",
    )


CUSTOMER_FIELDS = (
    *generate.CUSTOMER_COLUMNS[1:],
    "lifetime_value",
    "order_count",
    "first_purchase_at",
    "last_purchase_at",
)
ORDER_FIELDS = ("source", "external_id", "number", "channel", "store__code", "placed_at")
LINE_FIELDS = ("sku", "description", "quantity", "unit_price", "returned_quantity", "variant__sku")


def snapshot() -> dict[str, Any]:
    """What an import wrote, by natural keys (ids differ from one import to the other)."""
    numbers = dict(Customer.objects.values_list("id", "number"))
    lines: dict[int, list[tuple[Any, ...]]] = {}
    for order_id, *line in OrderLine.objects.order_by("id").values_list("order_id", *LINE_FIELDS):
        lines.setdefault(order_id, []).append(tuple(line))
    identities = CustomerIdentity.objects.values_list(
        "source", "external_id", "customer_id", "email", "phone"
    )
    orders = Order.objects.values_list("pk", "customer_id", "currency", "total", *ORDER_FIELDS)
    quarantine = QuarantinedRecord.objects.values_list("entity", "external_id", "reason", "payload")
    return {
        "customers": sorted(Customer.objects.values_list(*CUSTOMER_FIELDS)),
        "identities": sorted(
            (source, external_id, numbers[customer], email, phone)
            for source, external_id, customer, email, phone in identities
        ),
        "orders": sorted(
            (*rest, numbers.get(customer), currency, total, lines.get(pk))
            for pk, customer, currency, total, *rest in orders
        ),
        "quarantine": sorted(
            (entity, external_id, reason, sorted(payload.items(), key=str))
            for entity, external_id, reason, payload in quarantine
        ),
        "doubts": sorted(
            (
                doubt.external_id,
                doubt.customer.number,
                sorted(numbers[c] for c in doubt.candidate_ids),
                doubt.reason,
            )
            for doubt in UncertainMatch.objects.select_related("customer")
        ),
        "runs": sorted(
            Run.objects.values_list(
                "entity", "status", "pages", "created", "updated", "unchanged", "quarantined"
            )
        ),
    }


def reset() -> None:
    for model in (
        OrderLine,
        Order,
        UncertainMatch,
        CustomerIdentity,
        QuarantinedRecord,
        Run,
        Cursor,
        ProcessedFile,
        Lease,
    ):
        model.objects.all().delete()
    Customer.objects.all().delete()


def import_both_versions(source: Source, tmp_path: Path, capture) -> list[dict[str, Any]]:
    known_customers()
    snapshots = []
    for version in (0, 1):
        drop_files(source, tmp_path, version=version)
        for entity in ("customers", "orders"):
            with capture(execute=True):
                engine.run_sync(source=source, entity=entity)
        snapshots.append(snapshot())
    return snapshots


@pytest.mark.parametrize(
    ("rebuild_min_rows", "rebuilt"),
    [
        # Indexes and foreign keys kept and maintained row by row.
        (10**12, []),
        # Dropped and rebuilt whenever a load brings at least as many rows as the table holds,
        # as all of the first version's loads into empty tables do.
        (
            0,
            [
                "customers_customer",
                "customers_customeridentity",
                "orders_order",
                "orders_orderline",
            ],
        ),
    ],
    ids=["indexes-kept", "indexes-rebuilt"],
)
def test_the_fast_path_lands_what_the_page_by_page_path_lands(
    erp,
    tmp_path,
    settings,
    django_capture_on_commit_callbacks,
    monkeypatch,
    first_loads,
    rebuild_min_rows,
    rebuilt,
):
    StoreFactory(code="s1")
    VariantFactory(sku="SKU00001")
    fast_files = []
    real_stage = bulk_file.stage
    monkeypatch.setattr(
        bulk_file, "stage", lambda *args: fast_files.append(args[2].name) or real_stage(*args)
    )
    rebuilds = []
    real_restore = bulk_load._restore
    monkeypatch.setattr(
        bulk_load,
        "_restore",
        lambda dropped: rebuilds.append(dropped.table) or real_restore(dropped),
    )
    settings.SYNC_BULK_REBUILD_MIN_ROWS = rebuild_min_rows

    settings.SYNC_FAST_PATH_MIN_BYTES = 10**12
    page_by_page = import_both_versions(erp, tmp_path, django_capture_on_commit_callbacks)
    assert fast_files == []
    reset()
    settings.SYNC_FAST_PATH_MIN_BYTES = 0
    fast = import_both_versions(erp, tmp_path, django_capture_on_commit_callbacks)

    assert fast_files == ["customers-0.csv", "orders-0.csv", "customers-1.csv", "orders-1.csv"]
    assert rebuilds[: len(rebuilt)] == rebuilt
    # Only a load into an empty table that its rebuild holds locked inserts without ON
    # CONFLICT: not the customers (known_customers() are there), nor any second load.
    upserted = ["customers_customer", "customers_customeridentity", "orders_order"]
    first = [(upserted[0], False)] + [(table, bool(rebuilt)) for table in upserted[1:]]
    assert first_loads == first + [(table, False) for table in upserted]
    for first_load, key in ((page_by_page[0], "first"), (page_by_page[1], "second")):
        assert first_load["runs"] and all(run[1] == "succeeded" for run in first_load["runs"]), key
    # The awkward rows took the paths they were written for.
    reasons = {reason for _, _, reason, _ in page_by_page[0]["quarantine"]}
    assert {
        "phone '12' is not valid",
        "placed_at '2026-02-30T10:00:00Z' is not a date and time",
        "unknown customer 'GHOST' (sync customers first)",
        'refused: duplicate key value violates unique constraint "orders_order_number_key"',
    } <= reasons
    assert ("NX1", "Ada", "Lovelace", "ada.x1@example.com", "+447700900111") in [
        customer[:5] for customer in page_by_page[0]["customers"]
    ]
    assert [doubt[0] for doubt in page_by_page[0]["doubts"]] == ["X11", "X12"]
    for expected, got in zip(page_by_page, fast, strict=True):
        for part in expected:
            assert got[part] == expected[part], part


def test_a_file_the_fast_path_cannot_read_as_the_generic_path_does_goes_page_by_page(
    erp, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_FAST_PATH_MIN_BYTES = 0
    inbox = inbox_of(erp.name)
    inbox.mkdir(parents=True, exist_ok=True)
    # The rows of order O1 are not consecutive: two orders for the generic path.
    line = ["online", "", "2026-10-01T10:00:00Z", "GBP", "1.00"]
    write_csv(
        inbox / "orders-1.csv",
        generate.ORDER_COLUMNS,
        [
            ["O1", "N1", "", *line, "A", "", "1", "1.00", "0"],
            ["O2", "N2", "", *line, "A", "", "1", "1.00", "0"],
            ["O1", "N1", "", *line, "B", "", "1", "1.00", "0"],
        ],
    )

    assert bulk_file.stage(connector_for(erp), "orders", inbox / "orders-1.csv") is None
    with django_capture_on_commit_callbacks(execute=True):
        run = engine.run_sync(source=erp, entity="orders")

    assert (run.status, run.pages, Order.objects.count()) == ("succeeded", 1, 2)


def work_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", [bulk_file.WORK_SCHEMA]
        )
        return {name for (name,) in cursor.fetchall()}


def test_staging_tables_belong_to_their_session_and_do_not_outlive_it(
    erp, tmp_path, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.SYNC_FAST_PATH_MIN_BYTES = 0
    # Row numbers drawn a few at a time, so that the files' numbering crosses many draws: a
    # gap would make the orders look scattered and send the file page by page.
    monkeypatch.setattr(bulk_file, "ROW_NUMBERS_CACHED", 7)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
        live = cursor.fetchone()[0]
        # Left by a worker killed between staging a file and landing it (Linux pids stop at
        # 2**22, so no backend has this one), and by a session that is still there.
        # A table of another name is none of the sweep's business.
        for name in ("stage_99999999", "groups_99999999", f"stage_{live}", "notes"):
            cursor.execute(f"CREATE UNLOGGED TABLE {bulk_file.WORK_SCHEMA}.{name} (x int)")
    seen_while_landing = []
    real_land = bulk_file.StagedFile.land
    monkeypatch.setattr(
        bulk_file.StagedFile,
        "land",
        lambda staged, run: seen_while_landing.append(work_tables()) or real_land(staged, run),
    )
    known_customers()
    drop_files(erp, tmp_path, version=0)

    for entity in ("customers", "orders"):
        with django_capture_on_commit_callbacks(execute=True):
            run = engine.run_sync(source=erp, entity=entity)
        assert run.status == "succeeded", run.error

    assert seen_while_landing == [
        {f"stage_{live}", "notes", f"stage_{own}"},
        {f"stage_{live}", "notes", f"stage_{own}", f"groups_{own}"},
    ]
    assert work_tables() == {f"stage_{live}", "notes"}
    # drop_files' generated and awkward lines but those of the orders quarantined.
    assert OrderLine.objects.count() == 1506


def test_a_database_that_refuses_the_staging_tables_gets_the_file_page_by_page(
    erp, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_FAST_PATH_MIN_BYTES = 0
    inbox = inbox_of(erp.name)
    inbox.mkdir(parents=True, exist_ok=True)
    generate.write_customers(inbox / "customers-1.csv", 40)
    with connection.cursor() as cursor:
        # As for a database user who may not create tables there (rolled back with the test).
        cursor.execute(f"DROP SCHEMA {bulk_file.WORK_SCHEMA}")

    assert bulk_file.stage(connector_for(erp), "customers", inbox / "customers-1.csv") is None
    with django_capture_on_commit_callbacks(execute=True):
        run = engine.run_sync(source=erp, entity="customers")

    assert (run.status, run.created, Customer.objects.count()) == ("succeeded", 40, 40)
