"""The video session's signalling socket admits the booked customer (by token) and the
assigned stylist, nobody else, and relays what one says to the other."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from frontline.appointments.consumers import CLOSE_BAD_FRAME, CLOSE_FORBIDDEN
from frontline.appointments.models import Service
from tests.appointments.factories import BookingFactory, ServiceFactory
from tests.factories import StoreAssignmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
async def open_socket():
    from clienteling.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def open_at(path: str, user=None):
        headers = [(b"origin", b"http://testserver")]
        if user is not None:
            cookie = await database_sync_to_async(session_cookie)(user)
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await communicator.connect()
        opened.append(communicator)
        return communicator, connected, code

    yield open_at
    for communicator in opened:
        await communicator.disconnect()


@pytest.fixture
def booking(db):
    return BookingFactory()


async def test_the_stylist_and_the_customer_meet_and_hear_each_other(open_socket, booking):
    stylist, connected, _ = await open_socket(f"/ws/sessions/{booking.pk}/", booking.stylist.user)
    assert connected
    assert await stylist.receive_json_from() == {"type": "joined", "role": "stylist"}
    customer, connected, _ = await open_socket(f"/ws/sessions/c/{booking.token}/")
    assert connected
    assert await customer.receive_json_from() == {"type": "joined", "role": "customer"}

    await customer.send_json_to({"type": "hello"})
    assert await stylist.receive_json_from() == {"type": "hello", "from": "customer"}
    await stylist.send_json_to({"type": "offer", "sdp": "v=0..."})
    assert await customer.receive_json_from() == {
        "type": "offer",
        "sdp": "v=0...",
        "from": "stylist",
    }
    # Nobody hears their own frames back.
    assert await stylist.receive_nothing(timeout=0.2)

    await customer.disconnect()
    assert await stylist.receive_json_from() == {"type": "left", "from": "customer"}


async def test_another_staff_member_is_refused_even_at_the_same_store(open_socket, booking):
    colleague = await database_sync_to_async(
        lambda: StoreAssignmentFactory(store=booking.store, role="manager").user
    )()
    _, connected, code = await open_socket(f"/ws/sessions/{booking.pk}/", colleague)
    assert not connected and code == CLOSE_FORBIDDEN
    _, connected, code = await open_socket(f"/ws/sessions/{booking.pk}/")
    assert not connected and code == CLOSE_FORBIDDEN


async def test_a_wrong_token_is_refused(open_socket, booking):
    _, connected, code = await open_socket(f"/ws/sessions/c/{booking.token[:-1]}x/")
    assert not connected and code == CLOSE_FORBIDDEN


@pytest.mark.parametrize(
    "change",
    [
        {"status": "cancelled"},
        {"starts_at_in": timedelta(hours=2)},  # too early: the room opens 15 minutes before
        {"starts_at_in": -timedelta(hours=3)},  # long over
        {"in_store": True},
    ],
)
async def test_the_room_is_open_only_for_a_confirmed_video_session_around_its_time(
    open_socket, change
):
    @database_sync_to_async
    def make():
        fields = {}
        if "status" in change:
            fields["status"] = change["status"]
        if "starts_at_in" in change:
            fields["starts_at"] = timezone.now() + change["starts_at_in"]
        if change.get("in_store"):
            fields["service"] = ServiceFactory(slug="in-store", kind=Service.Kind.IN_STORE)
        return BookingFactory(**fields)

    booking = await make()
    _, connected, code = await open_socket(f"/ws/sessions/c/{booking.token}/")
    assert not connected and code == CLOSE_FORBIDDEN


async def test_frames_that_are_not_signalling_close_the_socket(open_socket, booking):
    customer, _, _ = await open_socket(f"/ws/sessions/c/{booking.token}/")
    await customer.receive_json_from()
    await customer.send_json_to({"type": "chat", "text": "hi"})
    assert (await customer.receive_output())["code"] == CLOSE_BAD_FRAME
    customer, _, _ = await open_socket(f"/ws/sessions/c/{booking.token}/")
    await customer.receive_json_from()
    await customer.send_to(text_data="x" * 70_000)
    assert (await customer.receive_output())["code"] == CLOSE_BAD_FRAME


async def test_the_rooms_hear_when_the_shared_lookbook_changes(open_socket, booking):
    from frontline.appointments import services
    from frontline.appointments.models import LookbookItem
    from tests.factories import StockLevelFactory

    customer, connected, _ = await open_socket(f"/ws/sessions/c/{booking.token}/")
    assert connected
    assert (await customer.receive_json_from())["type"] == "joined"

    def put_in_lookbook() -> LookbookItem:
        variant = StockLevelFactory(store=booking.store).variant
        return LookbookItem.objects.create(booking=booking, variant=variant, position=1)

    item = await database_sync_to_async(put_in_lookbook)()
    # Not shared yet: the customer's room is not told.
    await database_sync_to_async(services.lookbook_item_note_set)(item=item, note="Not yet")
    assert await customer.receive_nothing(timeout=0.2)

    await database_sync_to_async(services.lookbook_share)(booking=booking)
    assert await customer.receive_json_from() == {"type": "lookbook"}
    item = await database_sync_to_async(
        lambda: LookbookItem.objects.select_related("booking").get(pk=item.pk)
    )()
    await database_sync_to_async(services.lookbook_item_note_set)(item=item, note="Try it on")
    assert await customer.receive_json_from() == {"type": "lookbook"}
