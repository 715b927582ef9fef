from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from frontline.customers.models import Consent, Customer, CustomerIdentity, Interaction
from frontline.sync import engine
from frontline.sync.connectors.salesforce import (
    Position,
    SalesforceConnector,
    WriteBackUnavailable,
    soql_string,
)
from frontline.sync.models import Cursor, Run, Source
from tests.sync.salesforce_standin import (
    SalesforceStandIn,
    developer_edition_org,
    rich_org,
    salesforce_contact,
)
from tests.sync.standins import Fault

pytestmark = pytest.mark.django_db


@pytest.fixture
def credentials(monkeypatch) -> None:
    monkeypatch.setenv("CRM_TEST_CLIENT_ID", SalesforceStandIn.client_id)
    monkeypatch.setenv("CRM_TEST_CLIENT_SECRET", SalesforceStandIn.client_secret)


@pytest.fixture
def crm(httpserver, credentials) -> SalesforceStandIn:
    """A richer org: country picklists, person accounts, Frontline's external-id field."""
    return SalesforceStandIn(httpserver, batch_size=2)


@pytest.fixture
def dev_org(httpserver, credentials) -> SalesforceStandIn:
    """A plain Developer Edition org: none of the optional features or custom fields."""
    return SalesforceStandIn(httpserver, batch_size=2, org=developer_edition_org())


def source_for(crm: SalesforceStandIn, **options: str) -> Source:
    return Source.objects.create(
        name="crm",
        kind="salesforce",
        record_source="crm",
        base_url=crm.base_url,
        credentials_env="CRM_TEST",
        options=options,
    )


@pytest.fixture
def source(crm) -> Source:
    return source_for(crm)


def stamp(minute: int, second: int = 0, millisecond: int = 0) -> str:
    return f"2026-11-01T10:{minute:02d}:{second:02d}.{millisecond:03d}+0000"


def dev_contact(n: int, at: str, **changes: object) -> dict[str, object]:
    """A contact as a Developer Edition org holds it: a free-text country, no code."""
    contact = {**salesforce_contact(n, at), "MailingCountry": "GB", **changes}
    del contact["MailingCountryCode"]
    return contact


def completed_task(n: int, at: str, **changes: object) -> dict[str, object]:
    task = {
        "Id": f"00T{n:015d}",
        "WhoId": "003000000000000001",
        "Subject": "Call back",
        "Description": "Wants the navy coat in M",
        "ActivityDate": "2026-11-02",
        "TaskSubtype": "Call",
        "Status": "Completed",
        "SystemModstamp": at,
    }
    return {**task, **changes}


def identities() -> list[tuple[str, str, str, str, str]]:
    """The customer rows the CRM's identities point at, in a comparable form."""
    return sorted(
        CustomerIdentity.objects.filter(source="crm").values_list(
            "external_id",
            "customer__first_name",
            "customer__email",
            "customer__phone",
            "customer__country",
        )
    )


# --- Schema discovery -------------------------------------------------------------------


def test_a_developer_edition_org_syncs_contacts_and_tasks(dev_org):
    source = source_for(dev_org)
    dev_org.records["Contact"] = [
        dev_contact(1, stamp(1)),
        dev_contact(2, stamp(2), MailingCountry="United Kingdom", Phone="07700 900456"),
    ]
    dev_org.records["Account"] = [{"Id": "001000000000000009", "Name": "Acme Ltd"}]
    dev_org.records["Task"] = [completed_task(1, stamp(3))]

    customers = engine.run_sync(source=source, entity="customers")
    tasks = engine.run_sync(source=source, entity="interactions")

    assert (customers.status, customers.created, tasks.status, tasks.created) == (
        "succeeded",
        2,
        "succeeded",
        1,
    )
    # A two-letter country typed as text is a code; a country's name is left blank.
    assert [row[4] for row in identities()] == ["GB", ""]
    assert not any("Account" in soql for soql in dev_org.soql)  # companies, not customers
    assert not any("Frontline_Key__c" in soql for soql in dev_org.soql)


