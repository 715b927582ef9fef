"""A locked tablet hears nothing: the live notifications socket of its session closes when it
locks (4423), none opens while it stays locked, and once unlocked a new socket catches up on
what was raised meanwhile. Through the whole ASGI stack, with real sessions."""

from __future__ import annotations

import time

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from frontline.notifications.audiences import to_staff
from frontline.notifications.consumers import CLOSE_LOCKED, CLOSE_UNAUTHENTICATED
from frontline.tablet.models import TabletPolicy
from frontline.tablet.services import pin_set
from tests.notifications.test_live import catch_up, next_message, raise_notification
from tests.notifications.test_socket_membership import closed_with

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def tablet_of(user) -> Client:
    """A browser signed in as ``user``, as on the shop floor (a real session with its store)."""
    browser = Client()
    browser.force_login(user)
    assert browser.get("/").status_code == 200
    return browser


def cookie(browser: Client) -> str:
    return browser.cookies[settings.SESSION_COOKIE_NAME].value


@database_sync_to_async
def post(browser: Client, path: str, data: dict | None = None):
    return browser.post(path, data or {})


@database_sync_to_async
def set_pin(user, pin: str) -> None:
    pin_set(staff=user, pin=pin)


async def test_locking_closes_the_sockets_of_that_tablet_only(open_socket, associate):
    tablet = await tablet_of(associate)
    other_tablet = await tablet_of(associate)
    socket, _, _ = await open_socket(cookie(tablet))
    second_tab, _, _ = await open_socket(cookie(tablet))
    elsewhere, _, _ = await open_socket(cookie(other_tablet))
    for each in (socket, second_tab, elsewhere):
        await catch_up(each, after=0)

    assert (await post(tablet, "/tablet/lock/")).status_code == 302

    assert await closed_with(socket) == CLOSE_LOCKED
    assert await closed_with(second_tab) == CLOSE_LOCKED
    raised = await raise_notification(
        kind="hold.expiring", recipients=to_staff(associate), title="Hold for Ada expires soon"
    )
    # The same person on another tablet, unlocked, still hears.
    assert (await next_message(elsewhere))["notification"]["id"] == raised.pk


async def test_no_socket_opens_on_a_locked_tablet(open_socket, associate):
    tablet = await tablet_of(associate)
    await post(tablet, "/tablet/lock/")
    _, connected, code = await open_socket(cookie(tablet))
    assert not connected
    assert code == CLOSE_LOCKED


async def test_a_tablet_idle_past_its_stores_time_is_locked_when_a_socket_opens(
    open_socket, associate, store
):
    await database_sync_to_async(TabletPolicy.objects.create)(store=store, lock_after_minutes=2)
    tablet = await tablet_of(associate)
    session_key = await database_sync_to_async(lambda: tablet.session.session_key)()
    cache.set(f"tablet-seen:{session_key}", time.time() - 3 * 60)

    _, connected, code = await open_socket(cookie(tablet))

    assert not connected
    assert code == CLOSE_LOCKED
    # And the pages are locked with it.
    page = await database_sync_to_async(tablet.get)("/customers/search/")
    assert page["Location"].startswith("/tablet/locked/")


async def test_unlocked_again_a_new_socket_catches_up_on_what_came_meanwhile(
    open_socket, associate
):
    await set_pin(associate, "4826")
    tablet = await tablet_of(associate)
    socket, _, _ = await open_socket(cookie(tablet))
    await catch_up(socket, after=0)
    await post(tablet, "/tablet/lock/")
    assert await closed_with(socket) == CLOSE_LOCKED
    while_locked = await raise_notification(
        kind="hold.expiring", recipients=to_staff(associate), title="Hold for Ada expires soon"
    )

    unlocked = await post(tablet, "/tablet/unlock/", {"staff": associate.pk, "pin": "4826"})
    assert unlocked.status_code == 302

    socket, connected, _ = await open_socket(cookie(tablet))
    assert connected
    reply = await catch_up(socket, after=0)
    assert [entry["id"] for entry in reply["notifications"]] == [while_locked.pk]


async def test_a_pin_switch_leaves_the_previous_person_nothing_to_hear(
    open_socket, associate, colleague
):
    await set_pin(colleague, "7391")
    tablet = await tablet_of(associate)
    alice_cookie = cookie(tablet)
    alice_socket, _, _ = await open_socket(alice_cookie)
    await catch_up(alice_socket, after=0)
    await post(tablet, "/tablet/lock/")
    assert await closed_with(alice_socket) == CLOSE_LOCKED

    switched = await post(tablet, "/tablet/unlock/", {"staff": colleague.pk, "pin": "7391"})
    assert switched.status_code == 302

    # Alice's session is gone with the switch: it opens nothing any more.
    _, connected, code = await open_socket(alice_cookie)
    assert not connected
    assert code == CLOSE_UNAUTHENTICATED
    # Bob's own socket hears Bob's notifications only.
    bob_socket, connected, _ = await open_socket(cookie(tablet))
    assert connected
    await catch_up(bob_socket, after=0)
    await raise_notification(
        kind="hold.expiring", recipients=to_staff(associate), title="For Alice only"
    )
    assert await bob_socket.receive_nothing(timeout=0.5)
