"""An open socket follows its staff member: their stores as they change, and their sign-out."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from frontline.notifications.audiences import to_staff, to_store_staff
from frontline.notifications.consumers import CLOSE_UNAUTHENTICATED
from frontline.staff.models import StaffRole, StoreAssignment
from tests.factories import staff_at
from tests.notifications.test_live import catch_up, cookie_for, next_message, raise_notification

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def assign(user, store) -> None:
    StoreAssignment.objects.create(user=user, store=store, role=StaffRole.ASSOCIATE)


@database_sync_to_async
def unassign(user, store) -> None:
    StoreAssignment.objects.get(user=user, store=store).delete()


@database_sync_to_async
def sign_out(cookie: str) -> None:
    """Sign out through the app's logout page, as the browser holding ``cookie`` would."""
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = browser.post("/accounts/logout/")
    assert response.status_code in (200, 302)


async def closed_with(socket) -> int:
    output = await socket.receive_output(timeout=3)
    assert output["type"] == "websocket.close"
    return output["code"]


async def test_a_socket_starts_hearing_a_store_its_staff_member_is_assigned_to(
    open_socket, associate_here, other_store
):
    socket, _, _ = await open_socket(await cookie_for(associate_here))
    await catch_up(socket, after=0)

    await assign(associate_here, other_store)

    # The socket says so, and the client catches up on anything raised while it switched.
    assert await next_message(socket) == {"type": "stores_changed"}
    raised = await raise_notification(
        kind="customer.checked_in",
        recipients=lambda: to_store_staff(other_store),
        title="Dina is here",
    )
    pushed = await next_message(socket)
    assert pushed["notification"]["id"] == raised.pk


async def test_a_socket_stops_hearing_a_store_its_staff_member_no_longer_works_at(
    open_socket, store, associate_here, other_store
):
    await assign(associate_here, other_store)
    await database_sync_to_async(staff_at)(other_store)  # someone still works there
    socket, _, _ = await open_socket(await cookie_for(associate_here))
    await catch_up(socket, after=0)

    await unassign(associate_here, other_store)

    assert await next_message(socket) == {"type": "stores_changed"}
    await raise_notification(
        kind="customer.checked_in",
        recipients=lambda: to_store_staff(other_store),
        title="Not your store any more",
    )
    assert await socket.receive_nothing(timeout=0.5)
    # Still open, and still hearing the store they work at.
    at_home = await raise_notification(
        kind="customer.checked_in", recipients=lambda: to_store_staff(store), title="Eve is here"
    )
    assert (await next_message(socket))["notification"]["id"] == at_home.pk


async def test_a_deactivated_staff_members_socket_is_closed(open_socket, associate_here):
    socket, _, _ = await open_socket(await cookie_for(associate_here))
    await catch_up(socket, after=0)

    associate_here.is_active = False
    await database_sync_to_async(associate_here.save)()

    assert await closed_with(socket) == CLOSE_UNAUTHENTICATED


async def test_signing_out_closes_that_sessions_sockets_and_no_other(open_socket, associate_here):
    # The same associate on two tablets: two sessions.
    tablet_cookie, other_tablet_cookie = (
        await cookie_for(associate_here),
        await cookie_for(associate_here),
    )
    tablet, _, _ = await open_socket(tablet_cookie)
    second_tab, _, _ = await open_socket(tablet_cookie)
    other_tablet, _, _ = await open_socket(other_tablet_cookie)
    for socket in (tablet, second_tab, other_tablet):
        await catch_up(socket, after=0)

    await sign_out(tablet_cookie)

    assert await closed_with(tablet) == CLOSE_UNAUTHENTICATED
    assert await closed_with(second_tab) == CLOSE_UNAUTHENTICATED
    still_there = await raise_notification(
        kind="hold.expiring", recipients=to_staff(associate_here), title="Hold expires soon"
    )
    assert (await next_message(other_tablet))["notification"]["id"] == still_there.pk
    # And the signed-out session cannot open a new one.
    _, connected, _ = await open_socket(tablet_cookie)
    assert not connected


async def test_a_push_does_not_wait_behind_database_work_on_the_shared_sync_thread(
    open_socket, associate_here
):
    """Thousands of sockets share one sync thread; a push must not queue for it per socket."""
    import asyncio
    import time

    from asgiref.sync import sync_to_async
    from django.db import connections

    from frontline.notifications.services import notification_create

    def raise_in_own_thread(**fields):
        try:
            return notification_create(**fields)
        finally:
            connections.close_all()  # this thread's connection, before the test database goes

    socket, _, _ = await open_socket(await cookie_for(associate_here))
    await catch_up(socket, after=0)
    # Another socket's catch-up, say, holding the one thread-sensitive sync thread.
    busy = asyncio.create_task(sync_to_async(time.sleep)(4))
    await asyncio.sleep(0.1)
    # Raised from a thread of its own, as a request or a Celery task would.
    raised = await asyncio.to_thread(
        raise_in_own_thread,
        kind="hold.expiring",
        recipients=to_staff(associate_here),
        title="Hold expires soon",
    )

    pushed = await next_message(socket, timeout=2)
    assert not busy.done()
    assert pushed["notification"]["id"] == raised.pk
    await busy
