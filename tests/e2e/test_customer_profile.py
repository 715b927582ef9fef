"""An associate finds a customer by typing part of the name, opens the profile, reads further
back in the timeline and writes a note — in a real Chromium, on a tablet-sized screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontline.customers.models import Interaction
from tests.e2e.helpers import sign_in
from tests.factories import CustomerFactory, StoreAssignmentFactory, StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop_floor(password):
    store = StoreFactory(code="e2e-store", name="Regent Street")
    associate = StoreAssignmentFactory(store=store, role="associate").user
    ada = CustomerFactory(
        first_name="Ada", last_name="Lovelace", preferred_store=store, number="C-E2E-1"
    )
    CustomerFactory(first_name="Grace", last_name="Hopper", preferred_store=store)
    now = timezone.now()
    Interaction.objects.bulk_create(
        Interaction(
            customer=ada, channel="store", kind="visit", summary=f"Visit number {i}",
            occurred_at=now - timedelta(days=i),
        )
        for i in range(30)
    )  # fmt: skip
    return associate, ada


def test_associate_finds_a_customer_as_they_type_and_adds_a_note(
    page, live_server, shop_floor, password
):
    associate, ada = shop_floor
    sign_in(page, live_server.url, associate, password)

    search = page.get_by_label("Name, e-mail, phone or customer number")
    search.press_sequentially("lovel", delay=60)
    result = page.locator("#search-results a.result", has_text="Ada Lovelace")
    result.wait_for()
    # Results came in as the associate typed: the page itself never reloaded.
    assert page.url == f"{live_server.url}/"
    assert page.locator("#search-results", has_text="Grace Hopper").count() == 0
    box = result.bounding_box()
    assert box is not None and box["height"] >= 48

    result.click()
    page.wait_for_url(f"{live_server.url}/customers/{ada.pk}/")
    assert page.get_by_role("heading", name="Ada Lovelace").is_visible()
    timeline = page.locator("#timeline .timeline-item")
    assert timeline.count() == 20
    page.get_by_role("link", name="Load more").click()
    page.locator("#timeline .timeline-item", has_text="Visit number 29").wait_for()
    assert timeline.count() == 30
    assert page.get_by_role("link", name="Load more").count() == 0

    page.get_by_placeholder("Add a note").fill("Looking for a navy coat <b>before</b> March")
    page.get_by_role("button", name="Add note").click()
    note = page.locator("#notes .note-body", has_text="Looking for a navy coat")
    note.wait_for()
    assert "<b>before</b>" in note.inner_text()  # shown as typed, never as markup
    assert page.url == f"{live_server.url}/customers/{ada.pk}/"


def test_a_slow_answer_shows_a_busy_form_until_it_comes(browser, live_server, shop_floor, password):
    """Loading states: on a slow store Wi-Fi the form that waits says so (aria-busy, a spinner
    on its button) and stops saying so when the answer is in."""
    associate, ada = shop_floor
    # Without the service worker: Playwright cannot hold back a request that a service worker
    # sends on the page's behalf, and the answer would come before the busy state is seen.
    context = browser.new_context(service_workers="block", viewport={"width": 1024, "height": 1366})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, associate, password)
        page.goto(f"{live_server.url}/customers/{ada.pk}/")
        page.wait_for_load_state("networkidle")  # htmx has taken the forms over
        held: list[object] = []
        page.route("**/notes/", lambda route: held.append(route))  # the answer waits here

        page.get_by_placeholder("Add a note").fill("Wants the camel scarf")
        page.get_by_role("button", name="Add note").click()
        page.wait_for_function("() => document.querySelector('#notes form[aria-busy=true]')")
        spinner = page.evaluate(
            """() => getComputedStyle(document.querySelector(
                   '#notes form[aria-busy=true] button[type=submit]'), '::after').content"""
        )
        assert spinner == '""'  # the spinner is drawn on the form's button
        for _ in range(100):  # the request reaches the held route
            if held:
                break
            page.wait_for_timeout(50)

        held[0].continue_()  # type: ignore[attr-defined]
        page.locator("#notes .note-body", has_text="Wants the camel scarf").wait_for()
        assert page.locator("[aria-busy=true]").count() == 0
    finally:
        context.close()
