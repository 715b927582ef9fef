"""An order the source deleted comes back when a big file sends it again, as on the record path
(PostgreSQL's fast path)."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.db import connection

from frontline.customers.models import Customer
from frontline.orders.loading import orders_land
from frontline.orders.models import Order
from frontline.sync import engine
from tests.sync.test_file_drop import customer_row

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the fast path is PostgreSQL's own"
    ),
]


def test_a_big_file_that_sends_a_deleted_order_again_brings_it_back(
    erp, drop, caplog, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_FAST_PATH_MIN_BYTES = 0
    drop("customers-1.csv", [customer_row(1)])
    line = {
        "order_id": "O1",
        "number": "1001",
        "customer_id": "E1",
        "channel": "online",
        "store": "",
        "placed_at": "2026-11-01T10:00:00Z",
        "currency": "GBP",
        "total": "40.00",
        "sku": "SKU-1",
        "description": "Shirt",
        "quantity": 1,
        "unit_price": "40.00",
        "returned_quantity": 0,
    }
    drop("orders-1.csv", [line])
    with django_capture_on_commit_callbacks(execute=True):
        for entity in ("customers", "orders"):
            assert engine.run_sync(source=erp, entity=entity).status == "succeeded"
    orders_land(record_source="erp", records=[{"external_id": "O1", "deleted": True}])
    assert Customer.objects.get().lifetime_value == Decimal("0.00")
    # Another file (a file seen before is archived unread), with the same order in it.
    drop("orders-2.csv", [{**line, "description": "Shirt "}])

    with (
        caplog.at_level(logging.INFO, logger="frontline.sync"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = engine.run_sync(source=erp, entity="orders")

    assert "fast path landed 1 orders" in caplog.text
    assert (run.status, run.created, run.updated) == ("succeeded", 0, 1)
    assert Order.objects.get().deleted_at is None
    assert Customer.objects.get().lifetime_value == Decimal("40.00")
