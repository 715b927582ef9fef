"""Notification fan-out: 1,000 staff tablets online, each on its own websocket.

The shape of the load is a retailer's: ``--scale full`` signs in 1,000 associates, 40 at each
of 25 stores, each with one real ``websockets`` client (a real session cookie, the real
handshake through origin check and session auth) on a real uvicorn server started with
``make run``'s command (websocket compression off), with two worker processes as production
would run it on this 2-core machine. Notifications are
then raised at random (Poisson) moments, 10 a second on average for 60 seconds, each in its
own transaction: four in five to one staff member (a follow-up assigned, a hold expiring), one
in five to one store's whole staff (a customer checked in). That is the measured figure and
the one the budget is for.

The worst case is measured in the same run and reported next to it (``broadcast_all_*``): one
notification to all 1,000 sockets at once through one ``store-<id>`` group (every associate
also works at a brand-wide store for this), 20 rounds, each waited for before the next.

Latency is from ``time.time()`` in an ``on_commit`` hook of the producing process, registered
before the notification's own hooks (so, the commit's moment), to ``time.time()`` when the
frame arrives at a client; a copy that never arrives counts as lost. Clients run in two
processes of their own, so one Python process reading 1,000 sockets is not what is measured;
all processes share the machine's one clock and its two cores (the server's workers, the
clients, the producer, PostgreSQL and Redis).

Also measured: the server's memory growth per open connection, and, in the same run, a bare
channels-redis ``group_send`` (a round trip to one channel, a fan-out to one store's worth of
channels, and to all 1,000), so the figures can be read against what the channel layer itself
costs on this machine.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import resource
import subprocess
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil

from tests.bench.datasets import OwnData
from tests.bench.harness import BENCH_DIR, Report, latency_summary

DATA = OwnData("its own: stores and signed-in staff of its own, removed afterwards")

SCALES = {
    "small": {"stores": 5, "staff_per_store": 10, "seconds": 10, "broadcast_rounds": 5},
    "full": {"stores": 25, "staff_per_store": 40, "seconds": 60, "broadcast_rounds": 20},
}
EVENTS_PER_SECOND = 10.0
PERSONAL_SHARE = 0.8
SEED = 6
SERVER_WORKERS = 2
CLIENT_PROCESSES = 2
USERNAME_PREFIX = "bench-fanout-"
STORE_CODE_PREFIX = "bench-fanout-"
BRAND_STORE_CODE = "bench-fanout-all"
CONNECT_BATCH = 50
DELIVERY_TIMEOUT_SECONDS = 10.0
PAUSE_BETWEEN_BROADCASTS_SECONDS = 0.3
BASELINE_ROUND_TRIPS = 200
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Staff:
    """The signed-in associates, each at one store, and the brand-wide store they all share."""

    stores: list[Any]
    brand_store: Any
    users_by_store: dict[int, list[Any]]
    cookies: list[str]


@dataclass(frozen=True)
class Raised:
    committed_at: float
    expected: int
    audience: str  # "person", "store" or "everyone"


def run(options: Any) -> Report:
    scale = SCALES[options.scale]
    clients = scale["stores"] * scale["staff_per_store"]
    _raise_open_file_limit(clients * 2 + 256)
    staff = _prepare_staff(scale["stores"], scale["staff_per_store"])
    port = _free_port()
    server = _start_server(port)
    try:
        measured = _measure(f"http://127.0.0.1:{port}", staff, scale, server)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        _clean_up(staff.cookies)
    baseline = asyncio.run(
        _bare_channel_layer(clients, scale["staff_per_store"], scale["broadcast_rounds"])
    )
    return Report(
        name="notification_fanout",
        params={
            "clients": clients,
            "stores": scale["stores"],
            "staff_per_store": scale["staff_per_store"],
            "load": (
                f"Poisson, {EVENTS_PER_SECOND:g} notifications/s for {scale['seconds']} s, "
                f"{PERSONAL_SHARE:.0%} to one staff member, {1 - PERSONAL_SHARE:.0%} to one "
                f"store's whole staff ({scale['staff_per_store']} sockets)"
            ),
            "worst_case": (
                f"{scale['broadcast_rounds']} rounds of one notification to all {clients} "
                "sockets (one group_send to one store-<id> group), each waited for"
            ),
            "server": (
                f"make run's uvicorn command (websocket compression off) with --workers "
                f"{SERVER_WORKERS}, as production would run it on 2 cores"
            ),
            "client_processes": CLIENT_PROCESSES,
            "channel_layer": _channel_layer_backend(),
        },
        results=measured,
        baseline=baseline,
        budget={"p99_ms": {"max": 50}, "lost_messages": {"max": 0}},
        notes=(
            "Latency is from time.time() at the producer's commit (an on_commit hook) to "
            "time.time() at each client's receipt of the frame. Server workers, client "
            "processes, producer, PostgreSQL and Redis share the machine's 2 cores. "
            "lost_messages counts both the retail load and the broadcasts."
        ),
    )


# --- set-up --------------------------------------------------------------------------------


def _raise_open_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def _prepare_staff(store_count: int, staff_per_store: int) -> Staff:
    """Stores of associates, each signed in (a real session, as after login)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore

    from frontline.notifications.models import Notification
    from frontline.staff.models import StaffRole, Store, StoreAssignment, User

    Notification.objects.filter(store__code__startswith=STORE_CODE_PREFIX).delete()
    User.objects.filter(username__startswith=USERNAME_PREFIX).delete()
    stores = [
        Store.objects.get_or_create(
            code=f"{STORE_CODE_PREFIX}{number:02d}", defaults={"name": f"Benchmark {number}"}
        )[0]
        for number in range(store_count)
    ]
    brand_store, _ = Store.objects.get_or_create(
        code=BRAND_STORE_CODE, defaults={"name": "Benchmark brand-wide"}
    )
    users = []
    for number in range(store_count * staff_per_store):
        user = User(username=f"{USERNAME_PREFIX}{number:05d}")
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)
    users = list(User.objects.filter(username__startswith=USERNAME_PREFIX).order_by("pk"))
    users_by_store = {
        store.pk: users[index * staff_per_store : (index + 1) * staff_per_store]
        for index, store in enumerate(stores)
    }
    StoreAssignment.objects.bulk_create(
        StoreAssignment(user=user, store=store, role=StaffRole.ASSOCIATE, is_primary=True)
        for store in stores
        for user in users_by_store[store.pk]
    )
    StoreAssignment.objects.bulk_create(
        StoreAssignment(user=user, store=brand_store, role=StaffRole.ASSOCIATE) for user in users
    )
    cookies = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(session.session_key)
    return Staff(stores, brand_store, users_by_store, cookies)


