"""The catalog API: JSON in and out, 4xx answers with a message, never a 500."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from frontline.catalog.models import Hold, HoldRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(shop):
    client = APIClient()
    client.force_authenticate(shop.associate)
    return client


def create_hold(api, shop, **overrides):
    body = {
        "customer": shop.customer.pk,
        "variant": shop.navy_m.pk,
        "store": shop.here.pk,
        "quantity": 1,
        **overrides,
    }
    return api.post(reverse("api:catalog:holds"), body, format="json")


def test_lookup_by_barcode_and_unknown_code(api, shop):
    found = api.get(reverse("api:catalog:lookup"), {"code": "5012345678900"})
    assert found.status_code == 200 and found.json()["sku"] == "MC-NAVY-M"
    missing = api.get(reverse("api:catalog:lookup"), {"code": "NOPE"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No product has the SKU or barcode 'NOPE'."


def test_product_search_by_name(api, shop):
    response = api.get(reverse("api:catalog:products"), {"q": "merino"})
    assert [product["name"] for product in response.json()] == ["Merino crew"]


def test_the_matrix_and_the_stores_nearest_first(api, shop):
    matrix = api.get(reverse("api:catalog:product_stock", args=[shop.navy_m.product_id])).json()
    assert matrix["store_id"] == shop.here.pk
    assert {(c["colour"], c["size"]): c["available"] for c in matrix["cells"]} == {
        ("Navy", "M"): 2,
        ("Navy", "L"): 1,
        ("Black", "M"): 0,
    }
    overview = api.get(reverse("api:catalog:variant_stock", args=[shop.navy_m.pk])).json()
    assert overview["here"]["code"] == "london-soho"
    assert [row["code"] for row in overview["nearby"]] == ["london-city", "manchester"]
    assert overview["warehouses"][0]["available"] == 30


def test_the_matrix_for_a_customer_of_another_store_is_shown_but_not_a_merged_one(api, shop):
    url = reverse("api:catalog:product_stock", args=[shop.navy_m.product_id])
    assert api.get(url, {"customer": shop.stranger.pk}).status_code == 200
    shop.stranger.merged_into = shop.customer
    shop.stranger.save()
    assert api.get(url, {"customer": shop.stranger.pk}).status_code == 404
    not_an_id = api.get(url, {"customer": "abc"})
    assert not_an_id.status_code == 400 and "customer" in not_an_id.json()["errors"]


def test_a_hold_is_created_and_available_drops(api, shop):
    response = create_hold(api, shop, pickup_note="Gift wrap")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "active" and body["basis"] == "synced"
    assert body["basis_as_of"] is not None
    assert shop.stock(shop.navy_m, shop.here).available == 1


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"quantity": 0}, 400, "The quantity must be at least 1."),
        ({"quantity": 3}, 409, "Only 2 of MC-NAVY-M available at Soho."),
        ({"quantity": "many"}, 400, "The request is not valid."),
        ({"variant": 999999}, 404, "No such variant or store."),
        ({"hours": 10_000}, 400, "A hold lasts between 1 and 336 hours."),
    ],
)
def test_bad_holds_are_refused_with_a_message_and_change_nothing(
    api, shop, overrides, status, message
):
    response = create_hold(api, shop, **overrides)
    assert response.status_code == status
    assert response.json()["detail"] == message
    assert not Hold.objects.exists()
    assert shop.stock(shop.navy_m, shop.here).reserved == 0


def test_a_hold_for_another_stores_customer_is_this_stores(api, shop):
    response = create_hold(api, shop, customer=shop.stranger.pk)
    assert response.status_code == 201
    assert Hold.objects.get().store == shop.here


def test_a_hold_for_an_erased_customer_is_not_found(api, shop):
    shop.stranger.deleted_at = shop.stranger.erased_at = timezone.now()
    shop.stranger.save()
    response = create_hold(api, shop, customer=shop.stranger.pk)
    assert response.status_code == 404
    assert "No such customer" in response.json()["detail"]


def test_a_body_that_is_not_json_is_a_400(api, shop):
    response = api.post(reverse("api:catalog:holds"), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_hold_lifecycle_through_the_api(api, shop):
    hold_id = create_hold(api, shop).json()["id"]
    extended = api.post(reverse("api:catalog:hold_extend", args=[hold_id]), {"hours": 24})
    assert extended.status_code == 200
    assert (
        api.post(reverse("api:catalog:hold_extend", args=[hold_id]), {"hours": 0}).status_code
        == 400
    )
    completed = api.post(reverse("api:catalog:hold_complete", args=[hold_id]))
    assert completed.status_code == 200 and completed.json()["order"] is not None
    again = api.post(reverse("api:catalog:hold_cancel", args=[hold_id]))
    assert again.status_code == 409 and again.json()["detail"] == "This hold has already ended."


def test_holds_are_listed_only_for_my_stores(api, shop):
    create_hold(api, shop)
    other = APIClient()
    other.force_authenticate(shop.other_associate)
    assert len(api.get(reverse("api:catalog:holds")).json()) == 1
    assert other.get(reverse("api:catalog:holds")).json() == []
    hold_id = Hold.objects.get().pk
    assert other.get(reverse("api:catalog:hold", args=[hold_id])).status_code == 404
    assert other.post(reverse("api:catalog:hold_cancel", args=[hold_id])).status_code == 404


def test_a_request_to_another_store_is_answered_there(api, shop):
    create_hold(api, shop, store=shop.far.pk)
    request_id = HoldRequest.objects.get().pk
    other = APIClient()
    other.force_authenticate(shop.other_associate)
    url = reverse("api:catalog:request_decline", args=[request_id])
    assert api.post(url).status_code == 404  # the requesting store cannot answer its own request
    too_long = other.post(url, {"reason": "x" * 201}, format="json")
    assert too_long.status_code == 400 and "reason" in too_long.json()["errors"]
    assert HoldRequest.objects.get().status == HoldRequest.Status.PENDING
    declined = other.post(url, {"reason": "Damaged"}, format="json")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert other.post(url).status_code == 409
    assert shop.stock(shop.navy_m, shop.far).reserved == 0


def test_a_watch_is_created_once(api, shop):
    body = {"customer": shop.customer.pk, "product": shop.black_m.product_id, "size": "M"}
    first = api.post(reverse("api:catalog:watches"), body, format="json")
    second = api.post(reverse("api:catalog:watches"), body, format="json")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    bad = api.post(reverse("api:catalog:watches"), {**body, "size": "XXL"}, format="json")
    assert bad.status_code == 400


def test_the_api_needs_a_login(shop):
    assert APIClient().get(reverse("api:catalog:holds")).status_code in (401, 403)


def test_the_schema_documents_the_refusals(api):
    schema = yaml.safe_load(api.get(reverse("api:schema")).content)
    create = schema["paths"]["/api/catalog/holds/"]["post"]["responses"]
    assert {"201", "400", "404", "409"} <= set(create)
    lookup = schema["paths"]["/api/catalog/lookup/"]["get"]["responses"]
    assert "404" in lookup
