"""The ``sync_full`` import alone, in this process: for finding where its time goes.

``python -m tests.bench.profile_sync_full [--scale small|full] [customers] [orders]``

The same files and the same ``run_sync`` the benchmark's worker calls, without the naive sample,
the COPY floor or the worker, so one look at a change costs the import and nothing else (about
three and a half minutes at full scale here). It writes no benchmark file and has no budget:
the figure of record is ``make bench ONLY=sync_full``. For statement times, turn on the
server's ``log_min_duration_statement`` for the benchmark database while it runs (and reset it
after: ``ALTER DATABASE … RESET ALL``).
"""

from __future__ import annotations

import argparse
import logging
import time

from tests.bench.__main__ import prepare_django

ENTITIES = ("customers", "orders")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["small", "full"], default="full")
    parser.add_argument("entities", nargs="*", default=list(ENTITIES), help="customers, orders")
    options = parser.parse_args()
    if unknown := set(options.entities) - set(ENTITIES):
        parser.error(f"no entity named {', '.join(sorted(unknown))}; there are: customers, orders")
    prepare_django()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    from frontline.sync.engine import run_sync
    from tests.bench.bench_sync_full import SCALES, drop_into_inbox, fresh_source, input_files

    files = input_files(*SCALES[options.scale])
    source = fresh_source()
    drop_into_inbox(list(files))
    for entity in options.entities:
        started = time.perf_counter()
        run = run_sync(source=source, entity=entity)
        print(
            f"profile: {entity} {run.status} in {time.perf_counter() - started:.1f} s"
            + (f" ({run.error})" if run.error else ""),
            flush=True,
        )


if __name__ == "__main__":
    main()
