"""A stylist and a customer hold their video session in two headless Chromium pages with fake
cameras: both connect and media flows both ways, signalled through the session socket.

The socket needs the ASGI server (uvicorn) in its own process, which must see this test's rows:
only PostgreSQL allows that (see test_notifications.py). Skipped on SQLite, run in CI's
PostgreSQL pass.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings

from frontline.appointments.models import Booking
from tests.appointments.factories import BookingFactory
from tests.conftest import chromium_path
from tests.e2e.conftest import BROWSER_ARGS
from tests.e2e.helpers import sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL: the ASGI server process must share the test database",
    ),
]

MEDIA_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    # Host candidates as plain loopback addresses, not mDNS names nobody here resolves.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

BYTES_RECEIVED = """async () => {
  const stats = await window.frontlineCall.pc.getStats();
  const received = {audio: 0, video: 0};
  stats.forEach(report => {
    if (report.type === "inbound-rtp") received[report.kind] += report.bytesReceived;
  });
  return received;
}"""


@pytest.fixture
def camera_browser(browser) -> Iterator[object]:
    """A second Chromium with fake camera and microphone, from the suite's Playwright."""
    with_media = browser.browser_type.launch(
        executable_path=chromium_path(), headless=True, args=BROWSER_ARGS + MEDIA_ARGS
    )
    yield with_media
    with_media.close()


def test_stylist_and_customer_connect_and_exchange_media(
    camera_browser, start_asgi_server, password
):
    booking: Booking = BookingFactory()
    base_url = start_asgi_server({"REDIS_URL": settings.REDIS_URL})
    contexts = [camera_browser.new_context(viewport={"width": 1180, "height": 820}) for _ in "ab"]
    stylist, customer = (context.new_page() for context in contexts)
    for page in (stylist, customer):
        page.set_default_timeout(20_000)

    sign_in(stylist, base_url, booking.stylist.user, password)
    stylist.goto(f"{base_url}/appointments/{booking.pk}/session/")
    stylist.locator("[data-call-status]", has_text="Waiting for your customer").wait_for()
    customer.goto(f"{base_url}/book/session/{booking.token}/")

    for page in (stylist, customer):
        page.locator("[data-video-session][data-state='connected']").wait_for()
    for page in (stylist, customer):
        # Both kinds of media, on the connection in use now (a renegotiation replaces it).
        page.wait_for_function(
            f"async () => {{ const r = await ({BYTES_RECEIVED})(); "
            "return r.audio > 0 && r.video > 20000; }"
        )
        received = page.evaluate(BYTES_RECEIVED)
        assert received["audio"] > 0 and received["video"] > 0, received

    # Mute is the sender's own track switched off; ending the call tells the other side.
    customer.get_by_role("button", name="Mute").click()
    assert customer.get_by_role("button", name="Unmute").get_attribute("aria-pressed") == "true"
    stylist.get_by_role("button", name="End call").click()
    customer.locator("[data-call-status]", has_text="The call has ended").wait_for()
    for context in contexts:
        context.close()


def test_the_customer_sees_the_shared_lookbook_change_during_the_call(
    camera_browser, start_asgi_server
):
    """The stylist edits the lookbook in the preparation view; the customer's open video room
    shows the change without reloading (the session socket tells it, htmx fetches it)."""
    from frontline.appointments import services
    from frontline.appointments.models import LookbookItem
    from tests.e2e.helpers import in_a_thread_of_its_own
    from tests.factories import StockLevelFactory

    booking: Booking = BookingFactory()
    variant = StockLevelFactory(store=booking.store).variant
    item = LookbookItem.objects.create(
        booking=booking, variant=variant, position=1, note="First thoughts"
    )
    in_a_thread_of_its_own(lambda: services.lookbook_share(booking=booking))
    base_url = start_asgi_server({"REDIS_URL": settings.REDIS_URL})
    customer = camera_browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    # The first page a freshly started server renders can take long on a shared machine: the
    # PostgreSQL suite under load average 25 timed out at 20 s on this very goto.
    customer.set_default_timeout(60_000)
    customer.goto(f"{base_url}/book/session/{booking.token}/")
    lookbook = customer.locator("[data-lookbook]")
    assert "First thoughts" in lookbook.inner_text()
    assert variant.product.name in lookbook.inner_text()
    # Joined the room: from now on the socket hears what the stylist changes.
    customer.locator("[data-call-status]", has_text="Waiting for your stylist").wait_for()

    def change_the_note() -> None:
        fresh = LookbookItem.objects.select_related("booking").get(pk=item.pk)
        services.lookbook_item_note_set(item=fresh, note="Try it with the wide trousers")

    in_a_thread_of_its_own(change_the_note)
    customer.locator("[data-lookbook]", has_text="Try it with the wide trousers").wait_for()
    assert customer.url.endswith(f"/book/session/{booking.token}/")  # no reload
