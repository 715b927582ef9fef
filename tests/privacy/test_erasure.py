"""Erasing a customer (GDPR art. 17, CCPA deletion): anonymised in place, figures kept, every
connected system asked and tracked until it confirms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from frontline.actions.models import ActionOutcome, ActionSuggestion
from frontline.customers.loading import customers_land, identities_mark_deleted
from frontline.customers.models import (
    Consent,
    Customer,
    CustomerEdit,
    CustomerIdentity,
    CustomerNote,
    CustomerPreference,
    CustomerSize,
    Interaction,
    WishlistItem,
)
from frontline.customers.selectors import customer_search
from frontline.customers.services import customers_merge, note_create
from frontline.orders.models import Order
from frontline.privacy.models import (
    AccessAction,
    ErasureStatus,
    ErasureStepStatus,
    PersonalDataAccess,
)
from frontline.privacy.services import (
    ErasureRefused,
    customer_erase,
    erasure_confirmations_collect,
    erasure_step_confirm,
)
from frontline.sync.models import OutboxMessage, Source
from tests.factories import CustomerFactory, IdentityFactory, UserFactory
from tests.privacy.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm(db) -> Source:
    """A CRM configured for write-back (the message is queued; sync/test_outbox delivers)."""
    return Source.objects.create(
        name="crm", kind=Source.Kind.SALESFORCE, record_source="crm", credentials_env="CRM"
    )


def test_personal_fields_are_emptied_and_the_figures_kept(household):
    customer = household.customer
    customer_erase(by=household.manager, customer_id=customer.pk)
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.email, customer.phone) == (
        "Erased customer", "", "", "",
    )  # fmt: skip
    assert (customer.postcode, customer.birthday, customer.preferred_associate) == ("", None, None)
    assert customer.erased_at is not None and customer.deleted_at is not None
    assert (customer.lifetime_value, customer.order_count) == (Decimal("250.00"), 1)
    order = Order.objects.get(customer=customer)
    assert order.total == Decimal("250.00") and order.lines.count() == 1


def test_what_describes_the_person_goes_and_events_stay_without_their_text(household):
    customer = household.customer
    customer_erase(by=household.manager, customer_id=customer.pk)
    for model in (
        Consent, CustomerPreference, CustomerSize, WishlistItem, CustomerNote, CustomerEdit,
        ActionSuggestion,
    ):  # fmt: skip
        assert not model.objects.filter(customer=customer).exists(), model.__name__
    assert list(Interaction.objects.filter(customer=customer).values_list("summary")) == [("",)]
    outcome = ActionOutcome.objects.get(customer=customer)
    assert (outcome.reason, outcome.note, outcome.data) == ("", "", {})
    assert set(
        CustomerIdentity.objects.filter(customer=customer).values_list("external_id", "email")
    ) == {("003GRACE", ""), ("7001", "")}


def test_the_audit_trail_is_kept_and_records_the_erasure(household):
    customer = household.customer
    before = PersonalDataAccess.objects.filter(customer=customer).count()
    erasure = customer_erase(by=household.manager, customer_id=customer.pk)
    rows = PersonalDataAccess.objects.filter(customer=customer)
    assert rows.count() == before + 1
    erased = rows.get(action=AccessAction.ERASED)
    assert (erased.staff, erased.detail) == (
        household.manager, f"erasure request {erasure.pk} (1 record(s))",
    )  # fmt: skip


def test_search_and_the_profile_no_longer_show_the_customer(household):
    customer = household.customer
    customer_erase(by=household.manager, customer_id=customer.pk)
    for query in ("Grace", "Hopper", "grace.hopper@example.com", "07700900123", "003GRACE"):
        assert customer_search(user=household.manager, query=query).customers == [], query
    client = signed_in(household.manager)
    assert client.get(f"/customers/{customer.pk}/").status_code == 404
    assert client.get(f"/api/customers/{customer.pk}/").status_code == 404


def test_each_connected_system_waits_for_confirmation_and_the_crm_is_asked(household, crm):
    erasure = customer_erase(by=household.manager, customer_id=household.customer.pk)
    steps = {step.system: step for step in erasure.steps.all()}
    assert set(steps) == {"frontline", "crm", "ecommerce"}
    assert steps["frontline"].status == ErasureStepStatus.DONE
    assert (steps["crm"].status, steps["crm"].external_ids) == (
        ErasureStepStatus.WAITING, ["003GRACE"],
    )  # fmt: skip
    message = OutboxMessage.objects.get(key=f"erasure-{erasure.pk}")
    assert f"outbox message {message.pk}" in steps["crm"].detail
    assert message.payload["WhoId"] == "003GRACE"
    assert "Frontline cannot write to this system" in steps["ecommerce"].detail
    assert erasure.status == ErasureStatus.IN_PROGRESS


def test_notes_waiting_to_go_to_the_crm_are_given_up_and_their_text_dropped(household, crm):
    customer = household.customer
    note = note_create(customer=customer, author=household.associate, body="Saturday, 10am")
    pending = OutboxMessage.objects.get(key=f"customer-note-{note.pk}")
    assert "Saturday" in pending.payload["Description"]
    customer_erase(by=household.manager, customer_id=customer.pk)
    pending.refresh_from_db()
    assert pending.status == OutboxMessage.Status.FAILED
    assert "Description" not in pending.payload


def test_the_request_completes_when_every_system_confirmed(household):
    erasure = customer_erase(by=household.manager, customer_id=household.customer.pk)
    # The CRM reports its contact deleted; sync marks the identity, the sweep confirms.
    identities_mark_deleted(record_source="crm", external_ids=["003GRACE"])
    assert erasure_confirmations_collect() == 1
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.IN_PROGRESS
    # The shop has no write-back: an admin confirms it by hand.
    shop = erasure.steps.get(system="ecommerce")
    admin = UserFactory(is_superuser=True)
    erasure_step_confirm(step=shop, by=admin, detail="Deleted in the shop's admin")
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.COMPLETED and erasure.completed_at is not None
    assert erasure_confirmations_collect() == 0


def test_a_second_erasure_is_refused_saying_so(household, crm):
    customer = household.customer
    customer_erase(by=household.manager, customer_id=customer.pk)
    with pytest.raises(ErasureRefused, match=f"{customer.number} was already erased"):
        customer_erase(by=household.manager, customer_id=customer.pk)
    assert OutboxMessage.objects.filter(key__startswith="erasure-").count() == 1
    api = signed_in(household.manager).post(
        f"/api/privacy/customers/{customer.pk}/erasure/", {}, content_type="application/json"
    )
    assert api.status_code == 409
    assert "already erased" in api.json()["detail"]


def test_records_merged_into_the_customer_are_erased_with_them(household):
    customer = household.customer
    twin = CustomerFactory(preferred_store=household.store, first_name="G.", email="g@example.com")
    IdentityFactory(customer=twin, source="pos", external_id="POS-9")
    customers_merge(survivor_id=customer.pk, loser_id=twin.pk, merged_by=household.manager)
    erasure = customer_erase(by=household.manager, customer_id=customer.pk)
    twin.refresh_from_db()
    assert (twin.first_name, twin.email, twin.erased_at is not None) == (
        "Erased customer", "", True,
    )  # fmt: skip
    assert "pos" in set(erasure.steps.values_list("system", flat=True))


def test_a_sync_of_a_record_not_yet_erased_at_its_source_does_not_bring_it_back(household):
    customer = household.customer
    customer_erase(by=household.manager, customer_id=customer.pk)
    record = {
        "external_id": "003GRACE", "number": "", "first_name": "Grace", "last_name": "Hopper",
        "email": "grace.hopper@example.com", "phone": "+447700900123", "postcode": "N1 9GU",
        "country": "GB",
    }  # fmt: skip
    customers_land(record_source="crm", records=[record])
    customer.refresh_from_db()
    assert (customer.first_name, customer.email, customer.deleted_at is not None) == (
        "Erased customer", "", True,
    )  # fmt: skip
    assert not Customer.objects.filter(email="grace.hopper@example.com").exists()


def test_the_manager_confirms_by_typing_the_name(household):
    customer = household.customer
    client = signed_in(household.manager)
    url = f"/privacy/customers/{customer.pk}/erase/"
    assert b"Type the customer" in client.get(url).content
    wrong = client.post(url, {"confirm_name": "Grace Hoper"})
    assert wrong.status_code == 400
    customer.refresh_from_db()
    assert customer.erased_at is None
    right = client.post(url, {"confirm_name": "  grace   HOPPER "})
    assert right.status_code == 302
    status_page = client.get(right["Location"])
    assert status_page.status_code == 200
    assert b"Waiting for the system to confirm" in status_page.content


def test_the_api_erases_with_the_name_and_answers_the_request(household):
    customer = household.customer
    client = signed_in(household.manager)
    url = f"/api/privacy/customers/{customer.pk}/erasure/"
    refused = client.post(url, {"confirm_name": "Ada"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["confirm_name"]
    done = client.post(url, {"confirm_name": "Grace Hopper"}, content_type="application/json")
    assert done.status_code == 201
    body = done.json()
    assert body["customer_number"] == customer.number
    assert {step["system"] for step in body["steps"]} == {"frontline", "crm", "ecommerce"}
    followed = client.get(f"/api/privacy/erasures/{body['id']}/")
    assert followed.status_code == 200 and followed.json()["status"] == "in_progress"


def test_an_associate_cannot_erase(household):
    client = signed_in(household.associate)
    url = f"/privacy/customers/{household.customer.pk}/erase/"
    assert client.post(url, {"confirm_name": "Grace Hopper"}).status_code == 403
    household.customer.refresh_from_db()
    assert household.customer.erased_at is None


def test_an_admin_confirms_a_system_in_the_back_office(household, admin_client):
    erasure = customer_erase(by=household.manager, customer_id=household.customer.pk)
    waiting = list(erasure.steps.filter(status="waiting").values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/privacy/erasurestep/",
        {"action": "confirm_erased", "_selected_action": waiting},
    )
    assert response.status_code == 302
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.COMPLETED
    page = admin_client.get(f"/admin/privacy/erasurerequest/{erasure.pk}/change/")
    assert page.status_code == 200
