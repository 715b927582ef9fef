"""A signed-in associate sees a notification arrive live, finds it in the centre, reads it.

Django's ``live_server`` speaks WSGI only (no websockets), so the app runs under the real ASGI
server (uvicorn) in its own process. That process must see this test's rows, which only
PostgreSQL allows: on SQLite the test database lives in this process's memory. The test is
skipped there, and runs in CI's PostgreSQL pass.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from frontline.notifications.audiences import to_staff
from frontline.notifications.services import notification_create
from tests.conftest import REPO, free_port, wait_for_port
from tests.conftest import database_url_for_subprocesses as shared_test_database_url
from tests.e2e.helpers import in_a_thread_of_its_own, sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL: the ASGI server process must share the test database",
    ),
]


def raise_in_another_thread(**fields) -> None:
    """Raise a notification as a request or a task would."""
    in_a_thread_of_its_own(lambda: notification_create(**fields))


def test_a_notification_arrives_live_shows_in_the_centre_and_reading_it_clears_the_badge(
    page, start_asgi_server, associate, password
):
    base_url = start_asgi_server({"REDIS_URL": settings.REDIS_URL})
    sign_in(page, base_url, associate, password)
    badge = page.locator("[data-unread-badge]")
    assert badge.is_hidden()
    page.locator("html[data-notifications='live']").wait_for(state="attached")

    raise_in_another_thread(
        kind="customer.checked_in",
        recipients=to_staff(associate),
        title="Ana Duarte just checked in",
        body="She is at the front desk.",
        link="/notifications/",
    )

    toast = page.locator(".toast")
    toast.wait_for()
    assert "Ana Duarte just checked in" in toast.inner_text()
    page.locator("[data-unread-badge]:visible").wait_for()
    assert page.locator("[data-unread-count]").inner_text() == "1"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    page.wait_for_url(f"{base_url}/notifications/")
    entry = page.locator(".notification").first
    assert "Ana Duarte just checked in" in entry.inner_text()
    assert "She is at the front desk." in entry.inner_text()
    button = entry.get_by_role("button", name="Mark “Ana Duarte just checked in” read")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 48
    button.click()

    page.locator(".notification .notification-state").wait_for()
    page.locator("[data-unread-badge]").wait_for(state="hidden")
    assert page.locator("[data-unread-count]").inner_text() == "0"


def test_a_tablet_locked_in_one_tab_shows_nothing_live_in_another(
    page, start_asgi_server, associate, password
):
    """The other tab's socket is closed by the lock (4423): that tab goes to the lock screen
    rather than go on showing notifications, which name customers."""
    base_url = start_asgi_server({"REDIS_URL": settings.REDIS_URL})
    sign_in(page, base_url, associate, password)
    other_tab = page.context.new_page()
    other_tab.goto(f"{base_url}/notifications/")
    other_tab.locator("html[data-notifications='live']").wait_for(state="attached")

    page.get_by_role("button", name="Lock").click()
    page.wait_for_url("**/tablet/locked/**")

    other_tab.wait_for_url("**/tablet/locked/?next=%2Fnotifications%2F")
    raise_in_another_thread(
        kind="customer.checked_in", recipients=to_staff(associate), title="Ana Duarte is here"
    )
    other_tab.wait_for_timeout(1000)
    assert other_tab.locator(".toast").count() == 0
    assert "Ana Duarte" not in other_tab.content()


def test_after_the_server_restarts_the_tablet_reconnects_and_shows_what_it_missed_once(
    page, tmp_path, associate, password, django_db_setup
):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start_server(port, tmp_path / "first.log")
    try:
        sign_in(page, base_url, associate, password)
        live = page.locator("html[data-notifications='live']")
        live.wait_for(state="attached")
    finally:
        stop_server(server)
    page.locator("html[data-notifications='offline']").wait_for(state="attached")

    # Raised while no server is there to push it: only the database has it.
    raise_in_another_thread(
        kind="hold.expired", recipients=to_staff(associate), title="The hold for Ben Ito expired"
    )
    server = start_server(port, tmp_path / "second.log")
    try:
        toast = page.locator(".toast")
        toast.wait_for(timeout=40_000)  # the client retries with backoff, up to 30 s apart
        assert "The hold for Ben Ito expired" in toast.inner_text()
        live.wait_for(state="attached")
        assert page.locator("[data-unread-count]").inner_text() == "1"
        assert toast.count() == 1
    finally:
        stop_server(server)


def start_server(port: int, log_path) -> subprocess.Popen[bytes]:
    environment = {**os.environ, **shared_test_database_url(), "REDIS_URL": settings.REDIS_URL}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "clienteling.asgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        cwd=REPO, env=environment, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for_port(port, process)
    return process


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
