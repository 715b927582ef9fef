"""Scale-out: two ASGI server processes on one Redis, and an event raised in a Celery worker.

Everything here is a real process: two uvicorn servers, one Celery worker, and websocket clients
(the ``websockets`` library) signed in with real session cookies. The processes share the test
database, which only PostgreSQL allows (SQLite's test database lives in this process's memory).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from websockets.asyncio.client import connect

from frontline.notifications.tasks import send_test_notification_task
from tests.conftest import REPO
from tests.conftest import database_url_for_subprocesses as shared_test_database_url
from tests.factories import StoreFactory, staff_at
from tests.notifications.conftest import session_cookie

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL: server and worker processes must share the test database",
    ),
]


@pytest.fixture
def celery_worker(tmp_path: Path):
    """A real Celery worker process consuming a queue of this test's own."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = (tmp_path / "worker.log").open("wb")
    environment = {**os.environ, **shared_test_database_url(), "REDIS_URL": settings.REDIS_URL}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "clienteling", "worker", "--pool", "solo",
         "--queues", queue, "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield queue
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


async def open_socket(base_url: str, cookie: str):
    """Connect as a browser would (origin, session cookie) and wait until caught up."""
    socket = await connect(
        base_url.replace("http://", "ws://") + "/ws/notifications/",
        additional_headers={
            "Origin": base_url,
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
        },
    )
    await socket.send(json.dumps({"type": "catch_up", "after": 0}))
    reply = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
    assert reply["type"] == "catch_up"
    return socket


async def next_notification(socket, timeout: float) -> dict:
    message = json.loads(await asyncio.wait_for(socket.recv(), timeout=timeout))
    assert message["type"] == "notification"
    return message["notification"]


def test_an_event_raised_in_a_worker_reaches_sockets_on_both_servers(
    start_asgi_server, celery_worker
):
    store = StoreFactory()
    associate = staff_at(store)
    colleague = staff_at(store)
    associate_cookie, colleague_cookie = session_cookie(associate), session_cookie(colleague)
    environment = {"REDIS_URL": settings.REDIS_URL}
    first_server, second_server = start_asgi_server(environment), start_asgi_server(environment)

    async def scenario() -> tuple[dict, dict]:
        tablet = await open_socket(first_server, associate_cookie)
        phone = await open_socket(second_server, associate_cookie)
        bystander = await open_socket(second_server, colleague_cookie)
        send_test_notification_task.apply_async(
            kwargs={"user_id": associate.pk, "title": "From the worker"}, queue=celery_worker
        )
        # The first wait covers the worker's start-up as well.
        on_tablet = await next_notification(tablet, timeout=60)
        on_phone = await next_notification(phone, timeout=10)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(bystander.recv(), timeout=1)
        for socket in (tablet, phone, bystander):
            await socket.close()
        return on_tablet, on_phone

    on_tablet, on_phone = asyncio.run(scenario())
    assert on_tablet == on_phone
    assert on_tablet["title"] == "From the worker"
    assert associate.notifications.get().notification_id == on_tablet["id"]


def test_an_anonymous_or_foreign_origin_handshake_is_refused_by_the_real_server(
    start_asgi_server, associate
):
    from websockets.exceptions import InvalidStatus

    cookie = session_cookie(associate)
    server = start_asgi_server({"REDIS_URL": settings.REDIS_URL})
    url = server.replace("http://", "ws://") + "/ws/notifications/"

    async def handshake(headers: dict[str, str]) -> int:
        try:
            async with connect(url, additional_headers=headers):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    async def scenario() -> list[int]:
        return [
            await handshake({"Origin": server}),
            await handshake({"Origin": "https://evil.example", "Cookie": f"sessionid={cookie}"}),
            await handshake({"Origin": server, "Cookie": f"sessionid={cookie}"}),
        ]

    assert asyncio.run(scenario()) == [403, 403, 101]


def sign_out_over_http(base_url: str, cookie: str) -> int:
    """POST the logout form to the real server as the browser would: session and CSRF cookies."""
    from http.client import HTTPConnection
    from urllib.parse import urlsplit

    csrf = "signoutcsrfsecret" + "0" * 15  # any 32-character secret, in cookie and header alike
    cookies = f"{settings.SESSION_COOKIE_NAME}={cookie}; {settings.CSRF_COOKIE_NAME}={csrf}"
    address = urlsplit(base_url)
    connection = HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/accounts/logout/",
            headers={"Cookie": cookies, "X-CSRFToken": csrf, "Origin": base_url},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_signing_out_on_the_real_server_closes_that_sessions_open_socket(
    start_asgi_server, associate
):
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    from frontline.notifications.consumers import CLOSE_UNAUTHENTICATED

    cookie = session_cookie(associate)
    server = start_asgi_server({"REDIS_URL": settings.REDIS_URL})

    async def scenario() -> tuple[int, int | None, int]:
        socket = await open_socket(server, cookie)
        signed_out = await asyncio.to_thread(sign_out_over_http, server, cookie)
        try:
            await asyncio.wait_for(socket.recv(), timeout=10)
            close_code = None
        except ConnectionClosed as closed:
            close_code = closed.rcvd.code if closed.rcvd else None
        try:
            await open_socket(server, cookie)
            reopened = 101
        except InvalidStatus as refused:
            reopened = refused.response.status_code
        return signed_out, close_code, reopened

    signed_out, close_code, reopened = asyncio.run(scenario())
    assert signed_out == 302  # the logout page answered by redirecting, as after a real sign-out
    assert close_code == CLOSE_UNAUTHENTICATED
    assert reopened == 403
