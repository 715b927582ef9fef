"""Purchases and interactions that sync lands refresh the customers' recommended actions.

Each landed batch hands the customers whose purchases or interactions changed to one seam,
which queues one refresh task for the whole set after the batch commits.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from frontline.actions.models import ActionSuggestion
from frontline.customers.models import CustomerIdentity
from frontline.sync import engine
from frontline.sync.connectors import connector_for
from frontline.sync.models import QuarantinedRecord, Source
from frontline.sync.services import quarantine_retry
from tests.factories import ConsentFactory, CustomerFactory, StoreFactory, VariantFactory
from tests.sync.salesforce_standin import SalesforceStandIn, salesforce_contact

pytestmark = pytest.mark.django_db

REFRESH_TASK = "frontline.actions.tasks.refresh_actions_for_customers_task"


def erp_customer(external_id: str, *, consent: str = "service"):
    customer = CustomerFactory()
    CustomerIdentity.objects.create(customer=customer, source="erp", external_id=external_id)
    ConsentFactory(customer=customer, purpose=consent)
    return customer


def order_rows(order_id: str, customer_id: str, total: str) -> list[dict[str, object]]:
    yesterday = timezone.now() - timedelta(days=1)
    return [
        {
            "order_id": order_id,
            "number": f"N-{order_id}",
            "customer_id": customer_id,
            "channel": "store",
            "store": "store-1",
            "placed_at": yesterday.isoformat(),
            "currency": "GBP",
            "total": total,
            "sku": "COAT-M",
            "description": "Wool coat",
            "quantity": 1,
            "unit_price": total,
            "returned_quantity": 0,
        }
    ]


@pytest.fixture
def shop(db) -> None:
    StoreFactory(code="store-1")
    VariantFactory(sku="COAT-M")


def rules_of(customer) -> set[str]:
    return set(ActionSuggestion.objects.filter(customer=customer).values_list("rule", flat=True))


def test_a_big_purchase_synced_from_the_erp_brings_the_thank_you_action(
    erp, drop, shop, tasks_run, django_capture_on_commit_callbacks
):
    big_spender, small_spender = erp_customer("E1"), erp_customer("E2")
    drop("orders-1.csv", order_rows("O1", "E1", "850.00") + order_rows("O2", "E2", "40.00"))

    with django_capture_on_commit_callbacks(execute=True):
        run = engine.run_sync(source=erp, entity="orders")

    assert (run.status, run.created) == ("succeeded", 2)
    assert rules_of(big_spender) == {"thank_you_purchase"}
    assert "order N-O1" in ActionSuggestion.objects.get(customer=big_spender).reason
    assert rules_of(small_spender) == set()
    # The page's two customers were refreshed together: one task, not one per order.
    assert [name for name in tasks_run if name.startswith("frontline.actions")] == [REFRESH_TASK]


def test_a_page_that_changes_nothing_refreshes_nobody(erp, shop):
    erp_customer("E1")
    connector = connector_for(erp)
    raws = order_rows("O1", "E1", "850.00")

    first = engine.land_records(connector, "orders", [{**raws[0], "lines": raws}])
    again = engine.land_records(connector, "orders", [{**raws[0], "lines": raws}])

    assert first.active_customer_ids == {CustomerIdentity.objects.get().customer_id}
    assert (again.unchanged, again.active_customer_ids) == (1, set())


def test_an_order_landed_from_quarantine_refreshes_its_customer(
    erp, drop, shop, tasks_run, django_capture_on_commit_callbacks
):
    drop("orders-1.csv", order_rows("O1", "E9", "900.00"))
    engine.run_sync(source=erp, entity="orders")
    quarantined = QuarantinedRecord.objects.get()
    assert "unknown customer" in quarantined.reason
    latecomer = erp_customer("E9")  # the customers sync catches up

    with django_capture_on_commit_callbacks(execute=True):
        assert quarantine_retry(record_ids=[quarantined.pk]) == (1, 0)

    assert rules_of(latecomer) == {"thank_you_purchase"}


def test_a_crm_activity_refreshes_the_contacts_actions(
    httpserver, monkeypatch, tasks_run, django_capture_on_commit_callbacks
):
    crm = SalesforceStandIn(httpserver)
    monkeypatch.setenv("CRM_TEST_CLIENT_ID", SalesforceStandIn.client_id)
    monkeypatch.setenv("CRM_TEST_CLIENT_SECRET", SalesforceStandIn.client_secret)
    source = Source.objects.create(
        name="crm",
        kind="salesforce",
        record_source="crm",
        base_url=crm.base_url,
        credentials_env="CRM_TEST",
    )
    crm.records["Contact"] = [salesforce_contact(1)]
    engine.run_sync(source=source, entity="customers")
    contact = CustomerIdentity.objects.get(source="crm").customer
    today = timezone.localdate()
    contact.birthday = date(1990, today.month, today.day)
    contact.save(update_fields=["birthday"])
    ConsentFactory(customer=contact, purpose="marketing")
    assert rules_of(contact) == set()  # the nightly batch has not seen the birthday yet
    crm.records["Task"] = [
        {
            "Id": "00T000000000000001",
            "WhoId": "003000000000000001",
            "Subject": "Call back",
            "ActivityDate": today.isoformat(),
            "TaskSubtype": "Call",
            "Status": "Completed",
            "SystemModstamp": "2026-11-01T10:05:00.000+0000",
        }
    ]

    with django_capture_on_commit_callbacks(execute=True):
        run = engine.run_sync(source=source, entity="interactions")

    assert run.created == 1
    assert rules_of(contact) == {"birthday_soon"}
