"""A real Celery worker process consumes tasks from the configured Redis broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

from django.core.cache import cache

from frontline.core.tasks import WORKER_HEARTBEAT_KEY, record_worker_heartbeat_task
from tests.conftest import REPO, database_url_for_subprocesses


def test_a_real_worker_runs_the_heartbeat_and_healthz_reports_it(client, db, tmp_path):
    # A queue of its own: tasks that other tests queued (and no worker ran) must not stand in
    # front of the heartbeat.
    queue = f"test-heartbeat-{uuid.uuid4().hex[:8]}"
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "clienteling", "worker", "-Q", queue,
         "--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, **database_url_for_subprocesses()},
    )  # fmt: skip
    try:
        record_worker_heartbeat_task.apply_async(queue=queue)
        # A worker starting on a loaded machine once took more than 30 s to import and connect.
        deadline = time.monotonic() + 120
        while cache.get(WORKER_HEARTBEAT_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cache.get(WORKER_HEARTBEAT_KEY) is not None, (tmp_path / "worker.log").read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    worker_status = client.get("/healthz/").json()["worker"]
    assert worker_status["seconds_ago"] is not None
    assert worker_status["seconds_ago"] < 60


def test_healthz_says_plainly_when_no_worker_has_run(client, db):
    assert client.get("/healthz/").json()["worker"] == {"last_heartbeat": None, "seconds_ago": None}
