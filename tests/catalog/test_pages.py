"""The associate's stock and holds pages: full pages, htmx fragments, clear errors."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from frontline.catalog.models import Hold, HoldRequest
from frontline.customers.models import CustomerSize

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, shop):
    client.force_login(shop.associate)
    return client


def test_the_stock_entry_is_in_the_main_navigation(browser):
    page = browser.get(reverse("catalog:lookup")).content.decode()
    assert f'href="{reverse("catalog:lookup")}" aria-current="page">Stock</a>' in page


def test_an_exact_sku_opens_the_product_with_the_variant_picked(browser, shop):
    response = browser.get(reverse("catalog:lookup"), {"q": "MC-NAVY-M"})
    product_url = reverse("catalog:product", args=[shop.navy_m.product_id])
    assert response.status_code == 302
    assert response["Location"] == f"{product_url}?variant={shop.navy_m.pk}"


def test_an_unknown_code_says_so(browser):
    response = browser.get(reverse("catalog:lookup"), {"q": "NOPE-1"})
    assert response.status_code == 200
    assert "Nothing matches “NOPE-1”" in response.content.decode()


def test_typing_a_name_with_htmx_returns_only_the_results_fragment(browser, shop):
    response = browser.get(
        reverse("catalog:lookup"), {"q": "merino"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert "Merino crew" in page
    assert "<html" not in page and 'id="lookup-results"' in page


def test_the_product_page_shows_the_matrix_for_my_store(browser, shop):
    page = browser.get(reverse("catalog:product", args=[shop.navy_m.product_id])).content.decode()
    assert "Available at Soho" in page
    assert 'aria-label="Navy M: 2 available"' in page
    assert 'aria-label="Black M: 0 available"' in page
    assert "As of" in page


def test_from_a_customer_the_matrix_shows_only_their_size(browser, shop):
    CustomerSize.objects.create(customer=shop.customer, category="tops", size="L")
    url = reverse("catalog:product", args=[shop.navy_m.product_id])
    page = browser.get(url, {"customer": shop.customer.pk}).content.decode()
    assert "their size L only" in page
    assert 'aria-label="Navy L: 1 available"' in page
    assert "Navy M:" not in page


def test_a_customer_of_another_store_filters_but_a_merged_one_does_not(browser, shop):
    url = reverse("catalog:product", args=[shop.navy_m.product_id])
    assert browser.get(url, {"customer": shop.stranger.pk}).status_code == 200
    shop.stranger.merged_into = shop.customer
    shop.stranger.save()
    assert browser.get(url, {"customer": shop.stranger.pk}).status_code == 404


def test_the_variant_page_lists_stores_nearest_first(browser, shop):
    page = browser.get(reverse("catalog:variant", args=[shop.navy_m.pk])).content.decode()
    assert page.index("Soho (this store)") < page.index("City") < page.index("Manchester")
    assert "online / warehouse" in page
    assert "(asks that store)" in page


def test_holding_from_the_page_lands_on_the_store_holds_list(browser, shop):
    response = browser.post(
        reverse("catalog:hold_create", args=[shop.navy_m.pk]),
        {
            "customer_number": shop.customer.number,
            "store": shop.here.pk,
            "quantity": 1,
            "pickup_note": "After 5pm",
        },
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{reverse('catalog:holds')}?store={shop.here.pk}"
    assert "Held for Ada Lovelace at Soho" in page
    # No live stock source is configured: the message says nothing about a check.
    assert "synced figure" not in page and "did not" not in page
    assert "After 5pm" in page
    assert shop.stock(shop.navy_m, shop.here).reserved == 1


def test_holding_too_many_explains_and_changes_nothing(browser, shop):
    response = browser.post(
        reverse("catalog:hold_create", args=[shop.navy_m.pk]),
        {"customer_number": shop.customer.number, "store": shop.here.pk, "quantity": 5},
    )
    assert response.status_code == 409
    assert (
        "Only 2 of MC-NAVY-M available at Soho. Nothing was changed." in response.content.decode()
    )
    assert not Hold.objects.exists()


def test_holding_for_an_unknown_customer_explains_and_changes_nothing(browser, shop):
    response = browser.post(
        reverse("catalog:hold_create", args=[shop.navy_m.pk]),
        {"customer_number": "NO-SUCH-NUMBER", "store": shop.here.pk, "quantity": 1},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers in
    assert "No such customer among the customers you look after" in page
    assert "<html" not in page  # the htmx fragment only
    assert not Hold.objects.exists()


def test_a_quantity_that_is_not_a_number_is_a_form_error(browser, shop):
    response = browser.post(
        reverse("catalog:hold_create", args=[shop.navy_m.pk]),
        {"customer_number": shop.customer.number, "store": shop.here.pk, "quantity": "lots"},
    )
    assert response.status_code == 400
    assert not Hold.objects.exists()


def test_the_other_store_sees_the_request_and_puts_the_item_aside(client, shop):
    client.force_login(shop.associate)
    client.post(
        reverse("catalog:hold_create", args=[shop.navy_m.pk]),
        {"customer_number": shop.customer.number, "store": shop.far.pk, "quantity": 1},
    )
    client.force_login(shop.other_associate)
    page = client.get(reverse("catalog:holds")).content.decode()
    assert "Requests from other stores" in page and "asked by Soho" in page
    request = HoldRequest.objects.get()
    client.post(reverse("catalog:request_action", args=[request.pk, "accept"]))
    request.refresh_from_db()
    assert request.status == HoldRequest.Status.ACCEPTED


def test_hold_actions_from_the_hold_page(browser, shop):
    browser.post(
        reverse("catalog:hold_create", args=[shop.navy_m.pk]),
        {"customer_number": shop.customer.number, "store": shop.here.pk, "quantity": 1},
    )
    hold = Hold.objects.get()
    page = browser.get(reverse("catalog:hold", args=[hold.pk])).content.decode()
    assert "Sold: customer collected" in page
    response = browser.post(reverse("catalog:hold_action", args=[hold.pk, "complete"]), follow=True)
    assert "Sold: order FL-H" in response.content.decode()
    response = browser.post(reverse("catalog:hold_action", args=[hold.pk, "cancel"]), follow=True)
    assert "This hold has already ended." in response.content.decode()


def test_a_hold_action_goes_back_only_to_a_page_of_this_site(browser, shop):
    browser.post(
        reverse("catalog:hold_create", args=[shop.navy_m.pk]),
        {"customer_number": shop.customer.number, "store": shop.here.pk, "quantity": 1},
    )
    hold = Hold.objects.get()
    url = reverse("catalog:hold_action", args=[hold.pk, "cancel"])
    response = browser.post(url, {"next": "https://phishing.example/login"})
    assert response.url == reverse("catalog:hold", args=[hold.pk])
    response = browser.post(url, {"next": "/stock/holds/"})
    assert response.url == "/stock/holds/"


def test_a_hold_of_another_store_is_not_found(client, shop):
    client.force_login(shop.associate)
    client.post(
        reverse("catalog:hold_create", args=[shop.navy_m.pk]),
        {"customer_number": shop.customer.number, "store": shop.here.pk, "quantity": 1},
    )
    client.force_login(shop.other_associate)
    hold = Hold.objects.get()
    assert client.get(reverse("catalog:hold", args=[hold.pk])).status_code == 404
    assert client.post(reverse("catalog:hold_action", args=[hold.pk, "cancel"])).status_code == 404
    assert Hold.objects.get().status == Hold.Status.ACTIVE


def test_the_profile_include_lists_the_customers_holds_for_this_associate_only(shop):
    from frontline.catalog import services

    services.hold_create(
        user=shop.associate, customer=shop.customer, variant=shop.navy_m, store=shop.here
    )
    request = RequestFactory().get("/")
    template = Template("{% load catalog %}{% customer_holds customer %}")

    request.user = shop.associate
    mine = template.render(Context({"request": request, "customer": shop.customer}))
    request.user = shop.other_associate
    theirs = template.render(Context({"request": request, "customer": shop.customer}))

    assert "Merino crew Navy M" in mine
    assert f"?customer={shop.customer.pk}" in mine  # stock in the customer's sizes
    assert "No holds for Ada" in theirs


def test_pages_need_a_login(client, shop):
    response = client.get(reverse("catalog:lookup"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
