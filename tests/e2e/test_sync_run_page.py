"""A manager watching a sync run sees its figures change live, without a reload or polling.

The app runs under uvicorn in its own process (websockets), which must share this test's
database: PostgreSQL only, as in test_notifications.py.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from frontline.staff.models import StaffRole
from frontline.sync import seams
from frontline.sync.models import Run, Source
from tests.e2e.helpers import in_a_thread_of_its_own, sign_in
from tests.factories import StoreFactory, staff_at

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL: the ASGI server process must share the test database",
    ),
]


def progress_in_another_thread(run_id: int, **figures) -> None:
    """What the engine does after a page lands."""

    def land() -> None:
        Run.objects.filter(pk=run_id).update(**figures)
        seams.run_progressed(run=Run.objects.select_related("source").get(pk=run_id))

    in_a_thread_of_its_own(land)


@pytest.fixture
def source() -> Source:
    # Not the migration's demo source: a transactional test empties the tables after it.
    return Source.objects.create(name="erp-files", kind="file_drop", record_source="erp")


def test_the_run_page_follows_a_run_live_and_shows_it_finished(
    page, start_asgi_server, password, source
):
    manager = staff_at(StoreFactory(), StaffRole.MANAGER)
    run = Run.objects.create(source=source, entity="customers")
    base_url = start_asgi_server({"REDIS_URL": settings.REDIS_URL})
    fragment_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            fragment_requests.append(request.url)
            if request.headers.get("hx-request") and request.url.endswith(f"/sync/runs/{run.pk}/")
            else None
        ),
    )
    sign_in(page, base_url, manager, password, then=f"/sync/runs/{run.pk}/")
    page.locator("html[data-notifications='live']").wait_for(state="attached")
    page.wait_for_load_state("networkidle")
    # Once live, the page read the run again: pushes sent before it listened are not replayed.
    assert len(fragment_requests) == 1
    fragment_requests.clear()
    page.evaluate("window.sameDocument = true")

    progress_in_another_thread(run.pk, pages=2, created=1234, quarantined=1)

    created = page.locator('#progress [data-run-field="created"]')
    page.wait_for_function(
        "document.querySelector('#progress dd[data-run-field=\"created\"]').textContent === '1,234'"
    )
    assert page.locator('#progress dd[data-run-field="quarantined"]').inner_text() == "1"
    assert page.locator('#progress dd[data-run-field="pages"]').inner_text() == "2"
    page.wait_for_timeout(2500)  # longer than the polling interval
    assert fragment_requests == []  # live: the figures came over the socket, no polling

    progress_in_another_thread(
        run.pk, pages=3, created=2000, status="succeeded", finished_at=timezone.now()
    )

    page.locator("#progress .run-status", has_text="Succeeded").wait_for()
    assert created.first.inner_text() == "2,000"
    assert page.locator("#progress[hx-trigger]").count() == 0  # a finished run is not polled
    assert len(fragment_requests) == 1  # the finished run read once, rendered by the server
    assert page.evaluate("window.sameDocument") is True  # never reloaded


def test_the_run_list_updates_a_running_row_and_shows_a_run_that_started_since(
    page, start_asgi_server, password, source
):
    manager = staff_at(StoreFactory(), StaffRole.MANAGER)
    running = Run.objects.create(source=source, entity="customers")
    base_url = start_asgi_server({"REDIS_URL": settings.REDIS_URL})
    sign_in(page, base_url, manager, password, then="/sync/runs/")
    page.locator("html[data-notifications='live']").wait_for(state="attached")
    page.evaluate("window.sameDocument = true")

    progress_in_another_thread(running.pk, pages=1, created=5, status="succeeded")

    row = page.locator(f'tr[data-run-id="{running.pk}"]')
    row.locator('[data-run-field="status"]', has_text="Succeeded").wait_for()
    assert row.locator('[data-run-field="created"]').inner_text() == "5"

    started = Run.objects.create(source=source, entity="stock")
    progress_in_another_thread(started.pk, pages=1, updated=7)

    page.locator(f'tr[data-run-id="{started.pk}"]').wait_for()  # the list was read again
    assert page.evaluate("window.sameDocument") is True