def test_contacts_and_person_accounts_become_customers_following_next_records_url(crm, source):
    crm.records["Contact"] = [salesforce_contact(n, stamp(n)) for n in range(3)]
    crm.records["Account"] = [
        {
            "Id": "001000000000000001",
            "IsPersonAccount": True,
            "PersonContactId": "003000000000000091",
            "FirstName": "Alan",
            "LastName": "Turing",
            "PersonEmail": "alan@example.com",
            "PersonMobilePhone": "07700 900123",
            "PersonMailingPostalCode": "M1 1AA",
            "PersonMailingCountryCode": "GB",
            "SystemModstamp": stamp(7),
        },
        {"Id": "001000000000000002", "Name": "Acme Ltd", "SystemModstamp": stamp(8)},
    ]

    run = engine.run_sync(source=source, entity="customers")

    assert (run.status, run.created, run.pages) == ("succeeded", 4, 3)
    assert Cursor.objects.get(source=source, entity="customers").value == {
        "Contact": {"SystemModstamp": "2026-11-01T10:02:00+00:00", "Ids": ["003000000000000002"]},
        "Account": {"SystemModstamp": "2026-11-01T10:07:00+00:00", "Ids": ["001000000000000001"]},
    }
    # Known by the person contact, which Tasks name as their WhoId.
    alan = CustomerIdentity.objects.get(external_id="003000000000000091").customer
    assert (alan.email, alan.phone, alan.postcode) == (
        "alan@example.com",
        "+447700900123",
        "M1 1AA",
    )
    assert len(crm.tokens) == 1


def test_a_person_accounts_tasks_land_on_it_and_a_webhook_can_name_it(crm, source):
    crm.records["Account"] = [
        {
            "Id": "001000000000000001",
            "IsPersonAccount": True,
            "PersonContactId": "003000000000000091",
            "FirstName": "Alan",
            "LastName": "Turing",
            "SystemModstamp": stamp(1),
        }
    ]
    crm.records["Task"] = [completed_task(1, stamp(2), WhoId="003000000000000091")]
    engine.run_sync(source=source, entity="customers")

    run = engine.run_sync(source=source, entity="interactions")

    assert (run.created, run.quarantined) == (1, 0)
    assert Interaction.objects.get().customer.first_name == "Alan"
    fetched = SalesforceConnector(source).fetch("customers", ["003000000000000091"])
    assert [r["Id"] for r in fetched] == ["001000000000000001"]


def test_a_person_accounts_contact_is_not_read_twice(crm, source):
    crm.records["Contact"] = [
        salesforce_contact(1, stamp(1)),
        salesforce_contact(2, stamp(2), IsPersonAccount=True),
    ]
    run = engine.run_sync(source=source, entity="customers")
    assert run.created == 1
    assert [row[0] for row in identities()] == ["003000000000000001"]


# --- SOQL literals and the keyset cursor ------------------------------------------------


def test_the_org_refuses_a_system_modstamp_pasted_into_soql(crm, source):
    connector = SalesforceConnector(source)
    raw = "SELECT Id FROM Contact WHERE SystemModstamp >= 2026-12-06T11:46:30.009+0000"
    quoted = "SELECT Id FROM Contact WHERE SystemModstamp >= '2026-12-06T11:46:30Z'"
    with pytest.raises(Exception, match="MALFORMED_QUERY"):
        list(connector._batches(raw))
    with pytest.raises(Exception, match="INVALID_FIELD"):
        list(connector._batches(quoted))


def test_an_incremental_run_sends_a_valid_literal_and_picks_up_only_newer_records(crm, source):
    crm.records["Contact"] = [salesforce_contact(n, stamp(n, 30, 9)) for n in range(3)]
    engine.run_sync(source=source, entity="customers")
    crm.records["Contact"].append(salesforce_contact(9, stamp(30)))
    crm.expire_next_call = True

    run = engine.run_sync(source=source, entity="customers")

    assert (run.status, run.created, run.updated, run.unchanged) == ("succeeded", 1, 0, 0)
    contact_queries = [soql for soql in crm.soql if "FROM Contact" in soql]
    assert "SystemModstamp >= 2026-11-01T10:02:30Z" in contact_queries[-1]
    assert len(crm.tokens) == 4  # first run, expired, renewed, second run