def _clean_up(session_keys: list[str]) -> None:
    from django.contrib.sessions.models import Session

    from frontline.notifications.models import Notification
    from frontline.staff.models import User

    Session.objects.filter(session_key__in=session_keys).delete()
    Notification.objects.filter(store__code__startswith=STORE_CODE_PREFIX).delete()
    User.objects.filter(username__startswith=USERNAME_PREFIX).delete()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(port: int) -> subprocess.Popen[bytes]:
    """The web server exactly as ``make run`` starts it, with a worker process per core."""
    from frontline.core.management.commands.runstack import stack_processes

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    log = (BENCH_DIR / "notification_fanout.server.log").open("wb")
    command = stack_processes("127.0.0.1", port)["web"] + ["--workers", str(SERVER_WORKERS)]
    process = subprocess.Popen(
        command, cwd=REPO, env={**os.environ}, stdout=log, stderr=subprocess.STDOUT
    )
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


# --- the clients (each group in a process of its own) --------------------------------------


def _client_process(base_url: str, cookie_name: str, cookies: list[str], pipe: Connection) -> None:
    """Open one socket per cookie, then note every notification's arrival until told to stop.

    Commands over the pipe: "count" (how many frames so far), "stop" (close, send arrivals).
    """
    asyncio.run(_clients(base_url, cookie_name, cookies, pipe))


