"""An associate finds a product by SKU, reads the matrix, holds a size for a customer and sees
the hold on the store's holds list: in a real Chromium against the live server."""

from __future__ import annotations

import pytest

from tests.catalog.shop import build_shop
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(transactional_db):
    return build_shop()


def test_an_associate_holds_a_size_for_a_customer_and_finds_it_on_the_holds_list(
    page, live_server, shop, password
):
    sign_in(page, live_server.url, shop.associate, password)
    page.get_by_role("link", name="Stock").click()

    search = page.get_by_label("Name, SKU or barcode")
    search.fill("MC-NAVY-M")
    search.press("Enter")
    page.wait_for_url("**/stock/products/**")

    navy_m = page.get_by_role("link", name="Navy M: 2 available")
    assert navy_m.is_visible()
    assert page.get_by_role("link", name="Black M: 0 available").is_visible()
    box = navy_m.bounding_box()
    assert box is not None and box["height"] >= 44  # a finger can hit it
    navy_m.click()

    page.wait_for_url("**/stock/variants/**")
    rows = page.locator("table.store-stock tbody th").all_inner_texts()
    assert rows[0].startswith("Soho (this store)")
    assert rows[1].startswith("City") and rows[2].startswith("Manchester")

    page.get_by_label("Customer number").fill(shop.customer.number)
    page.get_by_label("Pickup note").fill("Collects after work")
    page.get_by_role("button", name="Hold it").click()

    page.wait_for_url("**/stock/holds/**")
    assert "Held for Ada Lovelace at Soho" in page.locator(".messages").inner_text()
    holds = page.locator("#holds")
    assert "Merino crew" in holds.inner_text()
    assert "Ada Lovelace" in holds.inner_text()
    assert "Collects after work" in holds.inner_text()


def test_an_unknown_customer_number_is_explained_in_the_form(page, live_server, shop, password):
    sign_in(page, live_server.url, shop.associate, password)
    page.goto(f"{live_server.url}/stock/variants/{shop.navy_m.pk}/")
    page.get_by_label("Customer number").fill("C-NOT-OURS")
    page.get_by_role("button", name="Hold it").click()
    alert = page.get_by_role("alert")
    assert "No such customer" in alert.inner_text()
    assert "Nothing was changed" in alert.inner_text()
