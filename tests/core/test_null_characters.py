"""A NUL character typed, pasted or forged into any input never reaches a query or a save.

PostgreSQL refuses NUL in text ("A string literal cannot contain NUL (0x00) characters"), so a NUL
that gets as far as the database answers 500 there while SQLite takes it: these tests matter on
PostgreSQL, and run on both. Each input is cleaned or refused where it is read, as customer search
does with clean_query; there is no blanket middleware, because some inputs (a survey comment, a
search) are worth keeping once the NUL is gone.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from frontline.customers.models import CustomerPreference, CustomerSize, WishlistItem
from tests.catalog.shop import build_shop
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NUL = "\x00"


@pytest.fixture
def shop():
    return build_shop()


@pytest.fixture
def api(shop):
    client = APIClient()
    client.force_authenticate(shop.associate)
    return client


@pytest.fixture
def browser(shop):
    client = Client()
    client.force_login(shop.associate)
    return client


def test_product_search_api_cleans_nul(api):
    response = api.get(reverse("api:catalog:products"), {"q": f"Merino{NUL}crew"})
    assert response.status_code == 200
    assert [product["name"] for product in response.json()] == ["Merino crew"]


def test_variant_lookup_api_cleans_nul(api):
    response = api.get(reverse("api:catalog:lookup"), {"code": f"MC-NAVY-M{NUL}"})
    assert response.status_code == 200
    assert response.json()["sku"] == "MC-NAVY-M"
    assert api.get(reverse("api:catalog:lookup"), {"code": NUL}).status_code == 404


def test_stock_lookup_page_cleans_nul(browser):
    response = browser.get(reverse("catalog:lookup"), {"q": f"Merino{NUL}"})
    assert response.status_code == 200
    assert b"Merino crew" in response.content


def test_wishlist_form_cleans_nul(browser, shop):
    url = reverse("customers:wishlist_add", args=[shop.customer.pk])
    response = browser.post(url, {"description": f"Silk{NUL}scarf"})
    assert response.status_code in (200, 302)
    assert list(WishlistItem.objects.values_list("description", flat=True)) == ["Silk scarf"]


def test_size_form_cleans_nul(browser, shop):
    url = reverse("customers:size_set", args=[shop.customer.pk])
    response = browser.post(url, {"category": "tops", "size": f"M{NUL}"})
    assert response.status_code in (200, 302)
    assert CustomerSize.objects.get().size == "M"


def test_preference_form_cleans_nul(browser, shop):
    url = reverse("customers:preference_add", args=[shop.customer.pk])
    response = browser.post(url, {"kind": "colour", "value": f"navy{NUL}blue"})
    assert response.status_code in (200, 302)
    assert CustomerPreference.objects.get().value == "navy blue"


def test_timeline_cursor_with_nul_is_refused(api, shop):
    url = reverse("api:customers:timeline", args=[shop.customer.pk])
    assert api.get(url, {"cursor": NUL}).status_code == 400
    assert api.get(url, {"channel": NUL}).status_code == 400


def test_compose_page_template_with_nul(browser, shop):
    url = reverse("outreach:compose", args=[shop.customer.pk])
    assert browser.get(url, {"template": NUL, "channel": NUL}).status_code == 200


def test_sign_in_with_nul_is_a_form_error():
    UserFactory(username="ada")
    response = Client().post(reverse("login"), {"username": f"ada{NUL}", "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert b"Null characters are not allowed" in response.content


def test_token_with_nul_is_refused():
    UserFactory(username="ada")
    response = APIClient().post(
        reverse("api:token"), {"username": f"ada{NUL}", "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 400


def test_password_reset_with_nul_is_a_form_error():
    response = Client().post(reverse("password_reset"), {"email": f"ada{NUL}@example.com"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name", ["booked", "customer_session", "customer_lookbook", "manage", "feedback"]
)
def test_public_booking_links_with_nul_are_not_found(name):
    response = Client().get(reverse(f"appointments:{name}", args=[f"abc{NUL}def"]))
    assert response.status_code in (404, 410)


def test_survey_link_with_nul_is_expired():
    response = Client().get(reverse("surveys:answer", args=[f"abc{NUL}def"]))
    assert response.status_code == 410


def test_booking_page_choices_with_nul():
    response = Client().get(reverse("appointments:book"), {"slot": NUL, "tz": NUL, "service": NUL})
    assert response.status_code in (200, 400)
