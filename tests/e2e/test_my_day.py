"""The associate's day in a real browser: tap targets, the key facts, completing in place."""

from __future__ import annotations

from datetime import timedelta

import pytest

from frontline.followups.selectors import store_today
from tests.e2e.helpers import sign_in
from tests.factories import CustomerFactory, FollowUpFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_associate_completes_a_follow_up_from_their_day_without_leaving_it(
    page, live_server, associate, password
):
    store = associate.assignments.get().store
    today = store_today(store)
    ada = CustomerFactory(preferred_store=store, first_name="Ada", last_name="Lovelace")
    due = FollowUpFactory(customer=ada, assignee=associate, due_on=today)
    FollowUpFactory(
        customer=CustomerFactory(preferred_store=store, first_name="Olga"),
        assignee=associate,
        due_on=today - timedelta(days=2),
    )
    sign_in(page, live_server.url, associate, password)
    card = page.locator(f"#followup-{due.pk}")
    card.wait_for()
    # Everything one taps on the card is at least 44 px high.
    for target in (
        card.get_by_role("link", name="Ada Lovelace"),
        card.get_by_text("Key facts"),
        card.get_by_role("button", name="Complete"),
        card.get_by_role("button", name="Snooze"),
        card.get_by_label("Outcome"),
    ):
        box = target.bounding_box()
        assert box is not None and box["height"] >= 44
    card.get_by_text("Key facts").click()
    assert card.get_by_text(ada.phone).is_visible()
    card.get_by_label("Outcome").select_option("appointment_booked")
    card.get_by_label("Note for the timeline").fill("Saturday at 11")
    card.get_by_role("button", name="Complete").click()
    # Wait for the answer itself: "Appointment booked" is also an option of the card's outcome
    # list, so waiting for those words went on before the outcome was saved, and the profile
    # below was then read before it (the outcome commits with the answer kept for its key).
    card.get_by_role("status").filter(has_text="Done: the note is on").wait_for()
    assert "Appointment booked" in card.locator(".followup-meta").inner_text()
    assert page.url == f"{live_server.url}/"  # swapped in place by htmx
    # The search box is still on the home screen.
    assert page.get_by_label("Name, e-mail, phone or customer number").is_visible()
    # Read back through the app (the live server shares SQLite's in-memory database with this
    # thread, which may not read while the server still holds it): the note is on the timeline.
    page.goto(f"{live_server.url}/customers/{ada.pk}/")
    page.locator("#timeline", has_text="Saturday at 11").wait_for()
