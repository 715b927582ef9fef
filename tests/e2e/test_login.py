from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_associate_signs_in_on_a_tablet_and_lands_on_customer_search(
    page, live_server, associate, password
):
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(associate.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    search = page.get_by_label("Name, e-mail, phone or customer number")
    assert search.is_visible()
    # Touch targets are sized for fingers (at least 44 CSS pixels, WCAG 2.5.5).
    box = page.get_by_role("button", name="Sign out").bounding_box()
    assert box is not None and box["height"] >= 44


def test_a_wrong_password_is_explained_in_the_page(page, live_server, associate):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(associate.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert "correct username and password" in alert.inner_text()
