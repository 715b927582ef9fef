"""Large loads drop secondary indexes and foreign keys and rebuild exactly what was there."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from frontline.core import bulk_load
from frontline.customers.models import Customer, CustomerIdentity
from frontline.orders.models import Order, OrderLine
from frontline.sync import engine
from frontline.sync.connectors.file_drop import inbox_of
from tests.factories import CustomerFactory
from tests.sync import generate
from tests.sync.catalog import (
    LOADED_TABLES,
    foreign_key_ids,
    index_ids,
    schema_of,
    sequence_caches,
)

pytestmark = [
    pytest.mark.django_db(transaction=False),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the fast path is PostgreSQL's own"
    ),
]


def secondary_indexes(schema: dict, table: str) -> int:
    return sum(
        1
        for _, definition, *_ in schema["indexes"]
        if f" ON public.{table} " in definition and not definition.startswith("CREATE UNIQUE")
    )


def test_a_large_load_into_empty_tables_rebuilds_exactly_the_indexes_and_keys_it_dropped(
    erp, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_FAST_PATH_MIN_BYTES = 0
    settings.SYNC_BULK_REBUILD_MIN_ROWS = 100
    before = schema_of()
    ids_before = {table: index_ids(table) for table in LOADED_TABLES}
    keys_before = foreign_key_ids()
    inbox = inbox_of(erp.name)
    inbox.mkdir(parents=True, exist_ok=True)
    generate.write_customers(inbox / "customers-1.csv", 300)
    generate.write_orders(inbox / "orders-1.csv", 1500, customers=300)

    with django_capture_on_commit_callbacks(execute=True):
        for entity in ("customers", "orders"):
            assert engine.run_sync(source=erp, entity=entity).status == "succeeded"

    assert (Customer.objects.count(), OrderLine.objects.count()) == (300, 1500)
    assert schema_of() == before
    # Rebuilt: every index is a new one (the tables were empty, so their primary keys and
    # unique constraints went too), but for the primary keys that foreign keys point at.
    kept = set().union(*(ids_before[table] & index_ids(table) for table in LOADED_TABLES))
    assert index_names(kept) == {"customers_customer_pkey", "orders_order_pkey"}
    assert all(secondary_indexes(before, table) > 0 for table in LOADED_TABLES)
    # Foreign keys between the tables a landing writes were re-added; those pointing at staff
    # and the catalog were kept (dropping them would lock those tables until commit).
    keys_after = foreign_key_ids()
    re_added = {key for key, oid in keys_before.items() if keys_after[key] != oid}
    assert re_added == {
        ("customers_customer", "customers_customer"),
        ("customers_customeridentity", "customers_customer"),
        ("orders_order", "customers_customer"),
        ("orders_order", "orders_order"),  # a return's link to its sale
        ("orders_orderline", "orders_order"),
    }


def index_names(ids: set[int]) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE oid = ANY(%s::oid[])", [list(ids)])
        return {name for (name,) in cursor.fetchall()}


def test_a_first_load_into_empty_tables_inserts_without_on_conflict_and_counts_every_row(
    erp, settings, django_capture_on_commit_callbacks, first_loads
):
    settings.SYNC_FAST_PATH_MIN_BYTES = 0
    settings.SYNC_BULK_REBUILD_MIN_ROWS = 100
    inbox = inbox_of(erp.name)
    inbox.mkdir(parents=True, exist_ok=True)
    generate.write_customers(inbox / "customers-1.csv", 300)
    generate.write_orders(inbox / "orders-1.csv", 1500, customers=300)

    with django_capture_on_commit_callbacks(execute=True):
        runs = [engine.run_sync(source=erp, entity=entity) for entity in ("customers", "orders")]

    assert first_loads == [
        ("customers_customer", True),
        ("customers_customeridentity", True),
        ("orders_order", True),
    ]
    assert [(run.status, run.created, run.updated, run.unchanged) for run in runs] == [
        ("succeeded", 300, 0, 0),
        ("succeeded", Order.objects.count(), 0, 0),
    ]
    assert Customer.objects.count() == CustomerIdentity.objects.count() == 300
    assert OrderLine.objects.count() == 1500


def test_a_load_smaller_than_its_table_keeps_the_indexes_and_keys(
    erp, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_FAST_PATH_MIN_BYTES = 0
    settings.SYNC_BULK_REBUILD_MIN_ROWS = 0
    CustomerFactory.create_batch(5)
    inbox = inbox_of(erp.name)
    inbox.mkdir(parents=True, exist_ok=True)
    generate.write_customers(inbox / "customers-1.csv", 4)
    ids_before = index_ids("customers_customer")

    with django_capture_on_commit_callbacks(execute=True):
        assert engine.run_sync(source=erp, entity="customers").status == "succeeded"

    assert Customer.objects.count() == 9
    assert index_ids("customers_customer") == ids_before


def test_the_threshold_is_a_minimum_size_and_no_fewer_rows_than_the_table_holds(settings):
    settings.SYNC_BULK_REBUILD_MIN_ROWS = 100
    assert not bulk_load.is_large("customers_customer", 99)
    assert bulk_load.is_large("customers_customer", 100)
    settings.SYNC_BULK_REBUILD_MIN_ROWS = 0
    CustomerFactory.create_batch(3)
    assert not bulk_load.is_large("customers_customer", 0)
    assert not bulk_load.is_large("customers_customer", 2)
    assert bulk_load.is_large("customers_customer", 3)


def test_a_load_that_fails_after_the_drop_leaves_the_indexes_and_keys_as_they_were(settings):
    settings.SYNC_BULK_REBUILD_MIN_ROWS = 0
    before = schema_of()

    loads = {"customers_customer": 10, "orders_orderline": 10}
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        bulk_load.rebuilt_after(loads),
    ):
        assert schema_of() != before
        CustomerFactory(number="N1")
        # The unique index stays during the load and refuses a second customer N1.
        CustomerFactory(number="N1")

    assert schema_of() == before


def test_keys_of_an_empty_table_are_dropped_for_its_load_and_still_refuse_a_duplicate(settings):
    settings.SYNC_BULK_REBUILD_MIN_ROWS = 0
    before = schema_of()
    loads = {"customers_customeridentity": 10, "orders_orderline": 10}
    customer = CustomerFactory()

    with (
        pytest.raises(IntegrityError, match="identity_per_source"),
        transaction.atomic(),
        bulk_load.rebuilt_after(loads, keys_of_empty_tables=True),
    ):
        # Nothing checks the rows while they go in: the primary key and the unique
        # constraint of the empty table are gone. Its ids are drawn many at a time.
        assert index_names(index_ids("customers_customeridentity")) == set()
        assert set(sequence_caches("customers_customeridentity").values()) == {
            bulk_load.LOAD_SEQUENCE_CACHE
        }
        for _ in range(2):
            CustomerIdentity.objects.create(customer=customer, source="erp", external_id="E1")
        # The rebuild at the end of the load refuses the duplicate, and the landing with it.

    assert schema_of() == before
    assert CustomerIdentity.objects.count() == 0


def test_a_table_with_rows_keeps_its_keys_even_when_empty_tables_lose_theirs(settings):
    settings.SYNC_BULK_REBUILD_MIN_ROWS = 0
    CustomerFactory()
    customer_keys = index_names(index_ids("customers_customer"))
    loads = {"customers_customer": 5, "customers_customeridentity": 5}

    with transaction.atomic(), bulk_load.rebuilt_after(loads, keys_of_empty_tables=True):
        during = index_names(index_ids("customers_customer"))

    assert during == {"customers_customer_pkey", "customers_customer_number_key"}
    assert index_names(index_ids("customers_customer")) == customer_keys
