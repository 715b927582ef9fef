"""Shared by the sync benchmarks: a clean slate, deterministic input files, a real worker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
BENCH_VAR = REPO / "var" / "bench" / "sync"


def reset_tables() -> None:
    """Empty what a sync writes (the benchmark database only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE orders_orderline, orders_order, customers_customeridentity, "
            "customers_customer, sync_run, sync_cursor, sync_processedfile, sync_lease, "
            "sync_quarantinedrecord, sync_uncertainmatch RESTART IDENTITY CASCADE"
        )
        cursor.execute("VACUUM ANALYZE")  # fresh statistics, as after any big delete


def fresh_sync_root(name: str) -> Path:
    """An empty SYNC_ROOT for this benchmark and this database, set in the settings.

    One per database: two runs from one checkout against two databases (a small run beside a
    full one) otherwise empty each other's root and feed each other's inbox: a full run's
    worker once imported the small run's orders file.
    """
    root = BENCH_VAR / name / connection.settings_dict["NAME"]
    shutil.rmtree(root, ignore_errors=True)
    settings.SYNC_ROOT = root
    return root


def start_worker(queue: str, log: Path, **environment: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REDIS_URL": settings.REDIS_URL,
        "SYNC_ROOT": str(settings.SYNC_ROOT),
        **environment,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clienteling",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def unique_queue(name: str) -> str:
    return f"bench-{name}-{uuid.uuid4().hex[:8]}"


def wait_until(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise TimeoutError(f"not done within {timeout} s")
