"""Landing customer records from several sources: survivorship, deletions, consents."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.http import Http404

from frontline.customers.loading import customers_land, interactions_land
from frontline.customers.models import Consent, Customer, CustomerIdentity, Interaction
from frontline.customers.selectors import customer_get_findable, customer_search
from tests.factories import ConsentFactory, UserFactory

pytestmark = pytest.mark.django_db


def record(external_id: str, **changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "external_id": external_id,
        "number": "",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+447700900001",
        "postcode": "N1 9GU",
        "country": "GB",
    }
    return {**base, **changes}


def when(day: int) -> datetime:
    return datetime(2026, 11, day, 9, 0, tzinfo=UTC)


def deleted(external_id: str) -> dict[str, object]:
    """What a connector sends for a record its source deleted."""
    return {"external_id": external_id, "deleted": True}


def ada() -> Customer:
    return Customer.objects.get(email="ada@example.com")


def test_an_empty_value_from_one_source_never_erases_another_sources_value():
    customers_land(record_source="ecommerce", records=[record("7001", postcode="E1 6AN")])
    # The CRM knows Ada by e-mail but has neither her phone nor her postcode.
    customers_land(record_source="crm", records=[record("003A", phone="", postcode="")])

    assert (ada().phone, ada().postcode) == ("+447700900001", "E1 6AN")
    assert Customer.objects.count() == 1


def test_rereading_unchanged_records_writes_nothing():
    customers_land(record_source="ecommerce", records=[record("7001")])
    customers_land(record_source="crm", records=[record("003A", phone="")])
    stamp = ada().updated_at

    again = customers_land(record_source="crm", records=[record("003A", phone="")])

    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert ada().updated_at == stamp


def test_each_value_says_which_source_it_came_from():
    customers_land(record_source="ecommerce", records=[record("7001")])
    customers_land(record_source="crm", records=[record("003A", phone="+447700900002")])

    sources = ada().field_sources
    assert sources["phone"]["source"] == "crm"
    assert sources["email"]["source"] == "ecommerce"  # the CRM sent the same e-mail: no change
    assert datetime.fromisoformat(sources["phone"]["at"]) <= datetime.now(UTC)


def test_a_source_ranked_higher_for_a_field_keeps_its_value(settings):
    settings.CUSTOMER_FIELD_PRIORITY = {"phone": ["pos", "crm"]}
    customers_land(record_source="pos", records=[record("P1", phone="+447700900003")])

    customers_land(
        record_source="crm",
        records=[record("003A", phone="+447700900004", postcode="E1 6AN")],
    )

    assert ada().phone == "+447700900003"  # the tills outrank the CRM for phones
    assert ada().postcode == "E1 6AN"  # no ranking for postcodes: the newest value wins


def test_later_records_of_one_batch_apply_on_top_of_earlier_ones():
    customers_land(record_source="crm", records=[record("003A")])
    customers_land(
        record_source="crm",
        records=[record("003A", postcode="SW1A 1AA"), record("003B", postcode="")],
    )
    assert ada().postcode == "SW1A 1AA"
    assert CustomerIdentity.objects.filter(customer=ada()).count() == 2


def test_birthdays_land_and_a_missing_one_erases_nothing():
    customers_land(record_source="crm", records=[record("003A", birthday=date(1990, 12, 10))])
    customers_land(record_source="crm", records=[record("003A", birthday=None)])
    assert ada().birthday == date(1990, 12, 10)


def test_a_customer_deleted_at_their_only_source_is_hidden_from_search_and_the_profile():
    manager = UserFactory(is_superuser=True)
    customers_land(record_source="crm", records=[record("003A")])
    customer = ada()

    outcome = customers_land(
        record_source="crm", records=[{"external_id": "003A", "deleted": True}]
    )

    assert (outcome.updated, outcome.unchanged) == (1, 0)
    customer.refresh_from_db()
    assert customer.deleted_at is not None
    assert CustomerIdentity.objects.get(external_id="003A").deleted_at is not None
    assert customer_search(user=manager, query="Lovelace").customers == []
    with pytest.raises(Http404):
        customer_get_findable(user=manager, customer_id=customer.pk)


def test_a_customer_another_source_still_knows_stays_visible():
    customers_land(record_source="crm", records=[record("003A")])
    customers_land(record_source="ecommerce", records=[record("7001")])

    customers_land(record_source="crm", records=[deleted("003A")])

    assert ada().deleted_at is None
    assert CustomerIdentity.objects.get(external_id="003A").deleted_at is not None


def test_a_deleted_record_that_comes_back_is_live_again():
    customers_land(record_source="crm", records=[record("003A")])
    customers_land(record_source="crm", records=[deleted("003A")])

    customers_land(record_source="crm", records=[record("003A")])

    assert ada().deleted_at is None
    assert CustomerIdentity.objects.get(external_id="003A").deleted_at is None


def test_deleting_a_record_nobody_knows_changes_nothing():
    outcome = customers_land(
        record_source="crm", records=[{"external_id": "nope", "deleted": True}]
    )
    assert (outcome.updated, outcome.unchanged) == (0, 1)


def opt(channel: str, granted: bool, day: int) -> dict[str, object]:
    return {
        "channel": channel,
        "purpose": "marketing",
        "granted": granted,
        "recorded_at": when(day),
    }


def test_consent_statements_land_and_the_newest_stands():
    customers_land(
        record_source="ecommerce",
        records=[record("7001", consents=[opt("email", True, 3), opt("sms", False, 3)])],
    )
    consents = {c.channel: (c.granted, c.source) for c in Consent.objects.filter(customer=ada())}
    assert consents == {"email": (True, "ecommerce"), "sms": (False, "ecommerce")}

    # The CRM's opt-out is newer than the shop's opt-in.
    customers_land(record_source="crm", records=[record("003A", consents=[opt("email", False, 5)])])
    email = Consent.objects.get(customer=ada(), channel="email")
    assert (email.granted, email.source, email.recorded_at) == (False, "crm", when(5))


def test_an_older_consent_statement_never_overrides_a_newer_one():
    customers_land(record_source="crm", records=[record("003A")])
    ConsentFactory(
        customer=ada(), channel="email", purpose="marketing", granted=True, recorded_at=when(20)
    )

    customers_land(record_source="crm", records=[record("003A", consents=[opt("email", False, 4)])])

    assert Consent.objects.get(customer=ada(), channel="email").granted is True


def test_a_deleted_activity_leaves_the_timeline():
    customers_land(record_source="crm", records=[record("003A")])
    task = {
        "external_id": "00T1",
        "customer_external_id": "003A",
        "kind": "note",
        "channel": "phone",
        "summary": "Call back",
        "occurred_at": when(2),
    }
    interactions_land(record_source="crm", records=[task])

    outcome = interactions_land(
        record_source="crm",
        records=[{"external_id": "00T1", "deleted": True}, {**task, "external_id": "00T2"}],
    )

    assert list(Interaction.objects.values_list("external_id", flat=True)) == ["00T2"]
    assert (outcome.created, outcome.updated) == (1, 1)
    assert outcome.active_customer_ids == {ada().pk}


def test_a_field_changed_and_changed_back_in_one_batch_keeps_its_origin():
    customers_land(record_source="ecommerce", records=[record("7001")])
    origin = ada().field_sources["postcode"]

    outcome = customers_land(
        record_source="crm",
        records=[record("003A", postcode="E1 6AN"), record("003B", postcode="N1 9GU")],
    )

    assert ada().field_sources["postcode"] == origin
    assert ada().postcode == "N1 9GU"
    assert outcome.created == 0
