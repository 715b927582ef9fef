"""The websocket: who may open it, what each staff member hears, and catch-up after a gap."""

from __future__ import annotations

import copy

import pytest
from channels.db import database_sync_to_async

from frontline.notifications.audiences import to_staff, to_store_managers, to_store_staff
from frontline.notifications.consumers import CLOSE_UNAUTHENTICATED
from frontline.notifications.services import notification_create
from frontline.staff.models import StaffRole
from tests.factories import staff_at
from tests.notifications.conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

cookie_for = database_sync_to_async(session_cookie)


@database_sync_to_async
def raise_notification(*, recipients, **fields):
    """Raise a notification from a thread, as a request or a task would (audiences may query)."""
    return notification_create(
        recipients=recipients() if callable(recipients) else recipients, **fields
    )


async def next_message(communicator, timeout: float = 3):
    return await communicator.receive_json_from(timeout=timeout)


async def catch_up(communicator, after: int) -> dict:
    await communicator.send_json_to({"type": "catch_up", "after": after})
    reply = await next_message(communicator)
    assert reply["type"] == "catch_up"
    return reply


async def test_an_anonymous_handshake_is_refused(open_socket):
    _, connected, code = await open_socket(cookie=None)
    assert not connected
    assert code == CLOSE_UNAUTHENTICATED


async def test_a_handshake_from_another_site_is_refused_even_with_a_valid_session(
    open_socket, associate_here
):
    cookie = await cookie_for(associate_here)
    _, connected, _ = await open_socket(cookie, origin="https://evil.example")
    assert not connected
    # The same session from the app's own origin is let in: the origin made the difference.
    _, connected, _ = await open_socket(cookie)
    assert connected


async def test_an_associate_hears_their_own_and_their_stores_notifications_and_nobody_elses(
    open_socket, store, other_store, associate_here
):
    colleague = await database_sync_to_async(staff_at)(store)
    elsewhere = await database_sync_to_async(staff_at)(other_store)
    manager = await database_sync_to_async(staff_at)(store, StaffRole.MANAGER)
    socket, connected, _ = await open_socket(await cookie_for(associate_here))
    assert connected
    await catch_up(socket, after=0)

    for_colleague = await raise_notification(
        kind="followup.assigned", recipients=to_staff(colleague), title="Call Ana back"
    )
    for_other_store = await raise_notification(
        kind="customer.checked_in",
        recipients=lambda: to_store_staff(other_store),
        title="Ben is here",
    )
    for_managers = await raise_notification(
        kind="sync.run_failed", recipients=lambda: to_store_managers(store), title="CRM sync failed"
    )
    for_elsewhere = await raise_notification(
        kind="followup.assigned", recipients=to_staff(elsewhere), title="Not yours"
    )
    for_my_store = await raise_notification(
        kind="customer.checked_in", recipients=lambda: to_store_staff(store), title="Cleo is here"
    )
    for_me = await raise_notification(
        kind="hold.expiring", recipients=to_staff(associate_here), title="Hold expires soon"
    )

    received = [await next_message(socket), await next_message(socket)]
    assert [m["notification"]["id"] for m in received] == [for_my_store.pk, for_me.pk]
    assert await socket.receive_nothing(timeout=0.3)
    # Nor does a catch-up leak what was meant for others.
    everything = await catch_up(socket, after=0)
    assert [n["id"] for n in everything["notifications"]] == [for_my_store.pk, for_me.pk]
    assert {for_colleague.pk, for_other_store.pk, for_managers.pk, for_elsewhere.pk}.isdisjoint(
        n["id"] for n in everything["notifications"]
    )
    assert everything["unread_count"] == 2
    assert manager  # the managers' notification went to them, not to the associate


