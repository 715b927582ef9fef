"""The ``sync_full`` import alone, in this process: for finding where its time goes.

``python -m tests.bench.profile_sync_full [--scale small|full] [customers] [orders]``

The same files and the same ``run_sync`` the benchmark's worker calls, without the naive sample,
the COPY floor or the worker, so one look at a change costs the import and nothing else (about
three and a half minutes at full scale here). It writes no benchmark file and has no budget:
the figure of record is ``make bench ONLY=sync_full``. For statement times, turn on the
server's ``log_min_duration_statement`` for the benchmark database while it runs (and reset it
after: ``ALTER DATABASE … RESET ALL``), or pass ``--statements SECONDS``: each statement of this
process that takes longer is printed with its time (Django's execute wrappers, nothing on the
server to reset).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from typing import Any

from tests.bench.__main__ import prepare_django

ENTITIES = ("customers", "orders")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["small", "full"], default="full")
    parser.add_argument(
        "--statements", type=float, metavar="SECONDS", help="print statements slower than this"
    )
    parser.add_argument("entities", nargs="*", default=list(ENTITIES), help="customers, orders")
    options = parser.parse_args()
    if unknown := set(options.entities) - set(ENTITIES):
        parser.error(f"no entity named {', '.join(sorted(unknown))}; there are: customers, orders")
    prepare_django()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    from django.db import connection

    from frontline.sync.engine import run_sync
    from tests.bench.bench_sync_full import SCALES, drop_into_inbox, fresh_source, input_files

    files = input_files(*SCALES[options.scale])
    source = fresh_source()
    drop_into_inbox(list(files))
    for entity in options.entities:
        started = time.perf_counter()
        if options.statements is None:
            run = run_sync(source=source, entity=entity)
        else:
            with connection.execute_wrapper(slower_than(options.statements)):
                run = run_sync(source=source, entity=entity)
        print(
            f"profile: {entity} {run.status} in {time.perf_counter() - started:.1f} s"
            + (f" ({run.error})" if run.error else ""),
            flush=True,
        )


def slower_than(seconds: float) -> Callable[..., Any]:
    """An execute wrapper printing each statement slower than ``seconds``, time first."""

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if (elapsed := time.perf_counter() - started) > seconds:
                text = sql if isinstance(sql, str) else sql.as_string(context["cursor"])
                print(f"statement {elapsed:6.1f} s: {' '.join(text.split())[:160]}", flush=True)

    return timed


if __name__ == "__main__":
    main()
