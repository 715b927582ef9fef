"""Notification fan-out: one event to every staff member of a store, each on their own socket.

``--scale full``: 1,000 concurrent websocket clients (real ``websockets`` clients, each signed in
with a real session cookie) on one real uvicorn server process; ``--scale small``: 50. For each
round a store-wide notification is raised in a transaction; the time from its commit to its
arrival at every client gives p50/p95/p99, and every copy that never arrives counts as lost.
The server's memory growth per open connection is measured as well, and so is, in the same run,
a bare channels-redis ``group_send`` round trip (one channel) and a bare fan-out to as many
channels as there are clients, so the figures can be read against what the channel layer
itself costs on this machine.

Clients and sender share one process, so commit and arrival are stamped on one clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psutil

from tests.bench.harness import BENCH_DIR, Report, latency_summary

SCALES = {"small": {"clients": 50, "rounds": 10}, "full": {"clients": 1000, "rounds": 20}}
USERNAME_PREFIX = "bench-fanout-"
STORE_CODE = "bench-fanout"
CONNECT_BATCH = 50
DELIVERY_TIMEOUT_SECONDS = 10.0
PAUSE_BETWEEN_ROUNDS_SECONDS = 0.3
BASELINE_ROUND_TRIPS = 200
REPO = Path(__file__).resolve().parents[2]


def run(options: Any) -> Report:
    scale = SCALES[options.scale]
    clients, rounds = scale["clients"], scale["rounds"]
    _raise_open_file_limit(clients * 2 + 256)
    store, cookies, session_keys = _prepare_staff(clients)
    port = _free_port()
    server = _start_server(port)
    try:
        measured = asyncio.run(_measure(f"http://127.0.0.1:{port}", cookies, rounds, store, server))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        _clean_up(session_keys)
    baseline = asyncio.run(_bare_channel_layer(clients, rounds))
    return Report(
        name="notification_fanout",
        params={
            "clients": clients,
            "rounds": rounds,
            "server": "1 uvicorn process",
            "channel_layer": _channel_layer_backend(),
            "audience": "one store's whole staff (one group_send to store-<id>)",
        },
        results=measured,
        baseline=baseline,
        budget={"p99_ms": {"max": 50}, "lost_messages": {"max": 0}},
        notes=(
            "Latency is from the sender's commit to each client's receipt of the frame. "
            "Clients, sender and server share the machine's 2 cores."
        ),
    )


# --- set-up --------------------------------------------------------------------------------


def _raise_open_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def _prepare_staff(count: int) -> tuple[Any, list[str], list[str]]:
    """A store with ``count`` associates, each signed in (a real session, as after login)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore

    from frontline.notifications.models import Notification
    from frontline.staff.models import StaffRole, Store, StoreAssignment, User

    store, _ = Store.objects.get_or_create(code=STORE_CODE, defaults={"name": "Benchmark store"})
    Notification.objects.filter(store=store).delete()
    User.objects.filter(username__startswith=USERNAME_PREFIX).delete()
    users = []
    for number in range(count):
        user = User(username=f"{USERNAME_PREFIX}{number:05d}")
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    users = list(User.objects.filter(username__startswith=USERNAME_PREFIX).order_by("pk"))
    StoreAssignment.objects.bulk_create(
        StoreAssignment(user=user, store=store, role=StaffRole.ASSOCIATE, is_primary=True)
        for user in users
    )
    cookies = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(session.session_key)
    return store, cookies, list(cookies)


