from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from frontline.catalog import loading as catalog_loading
from frontline.catalog.models import StockLevel, Variant
from frontline.customers.models import Customer, CustomerIdentity
from frontline.orders.models import Order, OrderLine
from frontline.sync import engine, seams
from frontline.sync.connectors.file_drop import inbox_of
from frontline.sync.models import Lease, ProcessedFile, QuarantinedRecord, Run, UncertainMatch
from frontline.sync.services import quarantine_retry
from tests.factories import CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db(transaction=False)


def customer_row(n: int, **changes: object) -> dict[str, object]:
    row = {
        "external_id": f"E{n}",
        "number": f"N{n:06d}",
        "first_name": f"Ada{n}",
        "last_name": "Lovelace",
        "email": f"Ada{n}@Example.com",
        "phone": f"+4477009{n:05d}",
        "postcode": "N1 9GU",
        "country": "GB",
        "tier": "gold",
    }
    return {**row, **changes}


@pytest.fixture(autouse=True)
def _run_after_commit_callbacks(django_capture_on_commit_callbacks):
    """Page transactions commit inside the test's transaction: run their after-commit work."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def sync(erp, entity: str) -> Run:
    with _capture(execute=True):
        return engine.run_sync(source=erp, entity=entity)


def test_customers_land_once_and_an_unchanged_file_writes_nothing(erp, drop, archived):
    drop("customers-1.csv", [customer_row(n) for n in range(3)])
    run = sync(erp, "customers")

    assert (run.status, run.created, run.updated, run.unchanged) == ("succeeded", 3, 0, 0)
    ada = Customer.objects.get(number="N000001")
    assert (ada.email, ada.phone, ada.tier) == ("ada1@example.com", "+447700900001", "gold")
    assert CustomerIdentity.objects.get(source="erp", external_id="E1").customer == ada
    assert archived() == ["customers-1.csv"]
    assert not list(inbox_of(erp.name).iterdir())

    stamp = ada.updated_at
    drop("customers-2.jsonl", [customer_row(n) for n in range(3)])  # same records, new file
    again = sync(erp, "customers")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    ada.refresh_from_db()
    assert ada.updated_at == stamp


def test_a_file_dropped_twice_is_processed_once(erp, drop, archived):
    drop("customers-a.csv", [customer_row(1)])
    sync(erp, "customers")
    Customer.objects.update(first_name="Edited in Frontline")
    drop("customers-a.csv", [customer_row(1)])

    run = sync(erp, "customers")

    assert run.records == 0
    assert Customer.objects.get().first_name == "Edited in Frontline"
    assert archived() == ["customers-a.csv", "customers-a.csv"]


def test_a_changed_record_is_updated_and_the_others_are_left_alone(erp, drop):
    drop("customers-1.jsonl", [customer_row(n) for n in range(3)])
    sync(erp, "customers")
    drop(
        "customers-2.jsonl", [customer_row(0), customer_row(1, last_name="Byron"), customer_row(2)]
    )

    run = sync(erp, "customers")

    assert (run.created, run.updated, run.unchanged) == (0, 1, 2)
    assert Customer.objects.get(number="N000001").last_name == "Byron"


def test_malformed_records_are_quarantined_while_the_rest_lands_and_can_be_retried(erp, drop):
    rows = [customer_row(1), customer_row(2, email="not-an-email"), customer_row(3, first_name="")]
    path = drop("customers-1.csv", rows)
    with path.open("a") as handle:
        handle.write("")
    drop("customers-2.jsonl", '{"external_id": "E9", "first_name": "Bo"}\n{broken json\n')

    run = sync(erp, "customers")

    assert (run.created, run.quarantined) == (2, 3)
    reasons = sorted(QuarantinedRecord.objects.values_list("reason", flat=True))
    assert reasons[0] == "e-mail 'not-an-email' is not valid"
    assert reasons[1] == "first_name is missing"
    assert reasons[2].startswith("not valid JSON (line 2")
    bad_email = QuarantinedRecord.objects.get(external_id="E2")
    bad_email.payload["email"] = "ada2@example.com"
    bad_email.save()

    assert quarantine_retry(record_ids=[bad_email.pk]) == (1, 0)
    bad_email.refresh_from_db()
    assert bad_email.status == "resolved"
    assert Customer.objects.filter(email="ada2@example.com").exists()


def test_a_contact_point_match_attaches_the_identity_to_the_existing_customer(erp, drop):
    known = CustomerFactory(
        first_name="Ada1", last_name="Lovelace", email="ada1@example.com", phone="+447700911111"
    )
    drop("customers-1.csv", [customer_row(1, number="")])

    run = sync(erp, "customers")

    assert (run.created, run.updated) == (0, 1)
    assert CustomerIdentity.objects.get(external_id="E1").customer == known
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("email_owner", "phone_owner", "name", "reason"),
    [
        ("a", "b", "Ada1 Lovelace", "e-mail matches one customer, phone another"),
        ("a", None, "Zebedee Quint", "contact point matches but the name clearly differs"),
    ],
)
def test_an_uncertain_match_creates_a_new_customer_and_records_the_doubt(
    erp, drop, email_owner, phone_owner, name, reason
):
    people = {
        "a": CustomerFactory(
            first_name="Ada1", last_name="Lovelace", email="ada1@example.com", phone="+447700911111"
        ),
        "b": CustomerFactory(
            first_name="Ada1",
            last_name="Lovelace",
            phone="+447700900001" if phone_owner == "b" else "+447700922222",
        ),
    }
    first, last = name.split()
    drop("customers-1.csv", [customer_row(1, number="", first_name=first, last_name=last)])

    sync(erp, "customers")

    created = CustomerIdentity.objects.get(external_id="E1").customer
    assert created not in people.values()
    doubt = UncertainMatch.objects.get()
    assert doubt.customer == created
    assert doubt.reason == reason
    expected = {people[email_owner].pk} | ({people[phone_owner].pk} if phone_owner else set())
    assert set(doubt.candidate_ids) == expected


def product_row(sku: str, **changes: object) -> dict[str, object]:
    row = {
        "style_code": "ST-1",
        "name": "Wool coat",
        "brand": "Northwind",
        "category": "outerwear",
        "season": "aw",
        "sku": sku,
        "barcode": "",
        "size": sku[-1],
        "colour": "navy",
        "price": "199.00",
        "currency": "GBP",
    }
    return {**row, **changes}


def test_products_stock_and_orders_land_and_stock_arrivals_are_announced(erp, drop, monkeypatch):
    store = StoreFactory(code="store-1")
    arrivals = []
    announce = lambda *, pairs: arrivals.extend(pairs)  # noqa: E731
    monkeypatch.setattr(catalog_loading, "back_in_stock_announce", announce)
    drop("products-1.csv", [product_row("COAT-S"), product_row("COAT-M")])
    drop("customers-1.csv", [customer_row(1)])
    drop(
        "stock-1.csv",
        [
            {"sku": "COAT-S", "store": "store-1", "on_hand": 0},
            {"sku": "COAT-M", "store": "store-1", "on_hand": 2},
        ],
    )
    drop(
        "orders-1.csv",
        [
            {
                "order_id": "O1",
                "number": "1001",
                "customer_id": "E1",
                "channel": "store",
                "store": "store-1",
                "placed_at": "2026-11-01T10:00:00Z",
                "currency": "GBP",
                "total": "398.00",
                "sku": sku,
                "description": "Wool coat",
                "quantity": 1,
                "unit_price": "199.00",
                "returned_quantity": 0,
            }
            for sku in ("COAT-S", "COAT-M")
        ],
    )

    for entity in ("products", "customers", "stock", "orders"):
        assert sync(erp, entity).status == "succeeded"

    coat_m = Variant.objects.get(sku="COAT-M")
    assert arrivals == [(coat_m.pk, store.pk)]
    order = Order.objects.get(external_id="O1")
    assert (order.total, order.customer.number, order.store) == (
        Decimal("398.00"),
        "N000001",
        store,
    )
    assert list(order.lines.values_list("sku", flat=True)) == ["COAT-S", "COAT-M"]
    assert (order.customer.order_count, order.customer.lifetime_value) == (1, Decimal("398.00"))

    arrivals.clear()
    drop(
        "stock-2.csv",
        [
            {"sku": "COAT-S", "store": "store-1", "on_hand": 3},
            {"sku": "COAT-M", "store": "store-1", "on_hand": 5},
        ],
    )
    run = sync(erp, "stock")
    assert (run.updated, run.unchanged) == (2, 0)
    assert arrivals == [(Variant.objects.get(sku="COAT-S").pk, store.pk)]


def test_an_order_whose_lines_changed_gets_its_lines_replaced_and_others_are_untouched(erp, drop):
    StoreFactory(code="store-1")

    def order_file(quantity: int) -> list[dict[str, object]]:
        return [
            {
                "order_id": order_id,
                "number": order_id,
                "channel": "online",
                "placed_at": "2026-11-01T10:00:00",
                "total": "10.00",
                "lines": [
                    {
                        "sku": "X",
                        "quantity": quantity if order_id == "O2" else 1,
                        "unit_price": "10.00",
                    }
                ],
            }
            for order_id in ("O1", "O2")
        ]

    drop("orders-1.jsonl", order_file(1))
    sync(erp, "orders")
    untouched = OrderLine.objects.get(order__external_id="O1").pk
    drop("orders-2.jsonl", order_file(2))

    run = sync(erp, "orders")

    assert (run.updated, run.unchanged) == (1, 1)
    assert OrderLine.objects.get(order__external_id="O1").pk == untouched
    assert OrderLine.objects.get(order__external_id="O2").quantity == 2


def test_rejected_records_name_their_reason(erp, drop):
    store = StoreFactory(code="store-1")
    drop("products-1.csv", [product_row("COAT-S")])
    sync(erp, "products")
    StockLevel.objects.create(variant=Variant.objects.get(), store=store, on_hand=3, reserved=2)
    drop(
        "stock-1.csv",
        [
            {"sku": "COAT-S", "store": "store-1", "on_hand": 1},
            {"sku": "NOPE", "store": "store-1", "on_hand": 1},
            {"sku": "COAT-S", "store": "store-9", "on_hand": 1},
        ],
    )
    drop(
        "orders-1.jsonl",
        [
            {
                "order_id": "O1",
                "number": "1",
                "customer_id": "GHOST",
                "placed_at": "2026-11-01",
                "total": "1",
                "lines": [{"sku": "COAT-S", "quantity": 1, "unit_price": "1"}],
            }
        ],
    )

    sync(erp, "stock")
    sync(erp, "orders")

    assert sorted(QuarantinedRecord.objects.values_list("reason", flat=True)) == [
        "on hand 1 is below the 2 units held for customers",
        "unknown SKU 'NOPE'",
        "unknown customer 'GHOST' (sync customers first)",
        "unknown store 'store-9'",
    ]
    assert StockLevel.objects.get().on_hand == 3


def test_a_run_that_fails_midway_resumes_after_the_pages_that_landed(
    erp, drop, settings, monkeypatch
):
    settings.SYNC_PAGE_SIZE = 2
    drop("customers-1.csv", [customer_row(n) for n in range(5)])
    real_land = engine.land_records
    calls = []

    def failing_second_page(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("database went away")
        return real_land(*args, **kwargs)

    monkeypatch.setattr(engine, "land_records", failing_second_page)
    announced = []
    monkeypatch.setattr(seams, "run_failed", lambda *, run: announced.append(run.pk))
    failed = sync(erp, "customers")
    assert (failed.status, failed.created, failed.pages) == ("failed", 2, 1)
    assert announced == [failed.pk]
    assert "database went away" in failed.error
    assert ProcessedFile.objects.get().records_done == 2

    resumed = sync(erp, "customers")

    assert (resumed.status, resumed.created, resumed.unchanged) == ("succeeded", 3, 0)
    assert Customer.objects.count() == 5


def test_runs_of_the_same_source_and_entity_never_overlap_but_an_expired_lease_is_taken(erp, drop):
    holder = engine.lease_acquire(source=erp, entity="customers")
    assert holder
    assert sync(erp, "customers").status == "skipped"
    assert engine.run_sync(source=erp, entity="stock").status == "succeeded"

    Lease.objects.filter(entity="customers").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert sync(erp, "customers").status == "succeeded"


def test_a_big_load_refreshes_the_planner_statistics_as_it_goes(erp, drop, settings, monkeypatch):
    settings.SYNC_PAGE_SIZE = 2
    monkeypatch.setattr(engine, "STATISTICS_EVERY", 2)
    monkeypatch.setattr(engine, "ANALYZE_BASE_ROWS", 100)
    analysed: list[list[str]] = []
    monkeypatch.setattr(engine, "analyse_tables", analysed.append)
    drop("customers-1.csv", [customer_row(n) for n in range(5)])

    assert sync(erp, "customers").status == "succeeded"
    # Pages of 2, 2 and 1: analysed after each of the first two; the last row is not material.
    tables = ["customers_customer", "customers_customeridentity"]
    assert analysed == [tables, tables]


def test_a_small_import_that_changes_a_table_materially_is_analysed_as_the_run_ends(
    erp, drop, monkeypatch
):
    analysed: list[list[str]] = []
    monkeypatch.setattr(engine, "analyse_tables", analysed.append)
    drop("customers-1.csv", [customer_row(n) for n in range(60)])

    assert sync(erp, "customers").status == "succeeded"
    assert analysed == [["customers_customer", "customers_customeridentity"]]

    drop("customers-2.csv", [customer_row(n) for n in range(100, 103)])
    assert sync(erp, "customers").status == "succeeded"
    assert analysed == [["customers_customer", "customers_customeridentity"]], "3 new: not material"
