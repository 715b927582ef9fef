"""An associate sees the customers of their own stores; others are "not found", everywhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontline.customers.selectors import customers_visible_to
from tests.factories import CustomerFactory, NoteFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "customers:profile",
    "customers:timeline",
    "customers:panels",
]


def test_the_selector_keeps_to_the_associates_stores(associate, customer, stranger):
    assert list(customers_visible_to(associate)) == [customer]


def test_a_superuser_sees_every_store(customer, stranger):
    admin = UserFactory(is_superuser=True)
    assert set(customers_visible_to(admin)) == {customer, stranger}


def test_a_merged_record_is_hidden_behind_its_survivor(associate, customer, store):
    merged = CustomerFactory(preferred_store=store, merged_into=customer)
    assert merged not in customers_visible_to(associate)


@pytest.mark.parametrize("name", PAGES)
def test_associate_cannot_open_another_stores_customer_pages(associate_client, stranger, name):
    response = associate_client.get(reverse(name, args=[stranger.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_associate_cannot_fetch_another_stores_partials_with_htmx(associate_client, stranger, name):
    response = associate_client.get(reverse(name, args=[stranger.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 404


def test_associate_cannot_fetch_a_panel_of_another_stores_customer(associate_client, stranger):
    url = reverse("customers:panel", args=[stranger.pk, "holds"])
    assert associate_client.get(url, HTTP_HX_REQUEST="true").status_code == 404


@pytest.mark.parametrize(
    "name, data",
    [
        ("customers:note_add", {"body": "hello"}),
        ("customers:wishlist_add", {"description": "a scarf"}),
        ("customers:size_set", {"category": "tops", "size": "M"}),
        ("customers:preference_add", {"kind": "colour", "value": "navy"}),
        ("customers:dates_set", {"birthday": "1990-01-01"}),
    ],
)
def test_associate_cannot_change_another_stores_customer(associate_client, stranger, name, data):
    response = associate_client.post(reverse(name, args=[stranger.pk]), data)
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.notes.count() == 0 and stranger.wishlist.count() == 0
    assert stranger.sizes.count() == 0 and stranger.birthday is None


def test_associate_cannot_read_another_stores_customer_through_the_api(associate_client, stranger):
    for url in (
        f"/api/customers/{stranger.pk}/",
        f"/api/customers/{stranger.pk}/timeline/",
    ):
        response = associate_client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "No such customer."}


def test_associate_cannot_write_a_note_on_another_stores_customer_through_the_api(
    associate_client, stranger
):
    response = associate_client.post(
        f"/api/customers/{stranger.pk}/notes/", {"body": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
    note = NoteFactory(customer=stranger)
    response = associate_client.patch(
        f"/api/customers/{stranger.pk}/notes/{note.pk}/",
        {"pinned": True},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_search_never_returns_another_stores_customer(associate_client, customer, stranger):
    response = associate_client.get("/api/customers/", {"q": "Ada"})
    numbers = [row["number"] for row in response.json()["results"]]
    assert numbers == [customer.number]
    page = associate_client.get(reverse("customers:search"), {"q": "byron@example.com"})
    assert stranger.number not in page.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, customer):
    response = client.get(reverse("customers:profile", args=[customer.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(f"/api/customers/{customer.pk}/").status_code in {401, 403}


@pytest.mark.parametrize("raw", ["abc", "0", "-4", str(2**63), "69737844868193347939071682412544"])
def test_an_id_no_customer_can_have_is_a_json_404(associate_client, raw):
    response = associate_client.get(f"/api/customers/{raw}/")
    assert response.status_code == 404 and response.json()["detail"]
