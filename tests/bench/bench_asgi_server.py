"""Which ASGI server serves Frontline: uvicorn or daphne, on the same page in the same run.

The page is the staff login page (template, session, CSRF: a real Django page without data).
Each server runs as one process first (like for like), then uvicorn with two workers, the
production set-up on this 2-core machine.
"""

from __future__ import annotations

import argparse

from tests.bench.datasets import OwnData
from tests.bench.harness import Report
from tests.bench.servers import production_environment, running_server, wrk_requests_per_second

DATA = OwnData("none: the login page reads no data")

PAGE = "/accounts/login/"


def run(options: argparse.Namespace) -> Report:
    seconds = 10 if options.scale == "full" else 3
    environment = production_environment()
    measured = {}
    for label, kind, workers in [
        ("daphne_1", "daphne", 1),
        ("uvicorn_1", "uvicorn", 1),
        ("uvicorn_2_workers", "uvicorn", 2),
    ]:
        with running_server(kind, workers=workers, env=environment) as base_url:
            wrk_requests_per_second(base_url + PAGE, seconds=1)  # warm-up
            measured[label] = wrk_requests_per_second(base_url + PAGE, seconds=seconds)
    results = {
        "uvicorn_req_per_s": measured["uvicorn_1"]["req_per_s"],
        "uvicorn_p99_ms": measured["uvicorn_1"]["p99_ms"],
        "uvicorn_2_workers_req_per_s": measured["uvicorn_2_workers"]["req_per_s"],
        "uvicorn_2_workers_p99_ms": measured["uvicorn_2_workers"]["p99_ms"],
        "errors": sum(m["errors"] for m in measured.values()),
        "uvicorn_to_daphne_ratio": round(
            measured["uvicorn_1"]["req_per_s"] / measured["daphne_1"]["req_per_s"], 2
        ),
    }
    return Report(
        name="asgi_server",
        params={"page": PAGE, "connections": 32, "seconds": seconds, "tool": "wrk"},
        results=results,
        baseline={
            "label": "daphne, one process",
            "req_per_s": measured["daphne_1"]["req_per_s"],
            "p99_ms": measured["daphne_1"]["p99_ms"],
        },
        budget={"errors": {"max": 0}},
    )