def _clean_up(session_keys: list[str]) -> None:
    from django.contrib.sessions.models import Session

    from frontline.notifications.models import Notification
    from frontline.staff.models import User

    Session.objects.filter(session_key__in=session_keys).delete()
    Notification.objects.filter(store__code=STORE_CODE).delete()
    User.objects.filter(username__startswith=USERNAME_PREFIX).delete()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(port: int) -> subprocess.Popen[bytes]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    log = (BENCH_DIR / "notification_fanout.server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "clienteling.asgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        cwd=REPO, env={**os.environ}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    _wait_for_port(port, process)
    return process


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the benchmark server exited; see var/bench/*.server.log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"the benchmark server did not listen on {port}")


# --- the measurement -----------------------------------------------------------------------


async def _open_client(base_url: str, cookie: str) -> Any:
    from django.conf import settings
    from websockets.asyncio.client import connect

    socket = await connect(
        base_url.replace("http://", "ws://") + "/ws/notifications/",
        additional_headers={
            "Origin": base_url,
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
        },
        ping_interval=None,
        open_timeout=60,
    )
    # Caught up means the server has joined this socket to its groups.
    await socket.send(json.dumps({"type": "catch_up", "after": 0}))
    reply = json.loads(await asyncio.wait_for(socket.recv(), timeout=60))
    if reply.get("type") != "catch_up":
        raise RuntimeError(f"unexpected first message {reply!r}")
    return socket


async def _read(socket: Any, arrivals: dict[int, list[float]]) -> None:
    async for frame in socket:
        arrived = time.monotonic()
        message = json.loads(frame)
        if message.get("type") == "notification":
            arrivals[message["notification"]["id"]].append(arrived)


def _raise_store_notification(store: Any, round_number: int) -> tuple[float, int]:
    from django.db import connection, transaction

    from frontline.notifications.audiences import to_store_staff
    from frontline.notifications.services import notification_create

    committed: dict[str, float] = {}
    try:
        with transaction.atomic():
            # Registered first, so it runs first after the commit: the commit's moment.
            transaction.on_commit(lambda: committed.setdefault("at", time.monotonic()))
            notification = notification_create(
                kind="customer.checked_in",
                recipients=to_store_staff(store),
                title=f"Benchmark customer {round_number} checked in",
                store=store,
            )
    finally:
        connection.close()
    assert notification is not None
    return committed["at"], notification.pk


async def _measure(
    base_url: str, cookies: list[str], rounds: int, store: Any, server: subprocess.Popen[bytes]
) -> dict[str, float]:
    server_process = psutil.Process(server.pid)
    # Load every code path once before taking the memory baseline.
    warm_up = await _open_client(base_url, cookies[0])
    await warm_up.close()
    await asyncio.sleep(0.5)
    memory_before = server_process.memory_info().rss

    started = time.monotonic()
    sockets: list[Any] = []
    for batch in _batches(cookies, CONNECT_BATCH):
        sockets += await asyncio.gather(*(_open_client(base_url, cookie) for cookie in batch))
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(0.5)
    memory_after = server_process.memory_info().rss

    arrivals: dict[int, list[float]] = defaultdict(list)
    readers = [asyncio.create_task(_read(socket, arrivals)) for socket in sockets]
    latencies_ms: list[float] = []
    lost = 0
    for round_number in range(rounds):
        committed_at, notification_id = await asyncio.to_thread(
            _raise_store_notification, store, round_number
        )
        deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
        while len(arrivals[notification_id]) < len(sockets) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        times = arrivals.pop(notification_id, [])
        latencies_ms += [(arrived - committed_at) * 1000 for arrived in times]
        lost += len(sockets) - len(times)
        await asyncio.sleep(PAUSE_BETWEEN_ROUNDS_SECONDS)

    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    return {
        **latency_summary(latencies_ms or [float("nan")]),
        "max_ms": round(max(latencies_ms), 3) if latencies_ms else float("nan"),
        "lost_messages": lost,
        "deliveries": len(latencies_ms),
        "connect_seconds": round(connect_seconds, 2),
        "memory_per_connection_kb": round((memory_after - memory_before) / len(sockets) / 1024, 1),
        "server_rss_mb": round(memory_after / 2**20, 1),
    }


async def _bare_channel_layer(fanout: int, rounds: int) -> dict[str, Any]:
    """The channel layer alone, in this process: a one-channel round trip and an N fan-out."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("bench-baseline", channel)
    round_trips = []
    for _ in range(BASELINE_ROUND_TRIPS):
        started = time.perf_counter()
        await layer.group_send("bench-baseline", {"type": "bench.ping"})
        await layer.receive(channel)
        round_trips.append((time.perf_counter() - started) * 1000)
    await layer.group_discard("bench-baseline", channel)

    channels = [await layer.new_channel() for _ in range(fanout)]
    for member in channels:
        await layer.group_add("bench-baseline-fanout", member)
    fanouts = []
    for _ in range(rounds):
        started = time.perf_counter()
        await layer.group_send("bench-baseline-fanout", {"type": "bench.ping"})
        await asyncio.gather(*(layer.receive(member) for member in channels))
        fanouts.append((time.perf_counter() - started) * 1000)
    for member in channels:
        await layer.group_discard("bench-baseline-fanout", member)
    round_trip = latency_summary(round_trips)
    fanout_summary = latency_summary(fanouts)
    return {
        "label": "bare channels-redis group_send, same run",
        "p50_ms": round_trip["p50_ms"],
        "p99_ms": round_trip["p99_ms"],
        f"fanout_{fanout}_channels_p50_ms": fanout_summary["p50_ms"],
        f"fanout_{fanout}_channels_p99_ms": fanout_summary["p99_ms"],
    }


def _channel_layer_backend() -> str:
    from django.conf import settings

    return settings.CHANNEL_LAYERS["default"]["BACKEND"]


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
