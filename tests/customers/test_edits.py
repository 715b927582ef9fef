"""Associates edit sizes, preferences, dates, notes and the wishlist; who and when is kept."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from frontline.customers.models import CustomerEdit, CustomerNote
from tests.factories import CustomerPreferenceFactory, NoteFactory, StoreAssignmentFactory

pytestmark = pytest.mark.django_db


def test_an_associate_adds_a_note_and_it_is_rendered_escaped(associate_client, associate, customer):
    body = '<script>alert("x")</script> & <b>bold</b>'
    response = associate_client.post(
        reverse("customers:note_add", args=[customer.pk]), {"body": body}
    )
    assert response.status_code == 302
    note = CustomerNote.objects.get(customer=customer)
    assert note.author == associate and note.body == body
    html = associate_client.get(reverse("customers:profile", args=[customer.pk])).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_adding_a_note_with_htmx_returns_the_refreshed_notes_section(associate_client, customer):
    response = associate_client.post(
        reverse("customers:note_add", args=[customer.pk]),
        {"body": "Likes linen"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="notes"' in html and "Likes linen" in html
    assert "<html" not in html


def test_an_empty_note_is_refused_with_a_message_and_nothing_saved(associate_client, customer):
    response = associate_client.post(
        reverse("customers:note_add", args=[customer.pk]), {"body": "   "}, HTTP_HX_REQUEST="true"
    )
    assert "A note cannot be empty." in response.content.decode()
    assert not CustomerNote.objects.exists()


def test_only_the_author_edits_a_note(associate_client, customer, store):
    colleague = StoreAssignmentFactory(store=store).user
    note = NoteFactory(customer=customer, author=colleague, body="Theirs")
    url = reverse("customers:note_edit", args=[customer.pk, note.pk])
    assert associate_client.post(url, {"body": "Mine now"}).status_code == 403
    note.refresh_from_db()
    assert note.body == "Theirs"
    api = associate_client.patch(
        f"/api/customers/{customer.pk}/notes/{note.pk}/",
        {"body": "x"},
        content_type="application/json",
    )
    assert api.status_code == 403


def test_the_author_edits_their_note(associate_client, associate, customer):
    note = NoteFactory(customer=customer, author=associate, body="First")
    url = reverse("customers:note_edit", args=[customer.pk, note.pk])
    assert associate_client.post(url, {"body": "Second"}).status_code == 302
    note.refresh_from_db()
    assert note.body == "Second"


def test_anyone_who_sees_the_customer_can_pin_a_note(associate_client, customer, store):
    note = NoteFactory(customer=customer, author=StoreAssignmentFactory(store=store).user)
    associate_client.post(
        reverse("customers:note_pin", args=[customer.pk, note.pk]), {"pinned": "true"}
    )
    note.refresh_from_db()
    assert note.is_pinned


def test_notes_through_the_api(associate_client, customer):
    created = associate_client.post(
        f"/api/customers/{customer.pk}/notes/",
        {"body": "Via API", "pinned": True},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["is_pinned"] is True
    empty = associate_client.post(
        f"/api/customers/{customer.pk}/notes/", {"body": ""}, content_type="application/json"
    )
    assert empty.status_code == 400 and "body" in empty.json()["errors"]


def test_a_size_change_records_who_and_when(associate_client, associate, customer):
    associate_client.post(
        reverse("customers:size_set", args=[customer.pk]), {"category": "tops", "size": "M"}
    )
    associate_client.post(
        reverse("customers:size_set", args=[customer.pk]), {"category": "tops", "size": "L"}
    )
    size = customer.sizes.get()
    assert size.size == "L" and size.updated_by == associate
    edits = list(
        CustomerEdit.objects.filter(customer=customer)
        .order_by("pk")
        .values_list("field", "old_value", "new_value", "edited_by")
    )
    assert edits == [("size:tops", "", "M", associate.pk), ("size:tops", "M", "L", associate.pk)]


def test_an_unknown_size_category_is_refused(associate_client, customer):
    response = associate_client.post(
        reverse("customers:size_set", args=[customer.pk]),
        {"category": "hats", "size": "M"},
        HTTP_HX_REQUEST="true",
    )
    assert "Unknown size category" in response.content.decode()
    assert not customer.sizes.exists()


def test_preferences_are_added_once_and_removed(associate_client, associate, customer):
    url = reverse("customers:preference_add", args=[customer.pk])
    associate_client.post(url, {"kind": "brand", "value": "  Acme  "})
    associate_client.post(url, {"kind": "brand", "value": "Acme"})
    preference = customer.preferences.get()
    assert preference.value == "Acme" and preference.updated_by == associate
    associate_client.post(reverse("customers:preference_remove", args=[customer.pk, preference.pk]))
    assert not customer.preferences.exists()
    assert CustomerEdit.objects.filter(customer=customer, field="preference:brand").count() == 2


def test_important_dates_are_saved_with_their_history(associate_client, associate, customer):
    associate_client.post(
        reverse("customers:dates_set", args=[customer.pk]),
        {"birthday": "1990-12-10", "anniversary": ""},
    )
    customer.refresh_from_db()
    assert customer.birthday == date(1990, 12, 10)
    assert CustomerEdit.objects.get(customer=customer).edited_by == associate


@pytest.mark.parametrize("raw", ["10/12/1990", "2999-01-01"])
def test_a_bad_or_future_date_is_refused(associate_client, customer, raw):
    response = associate_client.post(
        reverse("customers:dates_set", args=[customer.pk]),
        {"birthday": raw},
        HTTP_HX_REQUEST="true",
    )
    assert 'role="alert"' in response.content.decode()
    customer.refresh_from_db()
    assert customer.birthday is None


def test_the_wishlist_takes_items_from_the_associate(associate_client, associate, customer):
    associate_client.post(
        reverse("customers:wishlist_add", args=[customer.pk]), {"description": "Silk tie, navy"}
    )
    item = customer.wishlist.get()
    assert item.source == "associate" and item.added_by == associate
    associate_client.post(reverse("customers:wishlist_remove", args=[customer.pk, item.pk]))
    assert not customer.wishlist.exists()


def test_the_same_ecommerce_wish_twice_is_one_item(customer):
    from frontline.customers.services import wishlist_item_add
    from tests.factories import VariantFactory

    variant = VariantFactory()
    for _ in range(2):
        wishlist_item_add(
            customer=customer, description="Scarf", source="ecommerce", variant_id=variant.pk
        )
    assert customer.wishlist.count() == 1


def test_removing_a_preference_twice_is_not_an_error(associate_client, customer):
    preference = CustomerPreferenceFactory(customer=customer)
    url = reverse("customers:preference_remove", args=[customer.pk, preference.pk])
    assert associate_client.post(url).status_code == 302
    assert associate_client.post(url).status_code == 302
