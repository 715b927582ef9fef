"""The profile API under load, next to a one-SELECT Django view served the same way.

The production server set-up (uvicorn, 2 workers, DEBUG off, PostgreSQL through the psycopg
pool, Redis) serves both URLs from one server; wrk loads each in turn with 32 concurrent
connections: ``GET /api/customers/{id}/`` (token auth, the 1,000-interaction / 200-order
customer, an audit row written per request) and ``GET /bench/floor/{id}/`` (one SELECT, no
auth; a bench-only URL, see tests/bench/floor_settings.py). wrk is needed
(``apt-get install wrk``). Data: ``seed_demo --customers N`` plus the long-history customer.
Budget (issue 3): the profile reaches >= 50% of the floor's requests/s (ratio_to_floor).
"""

from __future__ import annotations

import argparse
import statistics

from rest_framework.authtoken.models import Token

from tests.bench.customer_data import associate, heavy_customer
from tests.bench.datasets import DEMO
from tests.bench.harness import Report
from tests.bench.servers import production_environment, running_server, wrk_requests_per_second

DATA = DEMO

CONNECTIONS = 32
SECONDS = {"full": 20, "small": 4}  # per URL, over all rounds
ROUNDS = 4


def run(options: argparse.Namespace) -> Report:
    customers = DEMO.customers(options.scale)
    customer = heavy_customer()
    token, _ = Token.objects.get_or_create(user=associate())
    environment = {
        **production_environment(),
        "DJANGO_SETTINGS_MODULE": "tests.bench.floor_settings",
    }
    seconds = SECONDS[options.scale]
    auth = {"Authorization": f"Token {token.key}"}
    with running_server("uvicorn", workers=2, env=environment) as base_url:
        profile_url = f"{base_url}/api/customers/{customer.pk}/"
        floor_url = f"{base_url}/bench/floor/{customer.pk}/"
        wrk_requests_per_second(profile_url, seconds=1, headers=auth)  # warm-up, both workers
        wrk_requests_per_second(floor_url, seconds=1)
        rounds = []
        for _ in range(ROUNDS):
            profile_round = wrk_requests_per_second(
                profile_url, connections=CONNECTIONS, seconds=seconds // ROUNDS, headers=auth
            )
            floor_round = wrk_requests_per_second(
                floor_url, connections=CONNECTIONS, seconds=seconds // ROUNDS
            )
            rounds.append((profile_round, floor_round))
    profile, floor = (_over_rounds([pair[which] for pair in rounds]) for which in (0, 1))
    results = {
        "profile_req_per_s": profile["req_per_s"],
        "floor_req_per_s": floor["req_per_s"],
        "ratio_to_floor": round(profile["req_per_s"] / floor["req_per_s"], 3),
        "round_ratios": [round(p["req_per_s"] / f["req_per_s"], 3) for p, f in rounds],
        "profile_p50_ms": profile["p50_ms"],
        "profile_p99_ms": profile["p99_ms"],
        "errors": profile["errors"] + floor["errors"],
    }
    return Report(
        name="customer_profile_load",
        params={
            "customers": customers,
            "connections": CONNECTIONS,
            "seconds": seconds,
            "rounds": ROUNDS,
            "server": "uvicorn, 2 workers, DEBUG off",
            "tool": "wrk",
            "profile": "GET /api/customers/{id}/ (1,000 interactions, 200 orders)",
            "floor": "GET /bench/floor/{id}/ (one SELECT)",
        },
        results=results,
        baseline={
            "label": "one-SELECT Django view, same server",
            "req_per_s": floor["req_per_s"],
            "p50_ms": floor["p50_ms"],
            "p99_ms": floor["p99_ms"],
        },
        budget={"ratio_to_floor": {"min": 0.5}, "errors": {"max": 0}},
    )


def _over_rounds(runs: list[dict[str, float]]) -> dict[str, float]:
    """Rounds of equal length: mean requests/s, the middle round's p50, the worst p99."""
    return {
        "req_per_s": round(statistics.mean(run["req_per_s"] for run in runs), 2),
        "p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms": max(run["p99_ms"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
    }
