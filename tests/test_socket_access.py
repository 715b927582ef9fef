"""Who may open which websocket: every route of clienteling.routing, as every kind of user.

As for pages (tests/test_access_matrix.py), each websocket route needs a rule here, so a route
added without one fails; each is opened through the whole ASGI stack (origin check, session
authentication) with a real session of each visitor.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from clienteling.routing import websocket_urlpatterns
from frontline.staff.models import StaffRole
from tests.appointments.factories import BookingFactory, StylistFactory
from tests.factories import StoreFactory, UserFactory, staff_at

pytestmark = pytest.mark.django_db(transaction=True)

PERSONAS = ("anonymous", "associate_a", "associate_b", "manager_a", "stylist_a", "admin")
STAFF = frozenset(PERSONAS) - {"anonymous"}

# Route name → (its path, with {placeholders} for real values; who may open it). A video
# session's room admits its stylist by the booking's id and its customer by the booking's
# token (anyone holding the link, signed in or not); nobody else.
SOCKET_ACCESS = {
    "notifications": ("/ws/notifications/", STAFF),
    "session": ("/ws/sessions/{booking_id}/", frozenset({"stylist_a"})),
    "session_customer": ("/ws/sessions/c/{token}/", frozenset(PERSONAS)),
}


@database_sync_to_async
def visitors_and_values() -> tuple[dict[str, str | None], dict[str, object]]:
    """A session cookie for each visitor, and the values the socket paths name."""
    store_a, store_b = StoreFactory(), StoreFactory()
    stylist = StylistFactory(store=store_a)
    booking = BookingFactory(stylist=stylist)  # a video session starting in five minutes
    people = {
        "associate_a": staff_at(store_a),
        "associate_b": staff_at(store_b),
        "manager_a": staff_at(store_a, StaffRole.MANAGER),
        "stylist_a": stylist.user,
        "admin": UserFactory(is_superuser=True, is_staff=True),
    }
    cookies: dict[str, str | None] = {"anonymous": None}
    for persona, user in people.items():
        client = Client()
        client.force_login(user)
        cookies[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return cookies, {"booking_id": booking.pk, "token": booking.token}


async def opens(path: str, cookie: str | None) -> bool:
    from clienteling.asgi import application

    headers = [(b"origin", b"http://testserver")]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


def test_every_websocket_route_has_an_access_rule():
    names = {pattern.name for pattern in websocket_urlpatterns}
    assert names == set(SOCKET_ACCESS), "add a rule to SOCKET_ACCESS for each socket route"


async def test_each_visitor_opens_exactly_the_sockets_their_role_allows():
    cookies, values = await visitors_and_values()
    wrong = []
    for name, (template, allowed) in SOCKET_ACCESS.items():
        path = template.format(**values)
        for persona in PERSONAS:
            if await opens(path, cookies[persona]) != (persona in allowed):
                wrong.append(
                    f"{name} as {persona}: expected {'open' if persona in allowed else 'refused'}"
                )
    assert not wrong, "\n".join(wrong)