async def _clients(base_url: str, cookie_name: str, cookies: list[str], pipe: Connection) -> None:
    sockets: list[Any] = []
    for batch in _batches(cookies, CONNECT_BATCH):
        sockets += await asyncio.gather(
            *(_open_client(base_url, cookie_name, cookie) for cookie in batch)
        )
    arrivals: list[tuple[int, float]] = []
    readers = [asyncio.create_task(_read(socket, arrivals)) for socket in sockets]
    pipe.send("connected")
    while (command := await asyncio.to_thread(pipe.recv)) != "stop":
        pipe.send(len(arrivals))
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    pipe.send(arrivals)
    assert command == "stop"


async def _open_client(base_url: str, cookie_name: str, cookie: str) -> Any:
    from websockets.asyncio.client import connect

    socket = await connect(
        base_url.replace("http://", "ws://") + "/ws/notifications/",
        additional_headers={"Origin": base_url, "Cookie": f"{cookie_name}={cookie}"},
        ping_interval=None,
        open_timeout=60,
    )
    # Caught up means the server has joined this socket to its groups.
    await socket.send(json.dumps({"type": "catch_up", "after": 0}))
    reply = json.loads(await asyncio.wait_for(socket.recv(), timeout=60))
    if reply.get("type") != "catch_up":
        raise RuntimeError(f"unexpected first message {reply!r}")
    return socket


async def _read(socket: Any, arrivals: list[tuple[int, float]]) -> None:
    async for frame in socket:
        arrived = time.time()
        message = json.loads(frame)
        if message.get("type") == "notification":
            arrivals.append((message["notification"]["id"], arrived))