def test_records_sharing_a_system_modstamp_across_a_page_boundary_are_neither_lost_nor_doubled(
    dev_org,
):
    source = source_for(dev_org)
    # Same millisecond, then the same second with other milliseconds: a literal holds whole
    # seconds only.
    moments = [stamp(5, 0, 100)] * 3 + [stamp(5, 0, 200), stamp(5, 0, 900)]
    dev_org.records["Contact"] = [dev_contact(n, at) for n, at in enumerate(moments, start=1)]
    # The listing breaks off after its first page (two of the three sharing a stamp).
    dev_org.inject(Fault(lambda request: "/query/" in request.path, status=500, times=99))

    first = engine.run_sync(source=source, entity="customers")
    dev_org.faults.clear()
    second = engine.run_sync(source=source, entity="customers")

    assert (first.status, first.created) == ("failed", 2)
    assert (second.status, second.created, second.updated, second.unchanged) == (
        "succeeded",
        3,
        0,
        0,
    )
    assert [row[0] for row in identities()] == [f"003{n:015d}" for n in range(1, 6)]


def test_a_record_committed_late_by_a_long_transaction_is_not_skipped(crm, source):
    crm.records["Contact"] = [salesforce_contact(1, stamp(1))]
    # A batch job saved contact 2 at 10:02 but has not committed; contact 3 (10:05) is
    # visible already. Reading up to contact 3 would put the cursor past contact 2.
    crm.begin_transaction(stamp(2))
    crm.uncommitted["Contact"].append(salesforce_contact(2, stamp(2)))
    crm.records["Contact"].append(salesforce_contact(3, stamp(5)))

    first = engine.run_sync(source=source, entity="customers")
    crm.commit_transaction()
    second = engine.run_sync(source=source, entity="customers")

    assert (first.created, second.created) == (1, 2)
    assert [row[0] for row in identities()] == [f"003{n:015d}" for n in (1, 2, 3)]
    assert "SystemModstamp < 2026-11-01T10:02:00Z" in crm.soql[0]


def test_the_position_skips_what_landed_at_its_stamp_whatever_the_id_order():
    at = stamp(5, 0, 100)
    landed = Position.from_cursor({"SystemModstamp": at, "Ids": ["003000000000000b"]})
    assert landed is not None
    # "A" sorts before "b" in ASCII but after it ignoring case: neither order may lose it.
    assert landed.is_after({"Id": "003000000000000A", "SystemModstamp": at})
    assert not landed.is_after({"Id": "003000000000000b", "SystemModstamp": at})
    assert not landed.is_after({"Id": "003000000000000z", "SystemModstamp": stamp(5)})
    assert landed.after({"Id": "003000000000000A", "SystemModstamp": at}).ids == {
        "003000000000000A",
        "003000000000000b",
    }


@pytest.mark.parametrize("killed_at_page", [1, 2, 3])
def test_a_run_killed_at_a_page_boundary_then_rerun_leaves_the_same_tables(
    dev_org, monkeypatch, killed_at_page
):
    source = source_for(dev_org)
    moments = [stamp(1), stamp(1), stamp(2, 0, 5), stamp(2, 0, 5), stamp(2, 0, 7), stamp(3)]
    dev_org.records["Contact"] = [
        dev_contact(n, at) for n, at in zip((4, 2, 6, 1, 3, 5), moments, strict=True)
    ]
    engine.run_sync(source=source, entity="customers")
    uninterrupted = identities()
    CustomerIdentity.objects.all().delete()
    Customer.objects.all().delete()
    Cursor.objects.all().delete()

    real_land_records, pages = engine.land_records, []

    def dies_at_the_chosen_page(*args: Any, **kwargs: Any) -> Any:
        pages.append(1)
        if len(pages) == killed_at_page:
            raise RuntimeError("worker killed")
        return real_land_records(*args, **kwargs)

    monkeypatch.setattr(engine, "land_records", dies_at_the_chosen_page)
    killed = engine.run_sync(source=source, entity="customers")
    monkeypatch.setattr(engine, "land_records", real_land_records)
    resumed = engine.run_sync(source=source, entity="customers")

    assert (killed.status, resumed.status) == ("failed", "succeeded")
    assert killed.created + resumed.created == 6
    assert identities() == uninterrupted
    assert len(uninterrupted) == 6


