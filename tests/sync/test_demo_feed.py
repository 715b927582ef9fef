from __future__ import annotations

import pytest
from django.core.management import call_command

from frontline.catalog.models import StockLevel
from frontline.core.management.commands.runstack import stack_processes
from frontline.customers.models import Customer
from frontline.orders.models import Order
from frontline.sync import engine
from frontline.sync.connectors.file_drop import inbox_of
from frontline.sync.models import QuarantinedRecord, Source
from tests.factories import CustomerFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db


def sync_everything(source: Source, capture) -> None:
    with capture(execute=True):
        for entity in ("customers", "orders", "stock"):
            assert engine.run_sync(source=source, entity=entity).status == "succeeded"


def test_on_an_empty_database_the_feed_only_adds_new_customers(django_capture_on_commit_callbacks):
    demo = Source.objects.get(name="demo-erp")
    for _ in range(3):
        call_command("sync_demo_feed", "--once", "--no-trigger")

    sync_everything(demo, django_capture_on_commit_callbacks)

    assert Customer.objects.count() == 3
    assert not list(inbox_of("demo-erp").glob("*.jsonl"))


def test_on_seeded_data_purchases_and_arrivals_land_without_quarantine(
    django_capture_on_commit_callbacks,
):
    demo = Source.objects.get(name="demo-erp")
    CustomerFactory.create_batch(3)
    StoreFactory(code="store-1")
    VariantFactory.create_batch(2)
    for _ in range(12):
        call_command("sync_demo_feed", "--once", "--no-trigger")

    sync_everything(demo, django_capture_on_commit_callbacks)

    assert not QuarantinedRecord.objects.exists()
    assert Order.objects.count() + StockLevel.objects.count() > 0
    assert all(order.customer_id for order in Order.objects.all())


def test_make_run_starts_the_demo_feed():
    assert stack_processes("127.0.0.1", 8123)["feed"][-1] == "sync_demo_feed"
