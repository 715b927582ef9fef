"""The profile fits a tablet in portrait and landscape: nothing overlaps, nothing scrolls
sideways, every column of the purchases table is on screen, and every control is at least
44 px in both directions. Screenshots of each size are
kept in var/screenshots/ for people to look at."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest

from tests.conftest import REPO
from tests.e2e.helpers import TOUCH_PX, sign_in, small_touch_targets
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    OrderFactory,
    StoreAssignmentFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(768, 1024), (1024, 1366), (1366, 1024)]  # small and large tablets, portrait/landscape

# Each top-level card of the page and each cell of every table, with its box; the test then
# looks for two cards that intersect, or a cell that sticks out of its card.
BOXES = """() => {
  const box = (element) => { const r = element.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}; };
  const cards = [...document.querySelectorAll("main .card")]
    .filter((card) => !card.parentElement.closest(".card") && card.offsetParent !== null)
    .map((card) => ({id: card.id || card.querySelector("h2, h1")?.textContent?.trim(),
                     ...box(card)}));
  const cells = [...document.querySelectorAll("main table th, main table td")]
    .filter((cell) => cell.offsetParent !== null)
    .map((cell) => ({text: cell.textContent.trim().slice(0, 30), ...box(cell),
                     card: box(cell.closest(".card"))}));
  return {cards, cells, scrollWidth: document.documentElement.scrollWidth,
          width: window.innerWidth};
}"""


def overlap(a: dict, b: dict) -> bool:
    return (
        min(a["right"], b["right"]) - max(a["left"], b["left"]) > 1
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 1
    )


@pytest.fixture
def regular(password):
    store = StoreFactory(code="layout", name="Regent Street")
    associate = StoreAssignmentFactory(store=store, role="associate").user
    # The figures sync keeps for six orders of £1,289 (factories write orders, not figures).
    customer = CustomerFactory(
        first_name="Ada",
        last_name="Lovelace",
        preferred_store=store,
        lifetime_value=Decimal("7734.00"),
        order_count=6,
    )
    InteractionFactory.create_batch(8, customer=customer)
    for number in range(6):
        OrderFactory(
            customer=customer, store=store, number=f"SO-LAYOUT-{number}", total=Decimal("1289.00")
        )
    return associate, customer


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_profile_fits_the_tablet(browser, live_server, regular, password, width, height):
    associate, customer = regular
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, associate, password)
        page.goto(f"{live_server.url}/customers/{customer.pk}/")
        page.get_by_role("heading", name="Ada Lovelace").wait_for()
        page.wait_for_load_state("networkidle")  # the panels that load after the page
        shots = REPO / "var" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=shots / f"profile-{width}x{height}.png", full_page=True)
        found = page.evaluate(BOXES)
        small = small_touch_targets(page)
    finally:
        context.close()
    assert found["scrollWidth"] <= found["width"], "the page scrolls sideways"
    cards = found["cards"]
    clashes = [
        f"{a['id']} / {b['id']}"
        for index, a in enumerate(cards)
        for b in cards[index + 1 :]
        if overlap(a, b)
    ]
    assert not clashes, f"cards overlap at {width}x{height}: {clashes}"
    outside = [cell["text"] for cell in found["cells"] if cell["right"] > cell["card"]["right"] + 1]
    assert not outside, f"table cells outside their card at {width}x{height}: {outside}"
    assert found["cells"], "the purchases table was not on the page"
    assert not small, f"touch targets under {TOUCH_PX} px at {width}x{height}: {small}"


def test_no_heading_is_said_twice_in_a_row(page, live_server, regular, password):
    """A panel loaded into the profile brings its own headings; the profile adds none above."""
    associate, customer = regular
    sign_in(page, live_server.url, associate, password)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.wait_for_load_state("networkidle")
    headings = page.locator("main h2").all_inner_texts()
    repeated = [a for a, b in pairwise(headings) if a == b]
    assert "Holds" in headings and "Recommended actions" in headings
    assert not repeated, headings


def test_dark_mode_follows_the_tablet(browser, live_server, regular, password):
    associate, customer = regular
    context = browser.new_context(color_scheme="dark", viewport={"width": 1024, "height": 1366})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, associate, password)
        page.goto(f"{live_server.url}/customers/{customer.pk}/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=REPO / "var" / "screenshots" / "profile-dark-1024x1366.png")
        colours = page.evaluate(
            """() => ({page: getComputedStyle(document.documentElement).backgroundColor,
                       text: getComputedStyle(document.querySelector("main h1")).color})"""
        )
    finally:
        context.close()
    assert colours == {"page": "rgb(16, 22, 25)", "text": "rgb(230, 236, 239)"}
