"""The big-file fast path keeps the survivorship rules the record path keeps (PostgreSQL)."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from frontline.customers.loading import customers_land
from frontline.customers.models import Customer
from frontline.sync import engine
from tests.sync.test_file_drop import customer_row

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the fast path is PostgreSQL's own"
    ),
]


@pytest.fixture(autouse=True)
def everything_through_the_fast_path(settings):
    settings.SYNC_FAST_PATH_MIN_BYTES = 0


def test_an_empty_cell_keeps_the_stored_value_and_a_changed_one_records_its_source(
    erp, drop, caplog
):
    # The CRM knows the customer first: their values and where each came from are recorded.
    customers_land(
        record_source="crm",
        records=[
            {
                **customer_row(1),
                "external_id": "003A",
                "number": "",
                "email": "ada1@example.com",
                "tier": "member",
            },
        ],
    )
    before = Customer.objects.get()
    drop("customers-1.csv", [customer_row(1, phone="", postcode="E1 6AN")])

    with caplog.at_level(logging.INFO, logger="frontline.sync"):
        run = engine.run_sync(source=erp, entity="customers")

    after = Customer.objects.get()
    assert "fast path landed 1 customers" in caplog.text
    assert (run.status, run.updated) == ("succeeded", 1)
    assert (after.phone, after.postcode) == (before.phone, "E1 6AN")
    assert after.field_sources["phone"] == before.field_sources["phone"]
    assert after.field_sources["postcode"]["source"] == "erp"
    assert after.field_sources["email"] == before.field_sources["email"]