def test_an_expired_query_locator_is_asked_again_from_where_the_listing_stood(dev_org, monkeypatch):
    source = source_for(dev_org)
    dev_org.records["Contact"] = [dev_contact(n, stamp(n)) for n in range(1, 6)]
    real_land_records = engine.land_records

    def land_slowly(*args: Any, **kwargs: Any) -> Any:
        landing = real_land_records(*args, **kwargs)
        dev_org.expire_locators()  # as if this page took more than 15 minutes to land
        return landing

    monkeypatch.setattr(engine, "land_records", land_slowly)
    run = engine.run_sync(source=source, entity="customers")

    assert (run.status, run.created) == ("succeeded", 5)
    assert len(identities()) == 5
    # Each time from the last landed record's second: its first batch brings that record
    # again (dropped) and one new one.
    contact_queries = [soql for soql in dev_org.soql if "FROM Contact" in soql]
    assert len(contact_queries) == 4
    assert "SystemModstamp >= 2026-11-01T10:04:00Z" in contact_queries[-1]


def test_a_cursor_written_before_keyset_reading_resumes_at_its_second(crm, source):
    crm.records["Contact"] = [salesforce_contact(n, stamp(n)) for n in range(1, 4)]
    Cursor.objects.create(
        source=source, entity="customers", value={"Contact": "2026-11-01T10:02:00.000+0000"}
    )

    run = engine.run_sync(source=source, entity="customers")

    # The record at the old stamp is read again (others may share that stamp).
    assert (run.status, run.created) == ("succeeded", 2)
    assert [row[0] for row in identities()] == ["003000000000000002", "003000000000000003"]


def test_each_object_is_described_once_a_run(crm, source):
    crm.records["Contact"] = [salesforce_contact(n, stamp(n)) for n in range(5)]
    engine.run_sync(source=source, entity="customers")
    describes = [hit for hit in crm.hits if hit.endswith("/describe")]
    assert sorted(describes) == [
        f"{crm.api}/sobjects/Account/describe",
        f"{crm.api}/sobjects/Contact/describe",
    ]


def test_query_leaves_deleted_records_out_and_query_all_keeps_them(crm):
    crm.records["Contact"] = [salesforce_contact(1), salesforce_contact(2)]
    crm.delete("Contact", "003000000000000002", stamp(9))
    crm.tokens.append("t")
    soql = "SELECT Id, IsDeleted FROM Contact WHERE LastName = 'hopper' ORDER BY Id DESC"
    answers = {
        resource: httpx.get(
            f"{crm.base_url}{crm.api}/{resource}",
            params={"q": soql},
            headers={"Authorization": "Bearer t"},
        )
        for resource in ("query", "queryAll")
    }
    assert [r["Id"] for r in answers["query"].json()["records"]] == ["003000000000000001"]
    assert [(r["Id"], r["IsDeleted"]) for r in answers["queryAll"].json()["records"]] == [
        ("003000000000000002", True),
        ("003000000000000001", False),
    ]
    assert answers["query"].headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_api_usage_near_the_daily_limit_is_logged(crm, source, caplog):
    crm.records["Contact"] = [salesforce_contact(1)]
    crm.daily_limit = 4
    engine.run_sync(source=source, entity="customers")
    assert "Salesforce API requests used: 4 of 4" in caplog.text


# --- Rate limits --------------------------------------------------------------------------


def test_request_limit_exceeded_backs_off_and_the_run_succeeds(crm, source):
    crm.records["Contact"] = [salesforce_contact(n, stamp(n)) for n in range(3)]
    crm.exceed_request_limit(times=3)

    run = engine.run_sync(source=source, entity="customers")

    assert (run.status, run.created) == ("succeeded", 3)
    assert crm.errors == []


def test_other_403s_are_not_retried(crm, source):
    crm.fail_next(403, "INSUFFICIENT_ACCESS", "insufficient access rights on object id")
    crm.exceed_request_limit(times=1)  # never reached: the first 403 ends the run

    run = engine.run_sync(source=source, entity="customers")

    assert run.status == "failed" and "INSUFFICIENT_ACCESS" in run.error
    assert len(crm.errors) == 1


