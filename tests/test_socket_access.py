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
from tests.factories import StoreFactory, UserFactory, staff_at

pytestmark = pytest.mark.django_db(transaction=True)

PERSONAS = ("anonymous", "associate_a", "associate_b", "manager_a", "stylist_a", "admin")
STAFF = frozenset(PERSONAS) - {"anonymous"}

# Route name → (its path with real values, who may open it).
SOCKET_ACCESS = {
    "notifications": ("/ws/notifications/", STAFF),
}


@database_sync_to_async
def session_cookies() -> dict[str, str | None]:
    store_a, store_b = StoreFactory(), StoreFactory()
    people = {
        "associate_a": staff_at(store_a),
        "associate_b": staff_at(store_b),
        "manager_a": staff_at(store_a, StaffRole.MANAGER),
        "stylist_a": staff_at(store_a, StaffRole.STYLIST),
        "admin": UserFactory(is_superuser=True, is_staff=True),
    }
    cookies: dict[str, str | None] = {"anonymous": None}
    for persona, user in people.items():
        client = Client()
        client.force_login(user)
        cookies[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return cookies


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
    cookies = await session_cookies()
    wrong = []
    for name, (path, allowed) in SOCKET_ACCESS.items():
        for persona in PERSONAS:
            if await opens(path, cookies[persona]) != (persona in allowed):
                wrong.append(
                    f"{name} as {persona}: expected {'open' if persona in allowed else 'refused'}"
                )
    assert not wrong, "\n".join(wrong)
