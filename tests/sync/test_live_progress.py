"""A run's progress reaches the managers' open run pages over the notifications socket."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from frontline.notifications.audiences import to_staff
from frontline.staff.models import StaffRole
from frontline.sync import engine
from frontline.sync.models import Run, Source
from frontline.sync.progress import ProgressThrottle, run_progress_event
from frontline.sync.selectors import sync_viewers
from tests.factories import StoreFactory, UserFactory, staff_at
from tests.notifications.conftest import open_socket, session_cookie  # noqa: F401
from tests.sync.standins import ShopifyStandIn, shopify_customer, shopify_source

pytestmark = pytest.mark.django_db(transaction=True)

cookie_for = database_sync_to_async(session_cookie)


@pytest.fixture
def shop(httpserver, monkeypatch) -> ShopifyStandIn:
    monkeypatch.setenv("SHOP_TEST_TOKEN", "shpat_test")
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 2)
    shop = ShopifyStandIn(httpserver)
    shop.records["customers"] = [shopify_customer(n, f"2026-11-01T10:00:0{n}Z") for n in range(5)]
    return shop


@pytest.fixture
def source(shop) -> Source:
    return shopify_source(shop, "SHOP_TEST")


@pytest.fixture
def staff():
    """A store's manager and one of its associates."""
    store = StoreFactory()
    return staff_at(store, StaffRole.MANAGER), staff_at(store)


@pytest.fixture
def socket_of(open_socket):  # noqa: F811
    """Open a staff member's /ws/notifications/ as their browser would."""

    async def open_for(user):
        socket, connected, _ = await open_socket(await cookie_for(user))
        assert connected
        return socket

    return open_for


sync_customers = database_sync_to_async(
    lambda source: engine.run_sync(source=source, entity="customers")
)


async def progress_until_finished(socket, timeout: float = 5) -> list[dict]:
    """Every run_progress frame the socket receives, up to the one saying the run ended."""
    frames = []
    while not frames or frames[-1]["run"]["status"] == "running":
        frame = await socket.receive_json_from(timeout=timeout)
        assert frame["type"] == "sync.run_progress"
        frames.append(frame)
    return frames


async def test_a_manager_watching_sees_each_page_land_and_an_associate_hears_nothing(
    socket_of, source, staff, settings
):
    settings.SYNC_PROGRESS_PUSH_SECONDS = 0  # no throttling: every page is pushed
    manager_socket, associate_socket = [await socket_of(user) for user in staff]

    run = await sync_customers(source)

    frames = await progress_until_finished(manager_socket)
    figures = [(f["run"]["pages"], f["run"]["created"], f["run"]["status"]) for f in frames]
    assert figures == [(1, 2, "running"), (2, 4, "running"), (3, 5, "running"), (3, 5, "succeeded")]
    assert frames[-1]["run"]["id"] == run.pk
    assert frames[-1]["run"]["status_display"] == "Succeeded"
    assert await associate_socket.receive_nothing(timeout=0.5)


async def test_a_fast_run_is_throttled_but_its_final_figures_always_arrive(
    socket_of, source, staff, settings
):
    settings.SYNC_PROGRESS_PUSH_SECONDS = 60
    manager_socket = await socket_of(staff[0])

    await sync_customers(source)

    frames = await progress_until_finished(manager_socket)
    # The first page at once; pages 2 and 3 fall in the window and are overtaken by the end.
    assert [(f["run"]["pages"], f["run"]["status"]) for f in frames] == [
        (1, "running"),
        (3, "succeeded"),
    ]
    assert await manager_socket.receive_nothing(timeout=0.5)  # the held-back timer was cancelled


async def test_figures_held_back_by_the_throttle_are_sent_when_the_window_ends(
    socket_of, source, staff, settings
):
    settings.SYNC_PROGRESS_PUSH_SECONDS = 0.4
    manager_socket = await socket_of(staff[0])
    recipients = await database_sync_to_async(lambda: to_staff(*sync_viewers()))()
    run = await database_sync_to_async(
        lambda: Run.objects.select_related("source").create(source=source, entity="customers")
    )()
    throttle = ProgressThrottle()

    for pages in (1, 2, 3):
        run.pages = pages
        throttle.submit(run.pk, recipients, run_progress_event(run), final=False)

    first = await manager_socket.receive_json_from(timeout=1)
    assert first["run"]["pages"] == 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    held = await manager_socket.receive_json_from(timeout=2)
    # Page 2's figures were overtaken by page 3's, which came once the window had passed.
    assert held["run"]["pages"] == 3
    assert loop.time() - started >= 0.2
    assert await manager_socket.receive_nothing(timeout=0.6)


@pytest.mark.django_db
def test_superusers_and_managers_see_sync_and_nobody_else_does(staff):
    manager, associate = staff
    admin = UserFactory(is_superuser=True)
    UserFactory(is_superuser=True, is_active=False)
    assert set(sync_viewers()) == {manager, admin}
    assert associate not in sync_viewers()
