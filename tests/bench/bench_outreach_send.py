"""A campaign-sized send: 10,000 consented customers, e-mail to a real local SMTP server, with
a worker killed mid-send.

The bench builds its customers (each with e-mail consent for service messages) and deletes them
afterwards. A real SMTP server (aiosmtpd, tests/outreach/standins.py) runs in the bench process
and keeps every message it accepts. Two real Celery workers (``--pool=solo``) deliver the
campaign's chunks (100 messages over one SMTP session each). Once 30 % of the messages are
sent, the first worker is killed with SIGKILL and a new one started; the bench then plays the
beat's part: when the queue stops moving it runs the outbox sweep (claims older than the lease,
5 s here, are released with the same idempotency key; due messages are queued again).

- ``queued_seconds``: ``campaign_queue`` for the whole audience (rules checked set-wise, one
  bulk insert, chunk tasks handed to the broker on commit).
- ``delivered_per_s``: messages over the time from the first to the last ``sent_at``, the
  kill, the lease and the sweep included; ``delivered_before_kill_per_s`` the same rate up to
  the kill.
- ``duplicates``: Message-IDs the SMTP server received more than once (each extra copy
  counts); ``lost``: messages it never received; ``not_sent``: rows not ``sent`` at the end.
Budget (issue 26): queued <= 5 s, delivered >= 200 messages/s, 0 duplicates.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import time
from collections import Counter

from django.conf import settings
from django.db.models import Max, Min, QuerySet

from frontline.customers.models import Consent, Customer
from frontline.outreach.campaigns import CHUNK, campaign_queue
from frontline.outreach.models import Message, Status
from frontline.outreach.services import messages_dispatch_due
from frontline.outreach.tasks import deliver_messages_task
from frontline.staff.models import StaffRole, Store, StoreAssignment, User
from tests.bench.datasets import OwnData
from tests.bench.harness import Report
from tests.bench.sync_support import BENCH_VAR, start_worker
from tests.outreach.standins import SmtpSink

DATA = OwnData("consented customers built by the bench itself, deleted afterwards")
CUSTOMERS = {"full": 10_000, "small": 1_000}
PREFIX = "OSB-"
KILL_AT = 0.3
LEASE_SECONDS = 5
TIMEOUT = 900


def _audience(count: int) -> tuple[User, list[int]]:
    store, _ = Store.objects.get_or_create(code="outreach-bench", defaults={"name": "Bench"})
    manager, _ = User.objects.get_or_create(username="outreach-bench-manager")
    StoreAssignment.objects.get_or_create(
        user=manager, store=store, defaults={"role": StaffRole.MANAGER, "is_primary": True}
    )
    Customer.objects.filter(number__startswith=PREFIX).delete()
    customers = Customer.objects.bulk_create(
        [
            Customer(
                number=f"{PREFIX}{n:06d}",
                first_name=f"Bench{n}",
                last_name="Customer",
                email=f"customer{n}@bench.example.com",
                preferred_store=store,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    from django.utils import timezone

    Consent.objects.bulk_create(
        [
            Consent(
                customer=customer,
                channel="email",
                purpose="service",
                granted=True,
                recorded_at=timezone.now(),
            )
            for customer in customers
        ],
        batch_size=2000,
    )
    return manager, [customer.pk for customer in customers]


def _campaign_messages(ids: list[int], by: User) -> QuerySet[Message]:
    """The campaign's messages as a cheap filter: the range of their ids among the bench
    manager's. Polled every 50 ms, ``pk__in`` over 10,000 ids cost the bench process 76 ms of
    CPU a call (and PostgreSQL as much again): most of a core, and the GIL, taken from the
    workers and the SMTP server it measures."""
    messages = Message.objects.filter(pk__range=(min(ids), max(ids)), sent_by=by)
    if messages.count() != len(ids):
        raise RuntimeError("the bench manager has other messages among the campaign's ids")
    return messages


def _sent(messages: QuerySet[Message]) -> int:
    return messages.filter(status=Status.SENT).count()


def _sweep() -> int:
    due = messages_dispatch_due(limit=100_000)
    for start in range(0, len(due), CHUNK):
        deliver_messages_task.delay(due[start : start + CHUNK])
    return len(due)


def _wait_until_all_sent(messages: QuerySet[Message], count: int) -> tuple[int, int]:
    """Wait, sweeping when the queue stands still; returns (sweeps, messages re-queued)."""
    sweeps = requeued = 0
    last, still_since = -1, time.monotonic()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        sent = _sent(messages)
        if sent == count:
            return sweeps, requeued
        if sent != last:
            last, still_since = sent, time.monotonic()
        elif time.monotonic() - still_since > LEASE_SECONDS + 1:
            requeued += _sweep()
            sweeps += 1
            still_since = time.monotonic()
        time.sleep(0.5)
    raise TimeoutError(f"only {last} of {count} messages sent in {TIMEOUT} s")


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


def run(options: argparse.Namespace) -> Report:
    count = CUSTOMERS[options.scale]
    settings.OUTREACH_CLAIM_LEASE_SECONDS = LEASE_SECONDS
    # aiosmtpd logs every SMTP command: ten thousand messages' worth would compete for the
    # bench process's CPU with what it measures.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = SmtpSink().start()
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    environment = {
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "OUTREACH_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTREACH_MESSAGES_PER_DAY": "10",
    }
    workers: list[subprocess.Popen[bytes]] = []
    manager, customer_ids = _audience(count)
    load_at_start = os.getloadavg()[0]
    try:
        workers = [
            start_worker("celery", BENCH_VAR / f"outreach-worker-{n}.log", **environment)
            for n in range(2)
        ]
        started = time.perf_counter()
        result = campaign_queue(
            by=manager,
            customer_ids=customer_ids,
            channel="email",
            purpose="service",
            subject="New season at {{ store_name }}, {{ first_name }}",
            body="Hello {{ first_name }},\n\nThe new season is in at {{ store_name }}.\n"
            "{{ associate_name }}",
        )
        queued_seconds = time.perf_counter() - started
        ids = result.message_ids
        messages = _campaign_messages(ids, manager)
        deadline = time.monotonic() + TIMEOUT
        while _sent(messages) < KILL_AT * len(ids):
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                raise RuntimeError("the workers stopped or sent nothing: see their logs")
            time.sleep(0.05)
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        sent_at_kill = _sent(messages)
        kill_time = messages.aggregate(last=Max("sent_at"))["last"]
        workers.append(start_worker("celery", BENCH_VAR / "outreach-worker-2.log", **environment))
        sweeps, requeued = _wait_until_all_sent(messages, len(ids))
        span = messages.aggregate(first=Min("sent_at"), last=Max("sent_at"))
        seconds = (span["last"] - span["first"]).total_seconds()
        before_kill = (kill_time - span["first"]).total_seconds()
        copies = Counter(sink.message_ids())
        expected = {
            f"<{key}@{settings.OUTREACH_REPLY_DOMAIN or 'frontline.local'}>"
            for key in messages.values_list("idempotency_key", flat=True)
        }
        duplicates = sum(n - 1 for key, n in copies.items() if key in expected)
        lost = len(expected - set(copies))
        not_sent = len(ids) - _sent(messages)
    finally:
        for worker in workers:
            _stop(worker)
        sink.stop()
        Customer.objects.filter(number__startswith=PREFIX).delete()
    return Report(
        name="outreach_send",
        params={
            "customers": count,
            "queued": result.queued,
            "workers": 2,
            "chunk": CHUNK,
            "killed_at_sent": sent_at_kill,
            "lease_seconds": LEASE_SECONDS,
            "sweeps": sweeps,
            "requeued_by_sweeps": requeued,
        },
        results={
            "queued_seconds": round(queued_seconds, 3),
            "delivered_per_s": round(len(ids) / seconds, 1),
            "delivered_before_kill_per_s": round(sent_at_kill / max(before_kill, 1e-6), 1),
            "duplicates": duplicates,
            "lost": lost,
            "not_sent": not_sent,
        },
        budget={
            "queued_seconds": {"max": 5},
            "delivered_per_s": {"min": 200},
            "duplicates": {"max": 0},
            "lost": {"max": 0},
        },
        notes=(
            f"1-minute load average {load_at_start:.1f} when the campaign was queued, "
            f"{os.getloadavg()[0]:.1f} at the end."
        ),
    )
