"""A customer's data export (GDPR art. 15/20, CCPA right to know): everything, as JSON."""

from __future__ import annotations

import json

import pytest
from django.db.models import ForeignObjectRel

from frontline.customers.models import Customer
from frontline.privacy.models import AccessAction, PersonalDataAccess
from frontline.privacy.registry import personal_data_sources
from tests.privacy.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_every_table_that_names_a_customer_is_exported_and_erased_by_a_registered_source():
    """A domain that adds a foreign key to Customer registers what export and erasure do
    with it (frontline.privacy.registry), or this fails naming the relation."""
    covered = {relation for source in personal_data_sources() for relation in source.relations}
    relations = {
        f"{rel.related_model._meta.label}.{rel.field.name}"
        for rel in Customer._meta.get_fields(include_hidden=True)
        if isinstance(rel, ForeignObjectRel)
    }
    assert relations, "the relations are found"
    assert relations - covered == set()


def test_a_manager_downloads_everything_held_about_the_customer(household):
    customer = household.customer
    response = signed_in(household.manager).get(f"/privacy/customers/{customer.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="customer-{customer.pk}-personal-data.json"'
    )
    assert response["Cache-Control"] == "no-store"
    bundle = json.loads(response.content)
    data = bundle["data"]
    assert (bundle["customer_id"], bundle["exported_by"]) == (
        customer.pk, household.manager.username,
    )  # fmt: skip
    people = data["customers"]
    assert people["customer"]["email"] == "grace.hopper@example.com"
    assert people["customer"]["birthday"] == "1980-12-09"
    assert {row["external_id"] for row in people["identities"]} == {"003GRACE", "7001"}
    assert [row["body"] for row in people["notes"]] == ["Grace prefers Saturday fittings."]
    assert [row["value"] for row in people["preferences"]] == ["Navy"]
    for section in ("consents", "sizes", "interactions", "wishlist"):
        assert len(people[section]) == 1, section
    [order] = data["orders"]
    assert (order["total"], len(order["lines"])) == ("250.00", 1)
    assert len(data["actions"]["recommended_actions"]) == 1
    assert data["actions"]["action_outcomes"][0]["note"] == "Called Grace"
    assert "holds" in data["catalog"]
    # The export is on the record, and the bundle says so itself.
    audit = data["privacy"]["audit_trail"]
    assert AccessAction.EXPORTED in [row["action"] for row in audit]
    assert PersonalDataAccess.objects.filter(
        staff=household.manager, customer=customer, action=AccessAction.EXPORTED
    ).exists()


def test_the_profile_offers_export_and_erasure_to_the_stores_manager_only(household):
    customer = household.customer
    export_link = f"/privacy/customers/{customer.pk}/export/".encode()
    manager_page = signed_in(household.manager).get(f"/customers/{customer.pk}/")
    associate_page = signed_in(household.associate).get(f"/customers/{customer.pk}/")
    assert export_link in manager_page.content
    assert export_link not in associate_page.content


def test_an_associate_of_the_store_is_refused_the_export(household):
    client = signed_in(household.associate)
    assert client.get(f"/privacy/customers/{household.customer.pk}/export/").status_code == 403
    api = client.get(f"/api/privacy/customers/{household.customer.pk}/export/")
    assert api.status_code == 403
    assert not PersonalDataAccess.objects.filter(action=AccessAction.EXPORTED).exists()


def test_the_api_export_is_the_same_bundle(household):
    response = signed_in(household.manager).get(
        f"/api/privacy/customers/{household.customer.pk}/export/"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["format"] == "frontline-personal-data/1"
    assert body["data"]["customers"]["customer"]["last_name"] == "Hopper"
