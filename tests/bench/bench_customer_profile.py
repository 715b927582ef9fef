"""The customer profile's server time for a long history, and its (constant) number of queries.

Data: ``seed_demo --customers N`` plus one customer of associate1's store with 1,000
interactions and 200 orders (tests/bench/customer_data.py). The profile API
(``GET /api/customers/{id}/``) and the profile page are requested through Django's whole stack
in this process (middleware, session, auth, audit-log write), signed in as associate1; the time
is the server's own, without the network. The baseline is the same request for an ordinary
seeded customer of the same store (a short history): the profile should not care.
Budget (issue 3): p95 <= 60 ms; at most 12 SQL queries.
"""

from __future__ import annotations

import argparse

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from frontline.customers.selectors import customers_in_stores_of
from tests.bench.customer_data import (
    HEAVY_INTERACTIONS,
    HEAVY_NUMBER,
    HEAVY_ORDERS,
    associate,
    heavy_customer,
)
from tests.bench.datasets import DEMO
from tests.bench.harness import Report, latency_summary, time_each

DATA = DEMO

REQUESTS = {"full": 300, "small": 100}


def run(options: argparse.Namespace) -> Report:
    customers = DEMO.customers(options.scale)
    staff = associate()
    heavy = heavy_customer()
    ordinary = customers_in_stores_of(staff).exclude(number=HEAVY_NUMBER).order_by("pk").first()
    client = Client()
    client.force_login(staff)
    api_url = f"/api/customers/{heavy.pk}/"
    page_url = f"/customers/{heavy.pk}/"

    def get(url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    for _ in range(10):
        get(api_url)
    # The log of queries is a bounded deque: once full its length no longer grows, and a
    # capture would count nothing. Start it empty.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as api_queries:
        get(api_url)
    # Counted now: captured_queries slices the live log, which the timed requests below rotate.
    api_query_count = len(api_queries.captured_queries)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as page_queries:
        get(page_url)
    page_query_count = len(page_queries.captured_queries)
    count = REQUESTS[options.scale]
    api = time_each(lambda: get(api_url) for _ in range(count))
    page = time_each(lambda: get(page_url) for _ in range(count // 2))
    short = time_each(lambda: get(f"/api/customers/{ordinary.pk}/") for _ in range(count // 2))

    results = latency_summary(api)
    results["page_p95_ms"] = latency_summary(page)["p95_ms"]
    results["queries"] = api_query_count
    results["page_queries"] = page_query_count
    return Report(
        name="customer_profile",
        params={
            "customers": customers,
            "interactions": HEAVY_INTERACTIONS,
            "orders": HEAVY_ORDERS,
            "requests": count,
            "endpoint": "GET /api/customers/{id}/ (and the page)",
            "as": "associate1, in-process through the whole Django stack",
        },
        results=results,
        baseline={
            "label": "the same API for a seeded customer with a short history",
            **latency_summary(short),
        },
        budget={"p95_ms": {"max": 60}, "queries": {"max": 12}, "page_queries": {"max": 12}},
    )
