"""Browser tests drive Debian's Chromium through Playwright (never a downloaded browser).

Without Chromium they are skipped with the reason shown in the summary, never dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import REPO, chromium_path

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _is_browser_test(item: pytest.Item) -> bool:
    return "tests/e2e/" in str(item.path).replace(os.sep, "/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.browser)
    # Browser tests run last: the session-wide Playwright keeps an asyncio loop running in the
    # main thread, and any asyncio test (websocket consumers) collected after it would fail.
    items.sort(key=_is_browser_test)


@pytest.fixture(scope="session", autouse=True)
def live_server_one_request_at_a_time_on_sqlite() -> Iterator[None]:
    """On SQLite, Django's live server serves one request at a time.

    Its request threads share the test's one in-memory SQLite connection, and two requests at
    once (a page and its htmx panels) once left two threads stuck inside SQLite for good, the
    whole run hanging. Serving them in turn avoids that; Django then closes each connection
    after its response, so a browser is never left waiting on a kept-alive one. PostgreSQL
    keeps the threaded server: each thread has its own connection there.
    """
    from django.core.servers.basehttp import WSGIServer
    from django.db import connection
    from django.test.testcases import LiveServerThread

    if connection.vendor != "sqlite":
        yield
        return

    class OneAtATimeWSGIServer(WSGIServer):
        def __init__(self, *args: object, connections_override: object = None, **kwargs: object):
            super().__init__(*args, **kwargs)  # the live server thread applies the override

    threaded = LiveServerThread.server_class
    LiveServerThread.server_class = OneAtATimeWSGIServer
    yield
    LiveServerThread.server_class = threaded


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium not found (set CHROMIUM_PATH or install Debian's chromium)")
    # Playwright's sync API runs its own event loop; Django's live server and ORM calls made by
    # the test thread are still synchronous, which Django only allows with this flag.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=BROWSER_ARGS
        )
        yield browser
        browser.close()


AXE_SOURCE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_REPORT_PREFIX = "axe-violations:"
# Run in every document the browser tests open, before the page's own scripts: once the page
# has loaded, axe checks it and reports the serious and critical violations on the console.
# An init script is not subject to the page's Content Security Policy, the app's own are.
AXE_ON_LOAD = """
window.addEventListener("load", function () {
  setTimeout(function () {
    axe.run(document, { resultTypes: ["violations"] }).then(function (results) {
      var grave = results.violations.filter(function (v) {
        return v.impact === "serious" || v.impact === "critical";
      }).map(function (v) {
        return { id: v.id, impact: v.impact, help: v.help,
                 targets: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); }) };
      });
      if (!grave.length) return;
      console.log("%s" + JSON.stringify({ url: location.href, violations: grave }));
    });
  }, 0);
});
""".replace("%s", AXE_REPORT_PREFIX)


def accessibility_check(context) -> bool:
    """Have axe check every page the context loads; False where axe is not installed."""
    if not AXE_SOURCE.exists():
        return False
    context.add_init_script(script=AXE_SOURCE.read_text() + AXE_ON_LOAD)
    return True


@pytest.fixture
def page(browser) -> Iterator[object]:
    # A tablet in landscape: the device the app is designed for.
    context = browser.new_context(viewport={"width": 1180, "height": 820}, has_touch=True)
    accessibility_check(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Every page a browser test visits runs under the Content Security Policy: anything the
    # policy blocks (an inline script, an injected style) fails the test that met it. And axe
    # checks each page it loads: a serious or critical accessibility violation fails it too.
    refused: list[str] = []
    inaccessible: list[str] = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)
        elif message.text.startswith(AXE_REPORT_PREFIX):
            inaccessible.append(message.text.removeprefix(AXE_REPORT_PREFIX))

    page.on("console", on_console)
    yield page
    context.close()
    assert not refused, "blocked by the Content Security Policy:\n" + "\n".join(refused)
    assert not inaccessible, "serious accessibility violations (axe):\n" + "\n".join(inaccessible)
