"""Signing a customer up by hand: normalised, in the associate's store, checked for duplicates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontline.customers.models import Customer, DuplicateCandidate
from frontline.privacy.models import AccessAction, PersonalDataAccess
from tests.factories import CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db


def test_an_associate_signs_a_customer_up_in_their_store(associate_client, associate, store):
    response = associate_client.post(
        reverse("customers:new"),
        {
            "first_name": " Grace ",
            "last_name": "Hopper",
            "email": "Grace.Hopper@Example.COM",
            "phone": "07700 900456",
            "postcode": "sw1a 1aa",
            "store": store.pk,
        },
    )
    customer = Customer.objects.get(last_name="Hopper")
    assert response.status_code == 302
    assert response.url == reverse("customers:profile", args=[customer.pk])
    assert (customer.first_name, customer.email, customer.phone, customer.postcode) == (
        "Grace",
        "grace.hopper@example.com",
        "+447700900456",
        "SW1A 1AA",
    )
    assert customer.preferred_store == store and customer.preferred_associate == associate
    assert customer.number == f"FL{customer.pk:08d}"
    assert PersonalDataAccess.objects.filter(
        staff=associate, customer=customer, action=AccessAction.PROFILE_CREATED
    ).exists()


def test_a_probable_duplicate_is_queued_for_review_once_saved(
    associate_client, store, django_capture_on_commit_callbacks, tasks_run
):
    known = CustomerFactory(
        first_name="Grace", last_name="Hopper", email="grace@example.com", preferred_store=store
    )
    with django_capture_on_commit_callbacks(execute=True):
        associate_client.post(
            reverse("customers:new"),
            {"first_name": "Grace", "last_name": "Hopper", "email": "GRACE@example.com",
             "store": store.pk},
        )  # fmt: skip
    new = Customer.objects.exclude(pk=known.pk).get(last_name="Hopper")
    assert any(name.endswith("detect_duplicates_task") for name in tasks_run)
    candidate = DuplicateCandidate.objects.get()
    assert {candidate.customer_id, candidate.other_id} == {known.pk, new.pk}


def test_a_bad_phone_shows_its_error_and_saves_nothing(associate_client, store):
    response = associate_client.post(
        reverse("customers:new"),
        {"first_name": "Grace", "last_name": "Hopper", "phone": "12", "store": store.pk},
    )
    assert response.status_code == 200
    assert "Enter a phone number with its area code" in response.content.decode()
    assert not Customer.objects.filter(last_name="Hopper").exists()


def test_a_customer_needs_a_name(associate_client, store):
    response = associate_client.post(reverse("customers:new"), {"email": "a@example.com"})
    assert "Give a first name or a last name." in response.content.decode()
    assert not Customer.objects.exists()


def test_the_api_signs_up_in_the_primary_store_and_explains_bad_input(associate_client, store):
    created = associate_client.post(
        "/api/customers/",
        {"first_name": "Ada", "last_name": "Byron"},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["preferred_store"]["id"] == store.pk
    bad = associate_client.post(
        "/api/customers/", {"last_name": "Byron", "email": "not-an-email"},
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 400
    assert "e-mail" in bad.json()["errors"]["email"][0]


def test_an_associate_cannot_sign_up_into_another_store(associate_client):
    elsewhere = StoreFactory()
    response = associate_client.post(
        "/api/customers/", {"last_name": "Byron", "store": elsewhere.pk},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"]["store"] == ["Not one of your stores."]
    page = associate_client.post(
        reverse("customers:new"), {"last_name": "Byron", "store": elsewhere.pk}
    )
    assert page.status_code == 200 and not Customer.objects.exists()


def test_the_search_page_offers_to_sign_a_new_customer_up(associate_client):
    html = associate_client.get(reverse("customers:search")).content.decode()
    assert f'href="{reverse("customers:new")}"' in html
