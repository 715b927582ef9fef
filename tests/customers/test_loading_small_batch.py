"""A small batch lands through ``INSERT … VALUES`` on PostgreSQL, a large one through a staging
table: both must land the same rows, count them alike and name each record's customer."""

from __future__ import annotations

import pytest

from frontline.core import upsert
from frontline.customers.loading import customers_land
from frontline.customers.models import Customer, CustomerIdentity
from tests.factories import customer_record

pytestmark = pytest.mark.django_db


def person(external_id: str, first_name: str, email: str) -> dict[str, object]:
    return customer_record(external_id, first_name, "Hopper", email)


# 0: every batch is staged; 20: every batch of this test goes in as VALUES.
@pytest.mark.parametrize("small_batch", [0, upsert.SMALL_BATCH])
def test_small_and_staged_batches_land_and_count_alike(monkeypatch, small_batch):
    monkeypatch.setattr(upsert, "SMALL_BATCH", small_batch)
    first = customers_land(
        record_source="crm",
        records=[
            person("A", "Grace", "grace@example.com"),
            person("B", "Anita", "anita@example.com"),
            person("C", "Mary", "mary@example.com"),
        ],
    )
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)

    again = customers_land(
        record_source="crm",
        records=[
            person("A", "Gracie", "grace@example.com"),  # changed
            person("B", "Anita", "anita@example.com"),  # as stored
            person("D", "Edith", "edith@example.com"),  # new
        ],
    )

    assert (again.created, again.updated, again.unchanged) == (1, 1, 1)
    stored = dict(CustomerIdentity.objects.values_list("external_id", "customer_id"))
    assert again.customer_ids == {key: stored[key] for key in ("A", "B", "D")}
    assert first.customer_ids == {key: stored[key] for key in ("A", "B", "C")}
    assert Customer.objects.get(pk=stored["A"]).first_name == "Gracie"
    assert Customer.objects.count() == 4