def test_request_limit_exceeded_without_end_fails_the_run_after_the_attempts(crm, source, settings):
    settings.SYNC_HTTP_ATTEMPTS = 2
    crm.exceed_request_limit(times=5)
    run = engine.run_sync(source=source, entity="customers")
    assert run.status == "failed" and "REQUEST_LIMIT_EXCEEDED" in run.error
    assert len(crm.errors) == 3


# --- Deletions ----------------------------------------------------------------------------


def test_a_deleted_contact_comes_through_query_all_as_a_tombstone(crm, source):
    crm.records["Contact"] = [salesforce_contact(1, stamp(1)), salesforce_contact(2, stamp(2))]
    crm.delete("Contact", "003000000000000002", stamp(9))
    connector = SalesforceConnector(source)

    records = [r for page in connector.pages("customers", {}) for r in page.records]

    assert [(r["Id"], r["IsDeleted"]) for r in records] == [
        ("003000000000000001", False),
        ("003000000000000002", True),
    ]
    assert connector.map("customers", records[1]) == {
        "external_id": "003000000000000002",
        "deleted": True,
    }
    assert all("/queryAll" in hit for hit in crm.hits if "FROM+Contact" in hit)


def test_a_contact_deleted_in_the_crm_hides_the_customer(crm, source):
    crm.records["Contact"] = [salesforce_contact(1, stamp(1))]
    engine.run_sync(source=source, entity="customers")
    customer = CustomerIdentity.objects.get(external_id="003000000000000001").customer
    crm.delete("Contact", "003000000000000001", stamp(9))

    run = engine.run_sync(source=source, entity="customers")

    assert (run.status, run.updated, run.quarantined) == ("succeeded", 1, 0)
    customer.refresh_from_db()
    assert customer.deleted_at is not None
    assert CustomerIdentity.objects.get(external_id="003000000000000001").deleted_at is not None


def test_a_task_deleted_in_the_crm_withdraws_its_interaction(crm, source):
    crm.records["Contact"] = [salesforce_contact(1)]
    crm.records["Task"] = [completed_task(1, stamp(5))]
    engine.run_sync(source=source, entity="customers")
    engine.run_sync(source=source, entity="interactions")
    crm.delete("Task", "00T000000000000001", stamp(9))

    run = engine.run_sync(source=source, entity="interactions")

    assert (run.status, run.updated, run.quarantined) == ("succeeded", 1, 0)
    assert not Interaction.objects.filter(external_id="00T000000000000001").exists()


# --- Mapping ------------------------------------------------------------------------------


def test_the_mobile_phone_is_preferred_and_phone_is_the_fallback(crm, source):
    crm.records["Contact"] = [
        salesforce_contact(1, stamp(1), MobilePhone="07700 900111", Phone="+442079460000"),
        salesforce_contact(2, stamp(2), MobilePhone=None, Phone="+442079460002"),
    ]
    engine.run_sync(source=source, entity="customers")
    assert [row[3] for row in identities()] == ["+447700900111", "+442079460002"]


def test_birthdate_and_email_opt_out_are_mapped_and_not_opting_out_is_no_consent(crm, source):
    crm.records["Contact"] = [
        salesforce_contact(1, stamp(1), Birthdate="1990-04-12", HasOptedOutOfEmail=True),
        salesforce_contact(2, stamp(2), HasOptedOutOfEmail=False),
    ]
    connector = SalesforceConnector(source)
    opted_out, silent = (
        connector.map("customers", raw)
        for page in connector.pages("customers", {})
        for raw in page.records
    )

    assert opted_out["birthday"] == date(1990, 4, 12)
    assert opted_out["consents"] == [
        {
            "channel": "email",
            "purpose": "marketing",
            "granted": False,
            "recorded_at": datetime(2026, 11, 1, 10, 1, tzinfo=UTC),
        }
    ]
    assert (silent["birthday"], silent["consents"]) == (None, [])


def test_an_org_without_birthdate_sends_no_birthday_key(dev_org):
    org_without = developer_edition_org()
    del org_without["Contact"]["Birthdate"]
    dev_org.org = org_without
    dev_org.records["Contact"] = [dev_contact(1, stamp(1))]
    connector = SalesforceConnector(source_for(dev_org))
    [raw] = [r for page in connector.pages("customers", {}) for r in page.records]
    assert "birthday" not in connector.map("customers", raw)


