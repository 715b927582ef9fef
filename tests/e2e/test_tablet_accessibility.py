"""axe (npm axe-core) on the screens the shared tablet adds: the lock screen, the PIN page, and
a profile while offline with a write waiting and one refused. No serious or critical
violation."""

from __future__ import annotations

import json

import pytest

from frontline.tablet.services import pin_set
from tests.conftest import REPO
from tests.e2e.helpers import sign_in
from tests.factories import CustomerFactory, StoreFactory, staff_at

pytestmark = pytest.mark.django_db(transaction=True)

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
GRAVE = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
}"""


def grave_violations(page) -> list[dict]:
    return page.evaluate(GRAVE)


def test_the_tablets_screens_have_no_serious_accessibility_violation(
    browser, live_server, password
):
    if not AXE.exists():
        pytest.skip("axe-core not installed (npm ci installs it from package.json)")
    store = StoreFactory(code="e2e-axe", name="Grafton Street")
    alice = staff_at(store, first_name="Alice", last_name="Archer")
    pin_set(staff=alice, pin="4826")
    ada = CustomerFactory(first_name="Ada", last_name="Lovelace", preferred_store=store)
    context = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True)
    # An init script is not subject to the page's Content Security Policy.
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    found = {}
    try:
        sign_in(page, live_server.url, alice, password, then="/tablet/pin/")
        found["PIN page"] = grave_violations(page)
        page.goto(f"{live_server.url}/customers/{ada.pk}/")
        page.evaluate("() => navigator.serviceWorker.ready")
        page.context.set_offline(True)
        page.get_by_placeholder("Add a note").fill("Birthday in May")
        page.get_by_role("button", name="Add note").click()
        page.get_by_text("Waiting to send: kept").wait_for()
        page.evaluate(
            """() => new Promise((resolve) => {
              const staff = document.querySelector('meta[name="frontline-staff"]').content;
              const opening = indexedDB.open("frontline", 1);
              opening.onsuccess = () => {
                const writing = opening.result.transaction("outbox", "readwrite");
                writing.objectStore("outbox").put({
                  key: "refused-1", staff, state: "refused", created: 0, url: "/", body: "",
                  reason: "Someone changed it in the meantime.",
                  label: "Note for Ada Lovelace", text: "Size 40" });
                writing.oncomplete = resolve;
              };
            })"""
        )
        page.reload()
        page.locator(".outbox-problem").wait_for()
        found["profile offline, one waiting, one refused"] = grave_violations(page)
        page.context.set_offline(False)
        page.get_by_role("button", name="Lock").click()
        page.wait_for_url("**/tablet/locked/**")
        found["lock screen"] = grave_violations(page)
    finally:
        context.close()
    assert not any(found.values()), json.dumps(found, indent=2)
