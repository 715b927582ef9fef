"""The managers' team board with 100 associates and 200,000 open follow-ups.

Data: tests/bench/followups_fixture.py (one store: 200,000 open and 30,000 done follow-ups).
``GET /followups/team/`` is requested through Django's whole stack in this process, signed in
as the store's manager; the time is the server's own. Its queries are counted with the full
data: two for the board itself (the staff, one grouped aggregate), whatever the number of
follow-ups. The baseline asks the same figures one associate at a time (the first version one
would write: a handful of COUNT queries per person).
Budget (issue 22): p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from django.db.models import Q
from django.test import Client
from django.utils import timezone

from frontline.followups.models import ACTIVE_STATUSES, FollowUp
from frontline.followups.selectors import store_today
from tests.bench.bench_followups_my_day import count_queries
from tests.bench.followups_fixture import FOLLOWUPS, loaded, sizes
from tests.bench.harness import Report, latency_summary, time_each

DATA = FOLLOWUPS

REQUESTS = {"full": 200, "small": 40}


def run(options: argparse.Namespace) -> Report:
    size = sizes(options.scale)
    bench = loaded()
    requests = REQUESTS[options.scale]
    client = Client()
    client.force_login(bench.manager)
    url = f"/followups/team/?store={bench.store.pk}"

    def get() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    for _ in range(5):
        get()
    queries = count_queries(client, url)
    measured = latency_summary(time_each(get for _ in range(requests)))

    today = store_today(bench.store)
    now = timezone.now()

    def per_person() -> None:
        for person in bench.associates:
            theirs = FollowUp.objects.filter(store=bench.store, assignee=person)
            active = theirs.filter(status__in=ACTIVE_STATUSES)
            active.count()
            active.filter(due_on=today).count()
            active.filter(due_on__lt=today).count()
            theirs.filter(status="done", completed_at__gte=now - timedelta(days=7)).count()
            theirs.filter(Q(status="done") & Q(outcome="reached")).count()

    baseline = latency_summary(time_each(per_person for _ in range(max(5, requests // 20))))
    return Report(
        name="followups_team_board",
        params={
            "associates": size.associates,
            "open_followups": size.open_followups,
            "done_followups": size.done_followups,
            "requests": requests,
        },
        results={**measured, "queries": queries},
        baseline={"label": "five COUNT queries per associate", **baseline},
        budget={"p95_ms": {"max": 50}},
    )