class ClientFleet:
    """The client processes, from the producer's side."""

    def __init__(self, base_url: str, cookies: list[str]) -> None:
        from django.conf import settings

        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        share = -(-len(cookies) // CLIENT_PROCESSES)
        for part in _batches(cookies, share):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_client_process,
                args=(base_url, settings.SESSION_COOKIE_NAME, part, theirs),
                daemon=True,
            )
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)

    def wait_connected(self) -> None:
        for pipe in self.pipes:
            if not pipe.poll(300) or pipe.recv() != "connected":
                raise RuntimeError("a client process did not connect its sockets")

    def frames_received(self) -> int:
        for pipe in self.pipes:
            pipe.send("count")
        return sum(pipe.recv() for pipe in self.pipes)

    def wait_for(self, frames: int) -> None:
        deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
        while self.frames_received() < frames and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> list[tuple[int, float]]:
        for pipe in self.pipes:
            pipe.send("stop")
        arrivals = [arrival for pipe in self.pipes for arrival in pipe.recv()]
        for process in self.processes:
            process.join(timeout=30)
        return arrivals

    def kill(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()


# --- the producer --------------------------------------------------------------------------


def _raise(kind: str, recipients: Any, title: str, store: Any) -> tuple[int, float]:
    from django.db import transaction

    from frontline.notifications.services import notification_create

    committed: dict[str, float] = {}
    with transaction.atomic():
        # Registered first, so it runs first after the commit: the commit's moment.
        transaction.on_commit(lambda: committed.setdefault("at", time.time()))
        notification = notification_create(
            kind=kind, recipients=recipients, title=title, store=store
        )
    assert notification is not None
    return notification.pk, committed["at"]


def _retail_load(staff: Staff, seconds: int) -> dict[int, Raised]:
    """Notifications at Poisson moments: most to one person, some to one store's staff."""
    from frontline.notifications.audiences import to_staff, to_store_staff

    chance = random.Random(SEED)
    raised: dict[int, Raised] = {}
    started = time.monotonic()
    due = 0.0
    number = 0
    while True:
        due += chance.expovariate(EVENTS_PER_SECOND)
        if due > seconds:
            return raised
        store = chance.choice(staff.stores)
        if chance.random() < PERSONAL_SHARE:
            person = chance.choice(staff.users_by_store[store.pk])
            kind, recipients, audience = "followup.assigned", to_staff(person), "person"
        else:
            kind, recipients, audience = "customer.checked_in", to_store_staff(store), "store"
        time.sleep(max(0.0, started + due - time.monotonic()))
        number += 1
        pk, committed_at = _raise(kind, recipients, f"Benchmark event {number}", store)
        raised[pk] = Raised(committed_at, len(recipients.user_ids), audience)


def _broadcasts(staff: Staff, fleet: ClientFleet, rounds: int, clients: int) -> dict[int, Raised]:
    from frontline.notifications.audiences import to_store_staff

    raised: dict[int, Raised] = {}
    already = fleet.frames_received()
    for number in range(rounds):
        recipients = to_store_staff(staff.brand_store)
        pk, committed_at = _raise(
            "customer.checked_in", recipients, f"Benchmark broadcast {number}", staff.brand_store
        )
        raised[pk] = Raised(committed_at, clients, "everyone")
        already += clients
        fleet.wait_for(already)
        time.sleep(PAUSE_BETWEEN_BROADCASTS_SECONDS)
    return raised


# --- the measurement -----------------------------------------------------------------------


def _measure(
    base_url: str, staff: Staff, scale: dict[str, int], server: subprocess.Popen[bytes]
) -> dict[str, float]:
    clients = len(staff.cookies)
    # Every code path loaded in both workers before the memory baseline is taken.
    warm_up = ClientFleet(base_url, staff.cookies[:20])
    warm_up.wait_connected()
    warm_up.stop()
    time.sleep(0.5)
    memory_before = _workers_rss(server)

    started = time.monotonic()
    fleet = ClientFleet(base_url, staff.cookies)
    try:
        fleet.wait_connected()
        connect_seconds = time.monotonic() - started
        time.sleep(0.5)
        memory_after = _workers_rss(server)
        sockets_per_worker = _sockets_per_worker(server, int(base_url.rsplit(":", 1)[1]))

        retail = _retail_load(staff, scale["seconds"])
        fleet.wait_for(sum(event.expected for event in retail.values()))
        broadcasts = _broadcasts(staff, fleet, scale["broadcast_rounds"], clients)
        arrivals = fleet.stop()
    finally:
        fleet.kill()

    retail_ms, retail_lost = _latencies(retail, arrivals)
    broadcast_ms, broadcast_lost = _latencies(broadcasts, arrivals)
    broadcast = latency_summary(broadcast_ms or [float("nan")])
    by_audience = {
        audience: latency_summary(
            _latencies({pk: e for pk, e in retail.items() if e.audience == audience}, arrivals)[0]
            or [float("nan")]
        )
        for audience in ("person", "store")
    }
    return {
        **latency_summary(retail_ms or [float("nan")]),
        "max_ms": round(max(retail_ms), 3) if retail_ms else float("nan"),
        "to_one_person_p99_ms": by_audience["person"]["p99_ms"],
        "to_one_store_p99_ms": by_audience["store"]["p99_ms"],
        "lost_messages": retail_lost + broadcast_lost,
        "notifications": len(retail),
        "deliveries": len(retail_ms),
        "broadcast_all_p50_ms": broadcast["p50_ms"],
        "broadcast_all_p99_ms": broadcast["p99_ms"],
        "broadcast_all_max_ms": round(max(broadcast_ms), 3) if broadcast_ms else float("nan"),
        "broadcast_all_deliveries": len(broadcast_ms),
        "broadcast_all_lost_messages": broadcast_lost,
        "connect_seconds": round(connect_seconds, 2),
        "memory_per_connection_kb": round((memory_after - memory_before) / clients / 1024, 1),
        "server_rss_mb": round(memory_after / 2**20, 1),
        "sockets_per_worker_min": min(sockets_per_worker, default=0),
        "sockets_per_worker_max": max(sockets_per_worker, default=0),
    }


def _latencies(raised: dict[int, Raised], arrivals: list[tuple[int, float]]) -> tuple[list, int]:
    latencies_ms = [
        (arrived - raised[pk].committed_at) * 1000 for pk, arrived in arrivals if pk in raised
    ]
    received = Counter(pk for pk, _ in arrivals if pk in raised)
    lost = sum(max(0, event.expected - received[pk]) for pk, event in raised.items())
    return latencies_ms, lost


def _workers(server: subprocess.Popen[bytes]) -> list[psutil.Process]:
    # uvicorn's parent process only supervises (next to multiprocessing's resource tracker);
    # the workers, started with multiprocessing's spawn, hold the sockets.
    return [
        child
        for child in psutil.Process(server.pid).children()
        if "spawn_main" in " ".join(child.cmdline())
    ]


def _workers_rss(server: subprocess.Popen[bytes]) -> int:
    return sum(worker.memory_info().rss for worker in _workers(server))


def _sockets_per_worker(server: subprocess.Popen[bytes], port: int) -> list[int]:
    """How the kernel spread the clients' connections over the workers."""
    return [
        sum(
            1
            for connection in worker.net_connections("tcp")
            if connection.status == "ESTABLISHED" and connection.laddr.port == port
        )
        for worker in _workers(server)
    ]


async def _bare_channel_layer(fanout: int, store_size: int, rounds: int) -> dict[str, Any]:
    """The channel layer alone, in this process: one channel, one store, and everyone."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    one = await _bare_fanout(layer, 1, BASELINE_ROUND_TRIPS)
    store = await _bare_fanout(layer, store_size, BASELINE_ROUND_TRIPS)
    everyone = await _bare_fanout(layer, fanout, rounds)
    return {
        "label": "bare channels-redis group_send, same run, same process",
        "p50_ms": one["p50_ms"],
        "p99_ms": one["p99_ms"],
        f"fanout_{store_size}_channels_p50_ms": store["p50_ms"],
        f"fanout_{store_size}_channels_p99_ms": store["p99_ms"],
        f"fanout_{fanout}_channels_p50_ms": everyone["p50_ms"],
        f"fanout_{fanout}_channels_p99_ms": everyone["p99_ms"],
    }


async def _bare_fanout(layer: Any, members: int, rounds: int) -> dict[str, float]:
    group = f"bench-baseline-{members}"
    channels = [await layer.new_channel() for _ in range(members)]
    for channel in channels:
        await layer.group_add(group, channel)
    await _until_subscribed(layer)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await layer.group_send(group, {"type": "bench.ping"})
        await asyncio.gather(*(layer.receive(channel) for channel in channels))
        samples.append((time.perf_counter() - started) * 1000)
    for channel in channels:
        await layer.group_discard(group, channel)
    return latency_summary(samples)


async def _until_subscribed(layer: Any) -> None:
    """Wait until Redis has acted on the subscriptions sent so far.

    The pub/sub layer returns from ``group_add`` once SUBSCRIBE is sent, not once Redis has
    processed it, so a message published at once can find nobody listening (the measurement
    then waits forever). Redis handles one connection's commands in order: when a channel
    subscribed after the others hears a message, they are all live.
    """
    sentinel = await layer.new_channel()
    heard = asyncio.ensure_future(layer.receive(sentinel))
    while not heard.done():
        await layer.send(sentinel, {"type": "bench.ping"})
        await asyncio.wait({heard}, timeout=0.2)


def _channel_layer_backend() -> str:
    from django.conf import settings

    return settings.CHANNEL_LAYERS["default"]["BACKEND"]


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
