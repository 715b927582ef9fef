from __future__ import annotations

import pytest

from frontline.customers.models import CustomerIdentity, Interaction
from frontline.sync import engine
from frontline.sync.models import Cursor, Source
from tests.sync.standins import SalesforceStandIn, salesforce_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm(httpserver, monkeypatch) -> SalesforceStandIn:
    monkeypatch.setenv("CRM_TEST_CLIENT_ID", SalesforceStandIn.client_id)
    monkeypatch.setenv("CRM_TEST_CLIENT_SECRET", SalesforceStandIn.client_secret)
    return SalesforceStandIn(httpserver, batch_size=2)


@pytest.fixture
def source(crm) -> Source:
    return Source.objects.create(
        name="crm",
        kind="salesforce",
        record_source="crm",
        base_url=crm.base_url,
        credentials_env="CRM_TEST",
    )


def stamp(minute: int) -> str:
    return f"2026-11-01T10:{minute:02d}:00.000+0000"


def test_contacts_and_person_accounts_become_customers_following_next_records_url(crm, source):
    crm.records["Contact"] = [salesforce_contact(n, stamp(n)) for n in range(3)]
    crm.records["Account"] = [
        {
            "Id": "001000000000000001",
            "FirstName": "Alan",
            "LastName": "Turing",
            "PersonEmail": "alan@example.com",
            "PersonMobilePhone": "07700 900123",
            "PersonMailingPostalCode": "M1 1AA",
            "PersonMailingCountryCode": "GB",
            "SystemModstamp": stamp(7),
        }
    ]

    run = engine.run_sync(source=source, entity="customers")

    assert (run.status, run.created, run.pages) == ("succeeded", 4, 3)
    assert Cursor.objects.get(source=source, entity="customers").value == {
        "Contact": stamp(2),
        "Account": stamp(7),
    }
    alan = CustomerIdentity.objects.get(external_id="001000000000000001").customer
    assert (alan.email, alan.phone, alan.postcode) == (
        "alan@example.com",
        "+447700900123",
        "M1 1AA",
    )
    assert len(crm.tokens) == 1


def test_the_next_run_reads_from_system_modstamp_and_an_expired_token_is_renewed(crm, source):
    crm.records["Contact"] = [salesforce_contact(n, stamp(n)) for n in range(3)]
    engine.run_sync(source=source, entity="customers")
    crm.records["Contact"].append(salesforce_contact(9, stamp(30)))
    crm.expire_next_call = True

    run = engine.run_sync(source=source, entity="customers")

    assert (run.status, run.created, run.unchanged) == ("succeeded", 1, 1)
    assert "SystemModstamp+%3E%3D+2026-11-01T10%3A02%3A00.000%2B0000" in crm.hits[-2]
    assert len(crm.tokens) == 4  # first run, expired, renewed


def test_tasks_become_interactions_except_those_frontline_wrote(crm, source):
    crm.records["Contact"] = [salesforce_contact(1)]
    crm.records["Task"] = [
        {
            "Id": "00T000000000000001",
            "WhoId": "003000000000000001",
            "Subject": "Call back",
            "Description": "Wants the navy coat in M",
            "ActivityDate": "2026-11-02",
            "TaskSubtype": "Call",
            "SystemModstamp": stamp(5),
        },
        {
            "Id": "00T000000000000002",
            "WhoId": "003000000000000001",
            "Subject": "From Frontline",
            "Frontline_Key__c": "note-1",
            "SystemModstamp": stamp(6),
        },
    ]
    engine.run_sync(source=source, entity="customers")

    run = engine.run_sync(source=source, entity="interactions")

    assert (run.created, run.quarantined) == (1, 0)
    note = Interaction.objects.get()
    assert (note.summary, note.channel, note.customer.email) == (
        "Call back — Wants the navy coat in M",
        "phone",
        "grace1@example.com",
    )


def test_wrong_credentials_fail_the_run_with_the_reason(crm, source, monkeypatch):
    monkeypatch.setenv("CRM_TEST_CLIENT_SECRET", "wrong")
    run = engine.run_sync(source=source, entity="customers")
    assert run.status == "failed"
    assert "400 from" in run.error
    assert "invalid_client" in run.error
