"""A customer arrives: the visit is on their timeline and the store's tablets are told."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontline.customers.models import Interaction
from frontline.notifications.models import Notification, NotificationRecipient
from tests.factories import StoreAssignmentFactory, StoreFactory

pytestmark = pytest.mark.django_db


def check_in(client, customer):
    return client.post(reverse("customers:check_in", args=[customer.pk]))


def test_checking_in_records_the_visit_and_tells_the_store_staff_only(
    associate_client, associate, customer, store
):
    colleague = StoreAssignmentFactory(store=store, role="associate").user
    elsewhere = StoreAssignmentFactory(store=StoreFactory(), role="associate").user
    response = check_in(associate_client, customer)
    assert response.status_code == 302
    visit = Interaction.objects.get(customer=customer)
    assert (visit.kind, visit.channel, visit.store, visit.staff) == (
        "visit", "store", store, associate,
    )  # fmt: skip
    customer.refresh_from_db()
    assert customer.last_visit_at == visit.occurred_at
    notification = Notification.objects.get(kind="customer.checked_in")
    assert notification.title == "Ada Lovelace checked in"
    assert notification.link == f"/customers/{customer.pk}/"
    told = set(
        NotificationRecipient.objects.filter(notification=notification).values_list(
            "recipient", flat=True
        )
    )
    assert {associate.pk, colleague.pk} <= told and elsewhere.pk not in told


def test_a_double_tap_tells_the_store_once(associate_client, customer):
    check_in(associate_client, customer)
    check_in(associate_client, customer)
    assert Notification.objects.filter(kind="customer.checked_in").count() == 1


def test_the_profile_offers_the_check_in(associate_client, customer):
    html = associate_client.get(reverse("customers:profile", args=[customer.pk])).content.decode()
    assert f'action="{reverse("customers:check_in", args=[customer.pk])}"' in html


def test_a_walk_in_of_another_store_is_checked_in_here(associate_client, other_store, store):
    from tests.factories import CustomerFactory

    stranger = CustomerFactory(preferred_store=other_store)
    assert check_in(associate_client, stranger).status_code == 302
    assert Interaction.objects.get(customer=stranger).store == store


def test_a_merged_record_cannot_be_checked_in(associate_client, customer, store):
    from tests.factories import CustomerFactory

    merged = CustomerFactory(preferred_store=store, merged_into=customer)
    assert check_in(associate_client, merged).status_code == 404
    assert not Interaction.objects.exists()


def test_a_greeter_device_checks_in_through_the_api(associate_client, customer, store):
    url = f"/api/customers/{customer.pk}/check-in/"
    response = associate_client.post(url, {}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["store"]["id"] == store.pk
    refused = associate_client.post(
        url, {"store": StoreFactory().pk}, content_type="application/json"
    )
    assert refused.status_code == 400 and refused.json()["errors"]["store"] == [
        "Not one of your stores."
    ]
    assert Notification.objects.filter(kind="customer.checked_in").count() == 1
