"""The recommended-actions panel in a real browser: big buttons, htmx swaps, works without JS."""

from __future__ import annotations

import pytest

from frontline.actions.models import ActionOutcome
from tests.e2e.helpers import sign_in
from tests.factories import ActionSuggestionFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_associate_dismisses_an_action_and_the_panel_updates_in_place(
    page, live_server, associate, password
):
    store = associate.assignments.get().store
    customer = CustomerFactory(preferred_store=store, first_name="Ada")
    ActionSuggestionFactory(customer=customer, channel="")
    sign_in(page, live_server.url, associate, password)
    page.goto(f"{live_server.url}/actions/customer/{customer.pk}/panel/")
    page.get_by_text("Birthday in 3 days").wait_for()
    for name in ("Accept", "Snooze", "Dismiss"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["height"] >= 48
    url_before = page.url
    page.get_by_label("Why dismiss?").select_option("already_done")
    page.get_by_role("button", name="Dismiss").click()
    page.get_by_text("Nothing to do for Ada right now.").wait_for()
    assert page.url == url_before  # swapped by htmx, no navigation
    assert ActionOutcome.objects.get().dismiss_reason == "already_done"


def test_accepting_works_without_javascript(browser, live_server, associate, password):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        store = associate.assignments.get().store
        customer = CustomerFactory(preferred_store=store, first_name="Ada")
        ActionSuggestionFactory(customer=customer, channel="")
        sign_in(page, live_server.url, associate, password)
        page.goto(f"{live_server.url}/actions/customer/{customer.pk}/panel/")
        page.get_by_role("button", name="Accept").click()
        page.get_by_text("Accepted.").wait_for()
        page.get_by_text("Nothing to do for Ada right now.").wait_for()
        assert ActionOutcome.objects.get().kind == "accepted"
    finally:
        context.close()


def open_panel(page, live_server, associate, password) -> ActionSuggestionFactory:
    store = associate.assignments.get().store
    customer = CustomerFactory(preferred_store=store, first_name="Ada")
    suggestion = ActionSuggestionFactory(customer=customer, channel="")
    sign_in(page, live_server.url, associate, password)
    page.goto(f"{live_server.url}/actions/customer/{customer.pk}/panel/")
    page.get_by_text("Birthday in 3 days").wait_for()
    return suggestion


def test_a_refused_dismissal_shows_why_in_the_panel(page, live_server, associate, password):
    open_panel(page, live_server, associate, password)
    page.get_by_label("Why dismiss?").select_option("other")
    page.get_by_role("button", name="Dismiss").click()
    # The 400 carries the panel with the reason; htmx swaps it like a success.
    page.get_by_text("Say in a few words why").wait_for()
    assert not ActionOutcome.objects.exists()


def test_a_request_that_fails_says_so_next_to_the_button(page, live_server, associate, password):
    suggestion = open_panel(page, live_server, associate, password)
    suggestion.delete()  # handled elsewhere meanwhile: the server answers 404
    page.get_by_role("button", name="Accept").click()
    alert = page.get_by_role("alert").filter(has_text="Not found")
    alert.wait_for()
    assert not ActionOutcome.objects.exists()


def test_a_tap_without_a_connection_is_not_silent(page, live_server, associate, password):
    open_panel(page, live_server, associate, password)
    page.context.set_offline(True)
    page.get_by_role("button", name="Accept").click()
    page.get_by_role("alert").filter(has_text="no connection").wait_for()
    page.context.set_offline(False)
    assert not ActionOutcome.objects.exists()
