"""The associate's home screen ("my day") with 100 associates and 200,000 open follow-ups.

Data: tests/bench/followups_fixture.py (2,000 open follow-ups per associate, due over two
months either side of today, at one store). ``GET /`` is requested through Django's whole
stack in this process (middleware, session, auth, template), signed in as associates in turn;
the time is the server's own, without the network. The number of queries is counted for an
associate with a full day and for one with an empty day: it does not depend on the number of
follow-ups. The baseline is what a first version would do: read all the associate's open
follow-ups with their customers and sort them into sections in Python.
Budget (issue 22): p95 <= 50 ms.
"""

from __future__ import annotations

import argparse

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from frontline.followups.models import ACTIVE_STATUSES, FollowUp
from frontline.followups.selectors import store_today
from tests.bench.followups_fixture import FOLLOWUPS, loaded, sizes
from tests.bench.harness import Report, latency_summary, time_each

DATA = FOLLOWUPS

REQUESTS = {"full": 300, "small": 60}


def count_queries(client: Client, url: str) -> int:
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return len(captured.captured_queries)


def run(options: argparse.Namespace) -> Report:
    size = sizes(options.scale)
    bench = loaded()
    requests = REQUESTS[options.scale]
    clients = []
    for person in bench.associates:
        client = Client()
        client.force_login(person)
        clients.append(client)

    def get(client: Client) -> None:
        response = client.get("/")
        if response.status_code != 200:
            raise RuntimeError(f"/ answered {response.status_code}")

    for client in clients[:10]:
        get(client)
    full_day_queries = count_queries(clients[0], "/")
    # The manager has no follow-ups of their own: an empty day, the same queries or fewer.
    empty = Client()
    empty.force_login(bench.manager)
    empty_day_queries = count_queries(empty, "/")
    in_turn = [clients[number % len(clients)] for number in range(requests)]
    measured = latency_summary(time_each(lambda c=client: get(c) for client in in_turn))

    today = store_today(bench.store)

    def naive(person_index: int) -> None:
        rows = list(
            FollowUp.objects.filter(
                assignee=bench.associates[person_index], status__in=ACTIVE_STATUSES
            ).select_related("customer", "store")
        )
        sections: dict[str, list[FollowUp]] = {"overdue": [], "today": [], "upcoming": []}
        for row in sorted(rows, key=lambda f: (f.due_on, f.priority, f.pk)):
            if row.due_on < today:
                sections["overdue"].append(row)
            elif row.due_on == today:
                sections["today"].append(row)
            elif (row.due_on - today).days <= 7:
                sections["upcoming"].append(row)

    baseline = latency_summary(
        time_each(lambda i=i: naive(i % len(bench.associates)) for i in range(requests // 3))
    )
    return Report(
        name="followups_my_day",
        params={
            "associates": size.associates,
            "open_followups": size.open_followups,
            "done_followups": size.done_followups,
            "requests": requests,
        },
        results={
            **measured,
            "queries_full_day": full_day_queries,
            "queries_empty_day": empty_day_queries,
        },
        baseline={"label": "all the associate's open follow-ups sorted in Python", **baseline},
        budget={"p95_ms": {"max": 50}, "queries_full_day": {"max": 12}},
    )
