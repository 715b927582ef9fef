"""A Shopify customers listing killed half way by SIGKILL and resumed by a new worker.

The stand-in shop (tests/bench/shop_standin.py) holds the customers (1M at full scale) and lists
them 250 a page, by id, with opaque ``page_info`` links, metered as a Shopify Plus shop (a
bucket of 400 requests leaking 20 a second, as Shopify documents its REST Admin API limits; the
source is told the same leak).
A real Celery worker process lists them into empty tables and is killed with SIGKILL once half
of the pages have landed (watched on its Run row); a new worker then runs the listing again,
which resumes from the page link the cursor kept. In the same bench run, the same listing runs
uninterrupted into freshly emptied tables: the baseline.

- ``seconds``: the interrupted run (from its start to the kill, work thrown away included) plus
  the resumed run (start to finish). Neither counts the wait for a worker to start, nor the
  lease the killed worker left: the bench expires it, as ``SYNC_LEASE_SECONDS`` would later.
- ``uninterrupted_seconds``, ``ratio``: the baseline run, start to finish, and seconds over it.
- ``worker_cpu_seconds``, ``uninterrupted_worker_cpu_seconds``, ``cpu_ratio``: the workers' own
  CPU time over the same spans. On a shared machine the wall times move with everyone else's
  load; the CPU time hardly does, so its ratio shows what the interruption itself costs.
- ``lost``, ``doubled``, ``mismatched``: the customers and identity tables against the shop's
  records (copied into a temporary table): a record with no identity or customer, a row more
  than one per record (or of no record), a customer whose e-mail or name is not the record's.

The interrupted run goes first and the baseline last, so that a warmer database favours the
baseline, never the ratio; ``BENCH_RESUME_BASELINE_FIRST=1`` swaps them (two runs in the two
orders bracket what the machine's load did to the ratio). The shop's records are generated on
demand from their position (``ShopCustomers``: deterministic, as the other sync benches' files
are), so that the bench process stays small.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psutil
from django.db import connection
from django.utils import timezone
from pytest_httpserver import HTTPServer

from frontline.sync.models import Cursor, Lease, QuarantinedRecord, Run, Source
from frontline.sync.tasks import run_sync_task
from tests.bench.datasets import OwnData
from tests.bench.harness import Report, peak_rss_mb
from tests.bench.shop_standin import (
    PLUS_LEAK_PER_SECOND,
    PLUS_PLAN,
    BenchShop,
    ShopCustomers,
    UnloggedHTTPServer,
    plus_shop,
)
from tests.bench.sync_support import (
    BENCH_VAR,
    fresh_sync_root,
    reset_tables,
    start_worker,
    unique_queue,
    wait_until,
)
from tests.sync.standins import ShopifyStandIn

DATA = OwnData("its own: it empties what a sync writes and lists customers from its stand-in")

SCALES = {"full": 1_000_000, "small": 20_000}
PAGE_LIMIT = 250  # the connector's, and Shopify's largest page
SOURCE_NAME = "bench-shop-resume"
TOKEN_ENV = "BENCH_RESUME_SHOP"  # the worker reads BENCH_RESUME_SHOP_TOKEN
RUN_TIMEOUT = {"full": 3 * 3600, "small": 600}
# Each phase's figures as soon as it is done: a full run takes long, and what was measured
# before an interruption should not be lost with it.
PROGRESS = BENCH_VAR / "sync-resume-progress.json"


@dataclass
class Phase:
    """What one worker did: its run, how long it counted, the worker's CPU and peak memory.

    ``worker_cpu_seconds`` is the worker's own CPU time from its run's start (its start-up is
    not the run's): unlike wall time, it hardly depends on what else the machine is running.
    """

    run: Run
    seconds: float
    worker_cpu_seconds: float
    worker_peak_rss_mb: float


def cpu_seconds(worker: subprocess.Popen[bytes]) -> float:
    times = psutil.Process(worker.pid).cpu_times()
    return times.user + times.system


def cpu_when_run_starts(
    source: Source, worker: subprocess.Popen[bytes], earlier: set[int], timeout: float
) -> float:
    """The worker's CPU seconds as soon as a run of the source other than ``earlier`` begins."""
    deadline = time.monotonic() + timeout
    while not Run.objects.filter(source=source).exclude(pk__in=earlier).exists():
        if time.monotonic() > deadline or worker.poll() is not None:
            raise TimeoutError("the worker did not start the run")
        time.sleep(0.02)
    return cpu_seconds(worker)


def fresh_source(shop: ShopifyStandIn) -> Source:
    """Empty tables and a new source (no cursor): the listing starts from nothing."""
    reset_tables()
    Source.objects.filter(name=SOURCE_NAME).delete()
    return Source.objects.create(
        name=SOURCE_NAME,
        kind="shopify",
        record_source="ecommerce",
        base_url=shop.base_url,
        credentials_env=TOKEN_ENV,
        options={"api_leak_per_second": PLUS_LEAK_PER_SECOND},
    )


def worker_for(queue: str, label: str) -> subprocess.Popen[bytes]:
    return start_worker(queue, BENCH_VAR / f"worker-resume-{label}.log")


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        worker.wait(timeout=60)


def finished_run(source: Source, timeout: float) -> Run:
    """The source's run once it has finished (the only one that is not marked failed by us)."""

    def finished() -> bool:
        return (
            Run.objects.filter(source=source, status__in=[Run.Status.SUCCEEDED, Run.Status.FAILED])
            .exclude(error="worker lost")
            .exists()
        )

    wait_until(finished, timeout=timeout)
    run = (
        Run.objects.filter(source=source)
        .exclude(error="worker lost")
        .order_by("-started_at")
        .first()
    )
    assert run is not None
    if run.status != Run.Status.SUCCEEDED:
        raise RuntimeError(f"run {run.pk} failed: {run.error}")
    return run


def run_seconds(run: Run) -> float:
    assert run.finished_at is not None
    return (run.finished_at - run.started_at).total_seconds()


def uninterrupted(shop: ShopifyStandIn, timeout: float) -> Phase:
    source = fresh_source(shop)
    queue = unique_queue("sync-resume-baseline")
    worker = worker_for(queue, "baseline")
    try:
        run_sync_task.apply_async((source.pk, "customers"), queue=queue)
        started_cpu = cpu_when_run_starts(source, worker, set(), timeout)
        run = finished_run(source, timeout)
        cpu, rss = cpu_seconds(worker) - started_cpu, peak_rss_mb(psutil.Process(worker.pid))
    finally:
        stop(worker)
    return Phase(run, run_seconds(run), cpu, rss)


def killed_half_way(source: Source, pages: int, timeout: float) -> tuple[Phase, int]:
    """Start the listing and SIGKILL its worker once half the pages have landed.

    Returns the phase (counted from the run's start to the kill) and the pages that had landed.
    """
    queue = unique_queue("sync-resume-killed")
    worker = worker_for(queue, "killed")
    half = pages // 2
    try:
        run_sync_task.apply_async((source.pk, "customers"), queue=queue)
        started_cpu = cpu_when_run_starts(source, worker, set(), timeout)
        deadline = time.monotonic() + timeout
        while True:
            # Polled often: the kill should land close to the half-way page, not pages later.
            landed = Run.objects.filter(source=source).values_list("pages", flat=True).first()
            if landed is not None and landed >= half:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the listing did not reach half way")
            time.sleep(0.02)
        cpu, rss = cpu_seconds(worker) - started_cpu, peak_rss_mb(psutil.Process(worker.pid))
        os.kill(worker.pid, signal.SIGKILL)
        killed_at = timezone.now()
        worker.wait(timeout=30)
    finally:
        stop(worker)
    run = Run.objects.get(source=source)
    if run.status != Run.Status.RUNNING:
        raise RuntimeError(f"the listing ended before the kill: {run.status} {run.error}")
    return Phase(run, (killed_at - run.started_at).total_seconds(), cpu, rss), run.pages


def resumed(source: Source, timeout: float) -> Phase:
    """A new worker runs the listing again once the killed worker's lease has run out."""
    position = Cursor.objects.get(source=source, entity="customers").value
    if "page_info=" not in str(position.get("listing", {}).get("next")):
        raise RuntimeError(f"the killed run left no page link to resume from: {position}")
    # Instead of waiting SYNC_LEASE_SECONDS (15 min) for the dead worker's lease to lapse.
    Lease.objects.filter(source=source).update(expires_at=timezone.now())
    earlier = set(Run.objects.filter(source=source).values_list("pk", flat=True))
    queue = unique_queue("sync-resume-resumed")
    worker = worker_for(queue, "resumed")
    try:
        # As the next scheduled run would be; the killed task's message comes back only after
        # the broker's visibility timeout (2 h).
        run_sync_task.apply_async((source.pk, "customers"), queue=queue)
        started_cpu = cpu_when_run_starts(source, worker, earlier, timeout)
        run = finished_run(source, timeout)
        cpu, rss = cpu_seconds(worker) - started_cpu, peak_rss_mb(psutil.Process(worker.pid))
    finally:
        stop(worker)
    cursor = Cursor.objects.get(source=source, entity="customers").value
    if set(cursor) != {"updated_at_min"}:
        raise RuntimeError(f"the listing did not complete its high-water mark: {cursor}")
    return Phase(run, run_seconds(run), cpu, rss)


def compare_with_shop(customers: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Lost, doubled and mismatched records: the tables against the shop's records."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_shop_customer "
            "(external_id text PRIMARY KEY, email text, first_name text, last_name text)"
        )
        with cursor.copy("COPY bench_shop_customer FROM STDIN") as copy:
            for record in customers:
                copy.write_row(
                    (str(record["id"]), record["email"], record["first_name"], record["last_name"])
                )
        cursor.execute("ANALYZE bench_shop_customer")
        cursor.execute(COMPARISON)
        lost, doubled_identities, extra_identities, extra_customers, mismatched = cursor.fetchone()
        cursor.execute("DROP TABLE bench_shop_customer")
    return {
        "lost": lost,
        "doubled": doubled_identities + extra_identities + extra_customers,
        "mismatched": mismatched,
    }


# One pass over each table. ``doubled`` counts every row beyond one per shop record: an
# identity repeated or of no record, and a customer that no identity of the shop holds or
# that holds more than one.
COMPARISON = """
WITH identity AS (
    SELECT external_id, customer_id FROM customers_customeridentity WHERE source = 'ecommerce'
), per_customer AS (
    SELECT c.id, count(i.customer_id) AS identities
    FROM customers_customer c LEFT JOIN identity i ON i.customer_id = c.id
    GROUP BY c.id
)
SELECT
    (SELECT count(*) FROM bench_shop_customer s
      WHERE NOT EXISTS (SELECT 1 FROM identity i JOIN customers_customer c ON c.id = i.customer_id
                        WHERE i.external_id = s.external_id)),
    (SELECT count(*) - count(DISTINCT external_id) FROM identity),
    (SELECT count(*) FROM identity i
      WHERE NOT EXISTS (SELECT 1 FROM bench_shop_customer s WHERE s.external_id = i.external_id)),
    (SELECT coalesce(sum(CASE WHEN identities = 0 THEN 1 ELSE identities - 1 END), 0)::bigint
       FROM per_customer WHERE identities <> 1),
    (SELECT count(*) FROM bench_shop_customer s
       JOIN identity i ON i.external_id = s.external_id
       JOIN customers_customer c ON c.id = i.customer_id
      WHERE (c.email, c.first_name, c.last_name) <> (s.email, s.first_name, s.last_name))
"""


def note_progress(**figures: Any) -> None:
    known = json.loads(PROGRESS.read_text()) if PROGRESS.exists() else {}
    known.update(figures, at=timezone.now().isoformat(timespec="seconds"))
    known["load_average"] = [round(load, 2) for load in os.getloadavg()]
    PROGRESS.write_text(json.dumps(known, indent=2, default=str) + "\n")


def serve_shop(server: HTTPServer, customers: int) -> BenchShop:
    # A log line per request would cost the bench process more than the answer does.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    shop = plus_shop(server, "bench-resume-token")
    shop.records["customers"] = ShopCustomers(customers)  # type: ignore[assignment]
    os.environ[f"{TOKEN_ENV}_TOKEN"] = shop.token
    return shop


@dataclass
class Interrupted:
    """The listing killed half way and resumed: both phases, and what the tables held then."""

    killed: Phase
    resumed: Phase
    pages_landed_at_kill: int
    checked: dict[str, int]
    quarantined: int


def interrupted_and_resumed(shop: BenchShop, pages: int, timeout: float) -> Interrupted:
    source = fresh_source(shop)
    note_progress(phase="killed run")
    killed, landed_at_kill = killed_half_way(source, pages, timeout)
    note_progress(
        killed_run_seconds=killed.seconds,
        killed_run_worker_cpu_seconds=killed.worker_cpu_seconds,
        pages_landed_at_kill=landed_at_kill,
        phase="resumed run",
    )
    resumed_phase = resumed(source, timeout)
    note_progress(
        resumed_run_seconds=resumed_phase.seconds,
        resumed_run_worker_cpu_seconds=resumed_phase.worker_cpu_seconds,
        phase="comparing",
    )
    checked = compare_with_shop(shop.records["customers"])
    quarantined = QuarantinedRecord.objects.count()
    note_progress(**checked, quarantined=quarantined)
    return Interrupted(killed, resumed_phase, landed_at_kill, checked, quarantined)


def uninterrupted_and_checked(shop: BenchShop, timeout: float) -> tuple[Phase, dict[str, int]]:
    note_progress(phase="uninterrupted run")
    baseline = uninterrupted(shop, timeout)
    note_progress(
        uninterrupted_seconds=baseline.seconds,
        uninterrupted_worker_cpu_seconds=baseline.worker_cpu_seconds,
        phase="comparing the baseline",
    )
    checked = compare_with_shop(shop.records["customers"])
    note_progress(baseline_checked=checked)
    return baseline, checked


def run(options: Any) -> Report:
    customers = SCALES[options.scale]
    pages = -(-customers // PAGE_LIMIT)
    timeout = RUN_TIMEOUT[options.scale]
    # The interrupted listing goes first unless asked otherwise: two bench runs in the two
    # orders show how much the machine's load, rather than the interruption, moved the ratio.
    baseline_first = os.environ.get("BENCH_RESUME_BASELINE_FIRST") == "1"
    fresh_sync_root("root-resume")
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    PROGRESS.unlink(missing_ok=True)
    note_progress(scale=options.scale, customers=customers, baseline_first=baseline_first)
    server = UnloggedHTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        shop = serve_shop(server, customers)
        if baseline_first:
            baseline, baseline_checked = uninterrupted_and_checked(shop, timeout)
            pair = interrupted_and_resumed(shop, pages, timeout)
        else:
            pair = interrupted_and_resumed(shop, pages, timeout)
            baseline, baseline_checked = uninterrupted_and_checked(shop, timeout)
        requests = len(shop.hits)
    finally:
        server.stop()
    seconds = pair.killed.seconds + pair.resumed.seconds
    cpu = pair.killed.worker_cpu_seconds + pair.resumed.worker_cpu_seconds
    return Report(
        name="sync_resume",
        params={
            "customers": customers,
            "pages": pages,
            "page_size": PAGE_LIMIT,
            "shop_plan": PLUS_PLAN,
            "scale": options.scale,
            "order": "uninterrupted first" if baseline_first else "interrupted first",
            "load_average_before": [round(load, 2) for load in load_before],
        },
        results={
            "seconds": round(seconds, 1),
            "killed_run_seconds": round(pair.killed.seconds, 1),
            "resumed_run_seconds": round(pair.resumed.seconds, 1),
            "uninterrupted_seconds": round(baseline.seconds, 1),
            "ratio": round(seconds / baseline.seconds, 3),
            "worker_cpu_seconds": round(cpu, 1),
            "uninterrupted_worker_cpu_seconds": round(baseline.worker_cpu_seconds, 1),
            "cpu_ratio": round(cpu / baseline.worker_cpu_seconds, 3),
            "pages_landed_at_kill": pair.pages_landed_at_kill,
            "resumed_run_pages": pair.resumed.run.pages,
            "resumed_run_created": pair.resumed.run.created,
            "lost": pair.checked["lost"],
            "doubled": pair.checked["doubled"],
            "mismatched": pair.checked["mismatched"],
            "quarantined": pair.quarantined,
            "baseline_lost": baseline_checked["lost"],
            "baseline_doubled": baseline_checked["doubled"],
            "records_per_s": round(customers / baseline.seconds),
            "shop_requests": requests,
            "peak_rss_mb": peak_rss_mb(),
            "worker_peak_rss_mb": max(
                pair.killed.worker_peak_rss_mb,
                pair.resumed.worker_peak_rss_mb,
                baseline.worker_peak_rss_mb,
            ),
            "load_average_1min_after": round(os.getloadavg()[0], 2),
        },
        baseline={
            "label": "the same listing, uninterrupted, into emptied tables",
            "seconds": round(baseline.seconds, 1),
        },
        budget={"ratio": {"max": 1.3}, "lost": {"max": 0}, "doubled": {"max": 0}},
        notes=(
            "seconds = killed run (start to SIGKILL) + resumed run (start to finish); "
            "worker_cpu_seconds the same two workers' CPU over those spans (cpu_ratio over the "
            "uninterrupted worker's: the interruption's cost with the machine's load left out); "
            "peak_rss_mb is the bench process (stand-in shop included), worker_peak_rss_mb "
            "the largest of the three workers."
        ),
    )