def test_birthdate_and_opt_out_land_on_the_customer(crm, source):
    crm.records["Contact"] = [
        salesforce_contact(1, stamp(1), Birthdate="1990-04-12", HasOptedOutOfEmail=True)
    ]
    engine.run_sync(source=source, entity="customers")
    customer = CustomerIdentity.objects.get(external_id="003000000000000001").customer
    assert customer.birthday == date(1990, 4, 12)
    consent = Consent.objects.get(customer=customer, channel="email", purpose="marketing")
    assert consent.granted is False


def test_only_completed_tasks_become_interactions_and_ours_are_not_read_back(crm, source):
    crm.records["Contact"] = [salesforce_contact(1)]
    crm.records["Task"] = [
        completed_task(1, stamp(5)),
        completed_task(2, stamp(6), Subject="From Frontline", Frontline_Key__c="note-1"),
        completed_task(3, stamp(7), Subject="Call on Friday", Status="Not Started"),
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


def test_a_webhook_fetch_quotes_the_ids_it_names(crm, source):
    crm.records["Contact"] = [salesforce_contact(1), salesforce_contact(2)]
    connector = SalesforceConnector(source)
    records = connector.fetch("customers", ["003000000000000002", "x' OR Id != '"])
    assert [r["Id"] for r in records] == ["003000000000000002"]


def test_soql_strings_are_escaped_as_the_reference_says():
    assert soql_string('O\'Brien \\ "the"\nshop') == "'O\\'Brien \\\\ \\\"the\\\"\\nshop'"


# --- Write-back ---------------------------------------------------------------------------


def test_write_back_upserts_on_the_configured_external_id_field(httpserver, credentials):
    crm = SalesforceStandIn(httpserver, org=rich_org(external_id_field="Clienteling_Id__c"))
    connector = SalesforceConnector(source_for(crm, external_id_field="Clienteling_Id__c"))
    fields = {"Subject": "Frontline note", "WhoId": "003000000000000001", "Status": "Completed"}

    created = connector.task_upsert(key="note-7", fields=fields)
    updated = connector.task_upsert(key="note-7", fields={**fields, "Subject": "Edited"})

    [task] = crm.records["Task"]
    assert created == updated == task["Id"]
    assert (task["Clienteling_Id__c"], task["Subject"]) == ("note-7", "Edited")


def test_an_update_leaves_out_what_salesforce_sets_only_on_creation(crm, source):
    connector = SalesforceConnector(source)
    fields = {"Subject": "Frontline note", "TaskSubtype": "Call", "Status": "Completed"}
    connector.task_upsert(key="note-8", fields=fields)

    connector.task_upsert(key="note-8", fields={**fields, "Subject": "Edited"})

    [task] = crm.records["Task"]
    assert (task["Subject"], task["TaskSubtype"]) == ("Edited", "Call")


def test_write_back_to_an_org_without_the_field_fails_saying_what_it_needs(dev_org):
    connector = SalesforceConnector(source_for(dev_org))
    with pytest.raises(WriteBackUnavailable, match="Frontline_Key__c: write-back needs one"):
        connector.task_upsert(key="note-1", fields={"Subject": "Frontline note"})
    assert not any(hit for hit in dev_org.hits if "/sobjects/Task/Frontline_Key__c" in hit)


def test_the_org_answers_not_found_to_an_upsert_on_a_field_that_is_not_an_external_id(dev_org):
    dev_org.tokens.append("t")
    response = httpx.patch(
        f"{dev_org.base_url}{dev_org.api}/sobjects/Task/Frontline_Key__c/note-1",
        json={"Subject": "x"},
        headers={"Authorization": "Bearer t"},
    )
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


def test_wrong_credentials_fail_the_run_with_the_reason(crm, source, monkeypatch):
    monkeypatch.setenv("CRM_TEST_CLIENT_SECRET", "wrong")
    run = engine.run_sync(source=source, entity="customers")
    assert run.status == "failed"
    assert "400 from" in run.error
    assert "invalid_client" in run.error
    assert Run.objects.count() == 1
