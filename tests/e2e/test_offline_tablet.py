"""A shared tablet on a bad store Wi-Fi, in a real Chromium: what the associate opened stays
readable offline, what they write offline is sent once when the connection returns, and a
locked tablet passes from one staff member to another with a PIN, keeping each one's queue."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from frontline.customers.models import CustomerNote
from frontline.tablet.services import pin_set
from tests.conftest import REPO
from tests.e2e.helpers import sign_in, small_touch_targets
from tests.factories import CustomerFactory, FollowUpFactory, StoreFactory, staff_at

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = REPO / "var" / "screenshots"
PORTRAIT = {"width": 820, "height": 1180}
LANDSCAPE = {"width": 1180, "height": 820}


@pytest.fixture
def shop_floor():
    store = StoreFactory(code="e2e-offline", name="Grafton Street")
    alice = staff_at(store, first_name="Alice", last_name="Archer")
    bob = staff_at(store, first_name="Bob", last_name="Baker")
    ada = CustomerFactory(first_name="Ada", last_name="Lovelace", preferred_store=store)
    FollowUpFactory(customer=ada, assignee=alice)
    return alice, bob, ada


def controlled_by_the_service_worker(page) -> None:
    """Wait until the service worker is active and controls the page (it claims open pages).

    A document still loading when the worker claimed its clients (the sign-in's redirect in
    flight) is left uncontrolled; loaded again, it is controlled, as it would be on a tablet.
    """
    page.evaluate("() => navigator.serviceWorker.ready")
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=5000)
    except PlaywrightTimeoutError:
        page.reload()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def notes_of(customer) -> list[str]:
    return list(CustomerNote.objects.filter(customer=customer).values_list("body", flat=True))


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def add_note(page, text: str) -> None:
    page.get_by_placeholder("Add a note").fill(text)
    page.get_by_role("button", name="Add note").click()


def test_a_note_written_offline_is_saved_once_when_back_online(
    page, live_server, shop_floor, password
):
    alice, _, ada = shop_floor
    profile = f"{live_server.url}/customers/{ada.pk}/"
    sign_in(page, live_server.url, alice, password)
    controlled_by_the_service_worker(page)
    page.goto(profile)  # kept for offline reading as it is shown
    page.get_by_role("heading", name="Ada Lovelace").wait_for()
    page.goto(f"{live_server.url}/")
    page.get_by_role("heading", name="My day").wait_for()

    page.context.set_offline(True)
    copy = page.goto(profile)
    assert copy is not None and copy.headers.get("x-frontline-saved-at"), "not the tablet's copy"
    page.get_by_role("heading", name="Ada Lovelace").wait_for()
    page.goto(f"{live_server.url}/")  # "my day" too
    page.get_by_role("heading", name="My day").wait_for()
    page.goto(profile)
    assert page.locator("#connection").is_visible()
    add_note(page, "Wants the linen shirt in blue")
    page.get_by_text("Waiting to send: kept").wait_for()
    page.locator("#outbox", has_text="1 change waiting to send").wait_for()
    shoot(page, "offline-note-waiting-1180x820")
    assert notes_of(ada) == []

    page.context.set_offline(False)
    page.get_by_text("Sent: Note for Ada Lovelace.").wait_for()
    assert page.locator("#outbox").is_hidden()
    assert notes_of(ada) == ["Wants the linen shirt in blue"]
    # Another try to send (the next timer tick, another tab) finds nothing left to send.
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.reload()
    page.locator("#notes .note-body", has_text="Wants the linen shirt in blue").wait_for()
    assert notes_of(ada) == ["Wants the linen shirt in blue"]


def test_a_note_whose_answer_was_lost_is_sent_again_and_saved_once(
    page, live_server, shop_floor, password
):
    """The note reached the server but its answer never came back: the outbox sends it again
    with the same Idempotency-Key, and the server answers as the first time."""
    alice, _, ada = shop_floor
    sign_in(page, live_server.url, alice, password, then=f"/customers/{ada.pk}/")
    lost = []

    def deliver_then_lose_the_answer(route):
        if not lost:
            lost.append(route.fetch())  # the server saves the note...
            route.abort("connectionreset")  # ...and the tablet never hears back
        else:
            route.continue_()

    page.route("**/customers/*/notes/", deliver_then_lose_the_answer)
    add_note(page, "Size 40 in the navy coat")
    page.get_by_text("Sent: Note for Ada Lovelace.").wait_for(timeout=40_000)
    assert notes_of(ada) == ["Size 40 in the navy coat"]


def test_an_outcome_whose_answer_was_lost_is_sent_again_and_recorded_once(
    page, live_server, shop_floor, password
):
    """The outcome reached the server but its answer was lost; the outbox's next send is told
    the first is still running (409, Retry-After) and waits; the one after gets the first
    answer. One outcome, its note once on the timeline, nothing shown as not saved."""
    from frontline.customers.models import Interaction

    alice, _, ada = shop_floor
    followup = ada.followups.get()
    sign_in(page, live_server.url, alice, password)
    sends = []

    def lose_the_answer_then_say_busy(route):
        sends.append(route.request.headers.get("idempotency-key"))
        if len(sends) == 1:
            route.fetch()  # the server records the outcome...
            route.abort("connectionreset")  # ...and the tablet never hears back
        elif len(sends) == 2:
            route.fulfill(status=409, headers={"Retry-After": "1"}, body="Still being handled.")
        else:
            route.continue_()

    page.route("**/followups/*/complete/", lose_the_answer_then_say_busy)
    card = page.locator(f"#followup-{followup.pk}")
    card.get_by_label("Outcome").select_option("reached")
    card.get_by_label("Note for the timeline").fill("Coming in on Saturday")
    card.get_by_role("button", name="Complete").click()
    page.get_by_text("Sent: Follow-up").wait_for(timeout=40_000)
    assert len(sends) == 3 and len(set(sends)) == 1, sends  # one key for every send
    assert page.locator(".outbox-problem").count() == 0
    followup.refresh_from_db()
    assert (followup.status, followup.note) == ("done", "Coming in on Saturday")
    assert Interaction.objects.filter(summary__contains="Coming in on Saturday").count() == 1


def test_a_conflict_is_said_plainly_and_loses_nothing(page, live_server, shop_floor, password):
    alice, bob, ada = shop_floor
    followup = ada.followups.get()
    sign_in(page, live_server.url, alice, password)
    controlled_by_the_service_worker(page)
    page.context.set_offline(True)
    card = page.locator(f"#followup-{followup.pk}")
    card.get_by_label("Note for the timeline").fill("Called, she will come on Saturday")
    card.get_by_role("button", name="Complete").click()
    page.get_by_text("Waiting to send: kept").wait_for()
    # Meanwhile the follow-up went to someone else.
    followup.assignee = bob
    followup.save(update_fields=["assignee"])
    page.context.set_offline(False)
    problem = page.locator(".outbox-problem")
    problem.wait_for()
    assert "Not saved: Follow-up" in problem.inner_text()
    assert "Called, she will come on Saturday" in problem.inner_text()
    page.reload()
    page.locator(".outbox-problem").wait_for()  # kept until the associate dismisses it
    page.get_by_role("button", name="Dismiss").click()
    page.locator(".outbox-problem").wait_for(state="detached")


AGE_THE_OUTBOX = """(hours) => new Promise((resolve, reject) => {
  const opening = indexedDB.open("frontline", 1);
  opening.onsuccess = () => {
    const db = opening.result;
    const writing = db.transaction("outbox", "readwrite");
    const outbox = writing.objectStore("outbox");
    outbox.getAll().onsuccess = (event) => {
      event.target.result.forEach((entry) => {
        entry.created = Date.now() - hours * 3600e3;
        outbox.put(entry);
      });
    };
    writing.oncomplete = () => { db.close(); resolve(); };
    writing.onerror = () => reject(writing.error);
  };
  opening.onerror = () => reject(opening.error);
})"""


def test_a_write_kept_offline_longer_than_a_shift_is_not_sent_and_is_shown(
    page, live_server, shop_floor, password
):
    alice, _, ada = shop_floor
    sign_in(page, live_server.url, alice, password, then=f"/customers/{ada.pk}/")
    sent = []
    page.route("**/customers/*/notes/", lambda route: (sent.append(1), route.continue_()))
    page.context.set_offline(True)
    add_note(page, "Wants the linen shirt in blue")
    page.get_by_text("Waiting to send: kept").wait_for()
    # The tablet stayed offline all night: the note was written 13 hours ago.
    page.evaluate(AGE_THE_OUTBOX, 13)
    page.reload()  # offline still: the page is the tablet's copy, the outbox looks again
    problem = page.locator(".outbox-problem")
    problem.wait_for()
    assert "Written more than 12 hours ago, while offline: too old" in problem.inner_text()
    assert "Wants the linen shirt in blue" in problem.inner_text()  # the words are not lost
    assert page.locator("#outbox").is_hidden()
    page.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(1000)
    assert sent == [] and notes_of(ada) == []
    page.get_by_role("button", name="Dismiss").click()
    page.locator(".outbox-problem").wait_for(state="detached")


def test_the_server_refuses_a_write_older_than_a_shift_and_the_tablet_says_why(
    page, live_server, shop_floor, password
):
    """The tablet's clock said the note was fresh; the server's says it is two days old."""
    from datetime import timedelta

    from django.utils import timezone

    alice, _, ada = shop_floor
    sign_in(page, live_server.url, alice, password, then=f"/customers/{ada.pk}/")
    two_days_ago = (timezone.now() - timedelta(days=2)).isoformat()

    def sent_two_days_late(route):
        headers = route.request.headers
        if "x-frontline-written-at" in headers:
            route.continue_(headers={**headers, "x-frontline-written-at": two_days_ago})
        else:
            route.continue_()

    page.route("**/customers/*/notes/", sent_two_days_late)
    page.context.set_offline(True)
    add_note(page, "Size 40 in the navy coat")
    page.get_by_text("Waiting to send: kept").wait_for()
    page.context.set_offline(False)
    problem = page.locator(".outbox-problem")
    problem.wait_for()
    assert "Written on this tablet more than 12\xa0hours ago" in problem.inner_text()
    assert "Size 40 in the navy coat" in problem.inner_text()
    assert notes_of(ada) == []


def test_signing_out_wipes_the_copies_kept_for_offline(page, live_server, shop_floor, password):
    alice, _, ada = shop_floor
    profile = f"{live_server.url}/customers/{ada.pk}/"
    sign_in(page, live_server.url, alice, password)
    controlled_by_the_service_worker(page)
    page.goto(profile)
    page.get_by_role("heading", name="Ada Lovelace").wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")
    page.context.set_offline(True)
    page.goto(profile)
    page.get_by_role("heading", name="You are offline").wait_for()
    assert page.get_by_role("heading", name="Ada Lovelace").count() == 0


def unlock_as(page, person, pin: str) -> None:
    page.get_by_label(person.get_full_name()).check()
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Unlock").click()


def test_staff_switch_on_a_locked_tablet_and_each_keeps_their_queue(
    browser, live_server, shop_floor, password
):
    alice, bob, ada = shop_floor
    pin_set(staff=alice, pin="4826")
    pin_set(staff=bob, pin="7391")
    context = browser.new_context(viewport=PORTRAIT, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        profile = f"{live_server.url}/customers/{ada.pk}/"
        sign_in(page, live_server.url, alice, password, then=f"/customers/{ada.pk}/")
        controlled_by_the_service_worker(page)
        page.reload()
        shoot(page, "profile-portrait-820x1180")

        # Alice writes offline, and leaves the tablet: it locks itself while still offline.
        context.set_offline(True)
        add_note(page, "Alice: birthday in May")
        page.get_by_text("Waiting to send: kept").wait_for()
        page.evaluate("() => localStorage.setItem('frontline-last-touch', Date.now() - 3600e3)")
        page.wait_for_url("**/tablet/locked/**")
        # Nothing personal is shown from the tablet's copies while it is locked.
        page.goto(profile)
        page.get_by_role("heading", name="You are offline").wait_for()
        assert page.get_by_role("heading", name="Ada Lovelace").count() == 0

        # Back online, the server heard of the lock before anything else: Bob switches in.
        context.set_offline(False)
        page.goto(profile)
        page.wait_for_url("**/tablet/locked/**")
        shoot(page, "locked-portrait-820x1180")
        unlock_as(page, bob, "7391")
        page.get_by_text("Signed in as Bob Baker.").wait_for()
        assert page.locator("#outbox").is_hidden()  # Alice's note is not Bob's to send
        # Alice's copies went with the switch: offline, Bob finds none of them.
        context.set_offline(True)
        page.goto(profile)
        page.get_by_role("heading", name="You are offline").wait_for()
        context.set_offline(False)
        page.goto(profile)
        add_note(page, "Bob: prefers e-mail")
        page.locator("#notes .note-body", has_text="Bob: prefers e-mail").wait_for()
        assert notes_of(ada) == ["Bob: prefers e-mail"]

        # Bob locks the tablet; Alice comes back, and her note goes, in her name.
        page.get_by_role("button", name="Lock").click()
        page.wait_for_url("**/tablet/locked/**")
        unlock_as(page, alice, "4826")
        page.get_by_role("heading", name="My day").wait_for()
        page.wait_for_function("() => document.getElementById('outbox').hidden")
        authors = dict(
            CustomerNote.objects.filter(customer=ada).values_list("body", "author__username")
        )
        assert authors == {
            "Alice: birthday in May": alice.username,
            "Bob: prefers e-mail": bob.username,
        }
    finally:
        context.close()


def shoot_and_measure(page, name: str, small: dict[str, list[dict]]) -> int:
    """Shoot the screen for people to look at; note its controls under 44 px in ``small``;
    return how wide the page is (more than the window is sideways scrolling)."""
    page.wait_for_load_state("networkidle")
    shoot(page, name)
    if found := small_touch_targets(page):
        small[name] = found
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def test_screens_at_tablet_size_in_portrait_and_landscape(
    browser, live_server, shop_floor, password
):
    """The key screens, each shot and checked for sideways scrolling and small touch targets,
    in both orientations."""
    alice, _, ada = shop_floor
    screens = [
        ("search", "/customers/search/?q=Lovelace"),
        ("profile", f"/customers/{ada.pk}/"),
        ("stock", "/stock/"),
        ("notifications", "/notifications/"),
    ]
    widths: dict[str, int] = {}
    small: dict[str, list[dict]] = {}
    for orientation, viewport in (("portrait", PORTRAIT), ("landscape", LANDSCAPE)):
        context = browser.new_context(viewport=viewport, has_touch=True)
        page = context.new_page()
        size = f"{orientation}-{viewport['width']}x{viewport['height']}"
        try:
            sign_in(page, live_server.url, alice, password)
            widths[f"my-day-{size}"] = shoot_and_measure(page, f"my-day-{size}", small)
            for screen, path in screens:
                page.goto(f"{live_server.url}{path}")
                widths[f"{screen}-{size}"] = shoot_and_measure(page, f"{screen}-{size}", small)
            page.get_by_role("button", name="Lock").click()
            page.wait_for_url("**/tablet/locked/**")
            widths[f"locked-{size}"] = shoot_and_measure(page, f"locked-{size}", small)
        finally:
            context.close()
    limit = {"portrait": PORTRAIT["width"], "landscape": LANDSCAPE["width"]}
    wider = {
        screen: width
        for screen, width in widths.items()
        if width > limit["portrait" if "-portrait-" in screen else "landscape"]
    }
    assert len(widths) == 12 and not wider, f"sideways scrolling: {wider}"
    assert not small, f"touch targets under 44 px: {small}"


def test_the_outbox_speaks_the_store_s_language(page, live_server, password):
    """A French store's tablet: the script's own words come in French too."""
    store = StoreFactory(code="e2e-paris", name="Rue Saint-Honoré", language="fr")
    claire = staff_at(store, first_name="Claire", last_name="Martin")
    ada = CustomerFactory(first_name="Ada", last_name="Lovelace", preferred_store=store)
    sign_in(page, live_server.url, claire, password, then=f"/customers/{ada.pk}/")
    page.context.set_offline(True)
    page.get_by_placeholder("Ajouter une note").fill("Préfère le lin")
    page.get_by_role("button", name="Ajouter la note").click()
    page.get_by_text("En attente d\u2019envoi : conservé sur cette tablette").wait_for()
    page.locator("#outbox", has_text="1 modification en attente d\u2019envoi").wait_for()
    page.context.set_offline(False)
    page.get_by_text("Envoyé : Note pour Ada Lovelace.").wait_for()
    assert notes_of(ada) == ["Préfère le lin"]
