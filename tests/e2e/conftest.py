"""Browser tests drive Debian's Chromium through Playwright (never a downloaded browser).

Without Chromium they are skipped with the reason shown in the summary, never dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import chromium_path

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


@pytest.fixture
def page(browser) -> Iterator[object]:
    # A tablet in landscape: the device the app is designed for.
    context = browser.new_context(viewport={"width": 1180, "height": 820}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Every page a browser test visits runs under the Content Security Policy: anything the
    # policy blocks (an inline script, an injected style) fails the test that met it.
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not refused, "blocked by the Content Security Policy:\n" + "\n".join(refused)
