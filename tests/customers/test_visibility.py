"""Customer lookup is brand-wide; the work done for a customer stays with their store.

A customer is one person in every store: an associate of any store finds them, opens their
profile (on the audit) and adds to their own record (notes, sizes, preferences, wishlist). Merged,
deleted and erased customers are found by nobody, and whoever works at no store finds nobody.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from frontline.customers.selectors import customers_findable_by, customers_in_stores_of
from frontline.privacy.models import AccessAction, PersonalDataAccess
from frontline.privacy.services import customer_erase
from tests.factories import CustomerFactory, NoteFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "customers:profile",
    "customers:timeline",
    "customers:panels",
]


def test_an_associate_finds_the_customers_of_every_store(associate, customer, stranger):
    assert set(customers_findable_by(associate)) == {customer, stranger}


def test_store_work_keeps_to_the_associates_stores(associate, customer, stranger):
    assert list(customers_in_stores_of(associate)) == [customer]


def test_a_superuser_finds_and_works_for_every_store(customer, stranger):
    admin = UserFactory(is_superuser=True)
    assert set(customers_findable_by(admin)) == {customer, stranger}
    assert set(customers_in_stores_of(admin)) == {customer, stranger}


def test_staff_working_at_no_store_find_nobody(customer, stranger):
    assert list(customers_findable_by(UserFactory())) == []


def test_an_inactive_account_finds_nobody(associate, customer):
    associate.is_active = False
    assert list(customers_findable_by(associate)) == []


def test_merged_deleted_and_erased_records_are_found_by_nobody(associate, customer, store):
    merged = CustomerFactory(preferred_store=store, merged_into=customer)
    deleted = CustomerFactory(preferred_store=store, deleted_at=timezone.now())
    erased = CustomerFactory(preferred_store=store)
    customer_erase(by=UserFactory(is_superuser=True), customer_id=erased.pk)
    findable = set(customers_findable_by(associate))
    assert findable == {customer}
    assert not {merged, deleted, erased} & set(customers_in_stores_of(associate))


@pytest.mark.parametrize("name", PAGES)
def test_associate_opens_another_stores_customer_pages(associate_client, stranger, name):
    response = associate_client.get(reverse(name, args=[stranger.pk]))
    assert response.status_code == 200
    assert stranger.last_name in response.content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_associate_fetches_another_stores_customer_partials_with_htmx(
    associate_client, stranger, name
):
    response = associate_client.get(reverse(name, args=[stranger.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200


def test_opening_another_stores_customer_is_on_the_audit(associate, associate_client, stranger):
    associate_client.get(reverse("customers:profile", args=[stranger.pk]))
    associate_client.get(f"/api/customers/{stranger.pk}/")
    actions = set(
        PersonalDataAccess.objects.filter(staff=associate, customer_id=stranger.pk).values_list(
            "action", flat=True
        )
    )
    assert {AccessAction.PROFILE_VIEWED, AccessAction.PROFILE_READ_API} <= actions


@pytest.mark.parametrize("name", PAGES)
def test_nobody_opens_a_merged_or_erased_customer(associate_client, customer, store, name):
    erased = CustomerFactory(preferred_store=store)
    customer_erase(by=UserFactory(is_superuser=True), customer_id=erased.pk)
    merged = CustomerFactory(preferred_store=store, merged_into=customer)
    for gone in (erased, merged):
        assert associate_client.get(reverse(name, args=[gone.pk])).status_code == 404


@pytest.mark.parametrize(
    "name, data",
    [
        ("customers:note_add", {"body": "Came in to London for a gift"}),
        ("customers:wishlist_add", {"description": "a scarf"}),
        ("customers:size_set", {"category": "tops", "size": "M"}),
        ("customers:preference_add", {"kind": "colour", "value": "navy"}),
        ("customers:dates_set", {"birthday": "1990-01-01"}),
    ],
)
def test_associate_adds_to_another_stores_customers_record(associate_client, stranger, name, data):
    """The walk-in of another store: what the customer tells this store is theirs, everywhere."""
    response = associate_client.post(reverse(name, args=[stranger.pk]), data)
    assert response.status_code == 302
    stranger.refresh_from_db()
    written = {
        "customers:note_add": lambda: stranger.notes.get().body,
        "customers:wishlist_add": lambda: stranger.wishlist.get().description,
        "customers:size_set": lambda: stranger.sizes.get().size,
        "customers:preference_add": lambda: stranger.preferences.get().value,
        "customers:dates_set": lambda: stranger.birthday.isoformat(),
    }[name]()
    assert written in "".join(data.values())


def test_associate_reads_another_stores_customer_through_the_api(associate_client, stranger):
    profile = associate_client.get(f"/api/customers/{stranger.pk}/")
    assert profile.status_code == 200 and profile.json()["customer"]["number"] == stranger.number
    assert associate_client.get(f"/api/customers/{stranger.pk}/timeline/").status_code == 200


def test_associate_writes_a_note_on_another_stores_customer_through_the_api(
    associate_client, stranger
):
    response = associate_client.post(
        f"/api/customers/{stranger.pk}/notes/", {"body": "x"}, content_type="application/json"
    )
    assert response.status_code == 201
    note = NoteFactory(customer=stranger)
    response = associate_client.patch(
        f"/api/customers/{stranger.pk}/notes/{note.pk}/",
        {"pinned": True},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_the_api_answers_404_for_a_merged_customer(associate_client, customer, store):
    merged = CustomerFactory(preferred_store=store, merged_into=customer)
    for url in (f"/api/customers/{merged.pk}/", f"/api/customers/{merged.pk}/timeline/"):
        response = associate_client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "No such customer."}


def test_search_finds_customers_of_every_store(associate_client, customer, stranger):
    response = associate_client.get("/api/customers/", {"q": "Ada"})
    numbers = {row["number"] for row in response.json()["results"]}
    assert numbers == {customer.number, stranger.number}
    page = associate_client.get(reverse("customers:search"), {"q": "byron@example.com"})
    assert stranger.number in page.content.decode()


def test_search_never_returns_a_merged_customer(associate_client, customer, store):
    merged = CustomerFactory(preferred_store=store, merged_into=customer, first_name="Ada")
    response = associate_client.get("/api/customers/", {"q": "Ada"})
    numbers = {row["number"] for row in response.json()["results"]}
    assert customer.number in numbers and merged.number not in numbers


def test_an_anonymous_visitor_is_sent_to_sign_in(client, customer):
    response = client.get(reverse("customers:profile", args=[customer.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(f"/api/customers/{customer.pk}/").status_code in {401, 403}


@pytest.mark.parametrize("raw", ["abc", "0", "-4", str(2**63), "69737844868193347939071682412544"])
def test_an_id_no_customer_can_have_is_a_json_404(associate_client, raw):
    response = associate_client.get(f"/api/customers/{raw}/")
    assert response.status_code == 404 and response.json()["detail"]
