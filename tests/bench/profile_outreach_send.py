"""The two halves of ``outreach_send`` alone, in this process, counted in CPU time and queries.

``python -m tests.bench.profile_outreach_send [--customers N] [--cprofile FILE]``

On a machine shared with other work the benchmark's wall-clock figures follow the others' load;
the CPU time this thread spends (``time.thread_time()``: the SMTP server's thread, in the same
process, is not counted) and the number of queries hardly do. Queueing is ``campaign_queue``
for the whole audience (the chunks it hands to the broker included); delivery is
``messages_deliver`` over the same chunks a worker gets, one after the other, to a real
aiosmtpd server, with nobody killed. It writes no benchmark file and has no budget: the figures
of record are ``make bench ONLY=outreach_send``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.bench.__main__ import prepare_django


def measured(work: Callable[[], Any], profile: cProfile.Profile | None) -> tuple[Any, dict]:
    from django.db import connection

    statements = 0
    waited = 0.0

    def count(execute: Callable[..., Any], *args: Any) -> Any:
        nonlocal statements, waited
        statements += 1
        began = time.perf_counter()
        try:
            return execute(*args)
        finally:
            waited += time.perf_counter() - began

    # Counted as they go rather than captured: a capture keeps only the last 9,000.
    with connection.execute_wrapper(count):
        began_cpu, began_wall = time.thread_time(), time.perf_counter()
        if profile is not None:
            profile.enable()
        result = work()
        if profile is not None:
            profile.disable()
        cpu, wall = time.thread_time() - began_cpu, time.perf_counter() - began_wall
    return result, {
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "queries": statements,
        # Wall time inside the statements (the server's work, commits' flushes, our driver).
        "statements_wall_s": round(waited, 3),
    }


def thread_cpu(thread: threading.Thread | None) -> float:
    """CPU seconds another thread of this process has used (the SMTP server's)."""
    assert thread is not None and thread.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--cprofile", help="write cProfile statistics of both halves here")
    options = parser.parse_args()
    prepare_django()
    from django.conf import settings

    from clienteling.celery import app as celery_app
    from frontline.customers.models import Customer
    from frontline.outreach.campaigns import CHUNK, campaign_queue
    from frontline.outreach.models import Message, Status
    from frontline.outreach.services import messages_deliver
    from tests.bench.bench_outreach_send import PREFIX, _audience
    from tests.outreach.standins import SmtpSink

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.OUTREACH_MESSAGES_PER_DAY = 10
    profile = cProfile.Profile() if options.cprofile else None
    manager, customer_ids = _audience(options.customers)
    try:
        result, queueing = measured(
            lambda: campaign_queue(
                by=manager,
                customer_ids=customer_ids,
                channel="email",
                purpose="service",
                subject="New season at {{ store_name }}, {{ first_name }}",
                body="Hello {{ first_name }},\n\nThe new season is in at {{ store_name }}.\n"
                "{{ associate_name }}",
            ),
            profile,
        )
        # The chunks went to the broker with no worker listening: this process delivers them.
        celery_app.control.purge()
        ids = result.message_ids
        chunks = [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]
        server_cpu = thread_cpu(sink.controller._thread)
        _, delivery = measured(
            lambda: [messages_deliver(message_ids=chunk) for chunk in chunks], profile
        )
        server_cpu = thread_cpu(sink.controller._thread) - server_cpu
        sent = Message.objects.filter(pk__in=ids, status=Status.SENT).count()
        received = len(sink.raw)
    finally:
        sink.stop()
        Customer.objects.filter(number__startswith=PREFIX).delete()
    count = len(ids)
    figures = {
        "messages": count,
        "sent": sent,
        "received_by_smtp": received,
        "queueing": {**queueing, "queries_per_message": round(queueing["queries"] / count, 3)},
        "delivery": {
            **delivery,
            "queries_per_message": round(delivery["queries"] / count, 3),
            "cpu_ms_per_message": round(delivery["cpu_s"] * 1000 / count, 3),
            "statements_wall_ms_per_message": round(
                delivery["statements_wall_s"] * 1000 / count, 3
            ),
            # The stand-in SMTP server's thread: the same process, not the worker's cost.
            "smtp_server_cpu_ms_per_message": round(server_cpu * 1000 / count, 3),
        },
    }
    print(json.dumps(figures, indent=2))
    if profile is not None:
        profile.dump_stats(options.cprofile)


if __name__ == "__main__":
    main()
