from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import TEST_PASSWORD, StoreAssignmentFactory

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache, so rate limits and cached pages never leak."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _sentiment_model_asked_again() -> None:
    """Each process remembers which sentiment model is in use for a few seconds; a test must
    not inherit a learned model from the one before, whose rows were rolled back."""
    from frontline.sentiment.selectors import model_in_use_forget

    model_in_use_forget()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Production hashing is deliberately slow; tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["tests.hashers.FastPBKDF2PasswordHasher"]


@pytest.fixture
def associate(db):
    return StoreAssignmentFactory(role="associate").user


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait until the server accepts connections (it may still answer slowly, or with errors)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open within {timeout} s")


def database_url_for_subprocesses() -> dict[str, str]:
    """DATABASE_URL of the test database, for server processes started by a test.

    On SQLite the test database lives in memory and cannot be shared, so those processes use
    their own file: tests that need shared data run on PostgreSQL.
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return {}
    user = database.get("USER") or "postgres"
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return {"DATABASE_URL": f"postgres://{user}@{host}:{port}/{database['NAME']}"}


@pytest.fixture
def start_asgi_server(tmp_path: Path, django_db_setup: None) -> Iterator[object]:
    """Start Frontline under the production ASGI server (uvicorn) with the given environment.

    Returns the base URL. The server is a real separate process, so what it does is what a
    deployment would do with the same environment.
    """
    processes: list[subprocess.Popen[bytes]] = []

    def start(environment: dict[str, str]) -> str:
        port = free_port()
        log = (tmp_path / f"uvicorn-{port}.log").open("wb")
        env = {**os.environ, **database_url_for_subprocesses(), **environment}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "clienteling.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        base_url = f"http://127.0.0.1:{port}"
        wait_for_port(port, process)
        return base_url

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def tasks_run() -> Iterator[list[str]]:
    """Run queued Celery tasks in this process (the real task code, no broker) and list the
    name of each task that ran, in order."""
    from celery.signals import task_prerun

    from clienteling.celery import app as celery_app

    names: list[str] = []

    def record(sender: object = None, **_: object) -> None:
        names.append(getattr(sender, "name", ""))

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    task_prerun.connect(record, weak=False)
    yield names
    task_prerun.disconnect(record)
    celery_app.conf.task_always_eager = previous


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    for candidate in (configured, "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the embedded Redis if this test run is the one that started it."""
    from clienteling import embedded_redis

    if embedded_redis.started_here:
        embedded_redis.stop(settings.VAR_DIR / "redis")
