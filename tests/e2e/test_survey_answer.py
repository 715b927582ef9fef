"""A customer answers the one-question survey from the e-mail's link, by keyboard alone, in a real
Chromium (under the Content Security Policy, and checked by axe where it is installed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from frontline.followups.models import FollowUp
from frontline.staff.models import StaffRole
from frontline.surveys.models import Survey
from frontline.surveys.services import survey_link, surveys_after_purchases
from tests.factories import ConsentFactory, CustomerFactory, OrderFactory, staff_at

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_answers_by_keyboard_and_an_unhappy_answer_reaches_the_manager(
    page, live_server
):
    customer = CustomerFactory(first_name="Grace")
    ConsentFactory(customer=customer, purpose="service")
    order = OrderFactory(customer=customer, placed_at=timezone.now() - timedelta(days=1, hours=1))
    staff_at(order.store, StaffRole.MANAGER)
    surveys_after_purchases()
    survey = Survey.objects.get()

    page.goto(live_server.url + reverse("surveys:answer", args=[survey_link(survey)]))
    question = page.get_by_role("group", name="How likely are you to recommend us")
    assert question.is_visible()
    # Sending nothing says what is missing, next to the question.
    page.get_by_role("button", name="Send my answer").click()
    assert page.get_by_role("alert").first.inner_text() == "Choose a number from 0 to 10."

    page.get_by_role("radio", name="0", exact=True).focus()
    for _ in range(4):  # arrow keys move through a radio group
        page.keyboard.press("ArrowRight")
    assert page.get_by_role("radio", name="4", exact=True).is_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("The hem came undone on the first wear.")
    page.keyboard.press("Tab")
    # The answer plans the recovery and tells the manager before the page comes back: on a
    # loaded machine that takes more than the default 10 s.
    with page.expect_navigation(timeout=60_000):
        page.keyboard.press("Enter")

    assert page.locator("h1").inner_text() == "Thank you"
    assert "the store's manager will be in touch" in page.get_by_role("status").inner_text()
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "The hem came undone on the first wear.")
    assert FollowUp.objects.get(pk=survey.recovery_id).customer == customer