async def test_a_notification_missed_while_disconnected_arrives_once_after_reconnecting(
    open_socket, associate_here
):
    cookie = await cookie_for(associate_here)
    socket, _, _ = await open_socket(cookie)
    first = await raise_notification(
        kind="followup.due_soon", recipients=to_staff(associate_here), title="Due in 1 hour"
    )
    pushed = await next_message(socket)
    cursor = pushed["notification"]["id"]
    assert cursor == first.pk
    await socket.disconnect()

    missed = await raise_notification(
        kind="followup.overdue", recipients=to_staff(associate_here), title="Overdue"
    )

    again, _, _ = await open_socket(cookie)
    reply = await catch_up(again, after=cursor)
    assert [n["id"] for n in reply["notifications"]] == [missed.pk]
    assert reply["notifications"][0]["title"] == "Overdue"
    assert reply["has_more"] is False
    # Once: nothing more comes, and asking again from the new cursor finds nothing.
    assert await again.receive_nothing(timeout=0.3)
    assert (await catch_up(again, after=missed.pk))["notifications"] == []


@pytest.fixture
def channel_layer_capacity(settings):
    """Set the channel layer's capacity (the layer is rebuilt on the settings change)."""

    def set_capacity(capacity: int) -> None:
        layers = copy.deepcopy(settings.CHANNEL_LAYERS)
        layers["default"]["CONFIG"]["capacity"] = capacity
        settings.CHANNEL_LAYERS = layers

    return set_capacity


async def test_a_push_dropped_by_the_full_channel_layer_is_caught_up_exactly_once(
    open_socket, associate_here, channel_layer_capacity
):
    # With no room left, channels_redis drops group messages without a word (channels_redis
    # #181): a capacity of 0 makes that happen to every push, deterministically.
    channel_layer_capacity(0)
    socket, connected, _ = await open_socket(await cookie_for(associate_here))
    assert connected
    assert (await catch_up(socket, after=0))["notifications"] == []

    dropped = await raise_notification(
        kind="appointment.booked", recipients=to_staff(associate_here), title="Booked 15:00"
    )
    assert await socket.receive_nothing(timeout=0.5), "the push should have been dropped"
    await socket.disconnect()

    channel_layer_capacity(100)
    again, _, _ = await open_socket(await cookie_for(associate_here))
    reply = await catch_up(again, after=0)
    assert [n["id"] for n in reply["notifications"]] == [dropped.pk]

    live = await raise_notification(
        kind="appointment.rescheduled", recipients=to_staff(associate_here), title="Now 16:00"
    )
    assert (await next_message(again))["notification"]["id"] == live.pk
    # Neither is handed out a second time: the client's cursor is now the pushed one's id.
    assert (await catch_up(again, after=live.pk))["notifications"] == []


async def test_reading_elsewhere_updates_the_count_on_every_open_socket(
    open_socket, associate_here
):
    from frontline.notifications.services import notification_mark_read

    socket, _, _ = await open_socket(await cookie_for(associate_here))
    notification = await raise_notification(
        kind="hold.expired", recipients=to_staff(associate_here), title="Hold expired"
    )
    await next_message(socket)
    await database_sync_to_async(notification_mark_read)(
        user=associate_here, notification_id=notification.pk
    )
    assert await next_message(socket) == {"type": "unread", "unread_count": 0}


async def test_a_malformed_catch_up_is_answered_with_an_error_and_the_socket_stays_open(
    open_socket, associate_here
):
    socket, _, _ = await open_socket(await cookie_for(associate_here))
    await socket.send_json_to({"type": "catch_up", "after": "yesterday"})
    assert (await next_message(socket))["type"] == "error"
    await socket.send_json_to(["not", "an", "object"])
    assert (await next_message(socket))["type"] == "error"
    assert (await catch_up(socket, after=0))["notifications"] == []


async def test_a_deactivated_account_is_refused(open_socket, associate_here):
    cookie = await cookie_for(associate_here)
    associate_here.is_active = False
    await database_sync_to_async(associate_here.save)()
    _, connected, _ = await open_socket(cookie)
    assert not connected
