from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from tests.factories import StoreFactory, staff_at


@pytest.fixture
def store(db):
    return StoreFactory()


@pytest.fixture
def other_store(db):
    return StoreFactory()


@pytest.fixture
def associate_here(store):
    return staff_at(store)


def session_cookie(user) -> str:
    """A real session for ``user``, as the browser would hold it after signing in."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
async def open_socket() -> AsyncIterator[Callable[..., object]]:
    """Open /ws/notifications/ through the whole ASGI stack (origin check, session auth)."""
    from clienteling.asgi import application

    communicators: list[WebsocketCommunicator] = []

    async def open_as(cookie: str | None, origin: str = "http://testserver"):
        headers = [(b"origin", origin.encode())]
        if cookie:
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        connected, code = await communicator.connect()
        communicators.append(communicator)
        return communicator, connected, code

    yield open_as
    for communicator in communicators:
        await communicator.disconnect()
