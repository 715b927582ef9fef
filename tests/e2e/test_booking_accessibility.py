"""The public booking pages pass axe (axe-core, run in Debian's Chromium) with no serious or
critical violation: every step of booking on a phone, the form answered with errors, the
confirmation, the manage page with a shared lookbook and an external video link, the rating
question and the customer's video room.

axe-core comes from npm (``node_modules/axe-core``, installed by ``npm ci``); without it the
test is skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from frontline.appointments import services
from frontline.appointments.models import Booking, LookbookItem
from tests.appointments.factories import BookingFactory, ServiceFactory, StylistFactory
from tests.conftest import REPO
from tests.factories import StockLevelFactory, StoreFactory

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not AXE.exists(), reason="axe-core not installed (npm ci installs it from package.json)"
    ),
]


@pytest.fixture
def phone(browser) -> Iterator[object]:
    # axe is injected as a script tag, which the pages' Content Security Policy rightly
    # refuses; this context bypasses the policy for the audit (the CSP itself is checked by
    # the other browser tests' page fixture).
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def blocking_violations(page, where: str) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document)")
    assert results["passes"], f"{where}: axe checked nothing"
    return [
        f"{where}: {violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


def test_the_booking_pages_have_no_serious_or_critical_violation(phone, live_server, tasks_run):
    page = phone
    store = StoreFactory(code="soho", name="Soho", country="GB", time_zone="Europe/London")
    ServiceFactory()
    stylist = StylistFactory(store=store, user__first_name="Ada", user__last_name="Stone")
    found: list[str] = []

    page.goto(f"{live_server.url}/book/")
    found += blocking_violations(page, "choose the session")
    page.get_by_label("Virtual styling").check()
    page.get_by_label("Where and with whom").select_option(label="Ada Stone at Soho")
    page.get_by_role("button", name="See available times").click()
    page.wait_for_url("**with_whom=**")
    found += blocking_violations(page, "choose a time")
    page.locator(".slot-list a").first.click()
    page.wait_for_url("**slot=**")
    found += blocking_violations(page, "your details")
    page.get_by_role("button", name="Book this session").click()
    page.get_by_role("alert").first.wait_for()
    found += blocking_violations(page, "your details, with errors")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("E-mail", exact=True).fill("grace@example.com")
    page.get_by_role("button", name="Book this session").click()
    page.wait_for_url("**/book/booked/**")
    found += blocking_violations(page, "booked")

    booking = Booking.objects.get()
    variant = StockLevelFactory(store=store).variant
    LookbookItem.objects.create(booking=booking, variant=variant, position=1, note="Try it on")
    services.lookbook_share(booking=booking)
    services.booking_meeting_link_set(booking=booking, url="https://meet.example.com/ada")
    page.goto(live_server.url + f"/book/manage/{services.booking_manage_token(booking=booking)}/")
    assert "Try it on" in page.content()
    found += blocking_violations(page, "manage, with a lookbook and a video link")

    over = BookingFactory(
        stylist=stylist, starts_at=timezone.now() - timedelta(hours=2), name="Grace Hopper"
    )
    page.goto(live_server.url + f"/book/feedback/{services.booking_feedback_token(booking=over)}/")
    found += blocking_violations(page, "how was it")
    soon = BookingFactory(stylist=stylist, starts_at=timezone.now() + timedelta(days=1))
    page.goto(live_server.url + f"/book/session/{soon.token}/")
    found += blocking_violations(page, "video room, before it opens")

    assert not found, "\n".join(found)


def test_the_check_catches_a_critical_violation(phone):
    """The audit above can fail: an image without a text alternative is critical to axe."""
    phone.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    assert any("image-alt (critical)" in line for line in blocking_violations(phone, "bad page"))
