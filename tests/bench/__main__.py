"""Run the benchmarks: ``python -m tests.bench [--only NAME] [--scale small|full]``.

Each benchmark declares the data it needs (``DATA``, see tests/bench/datasets.py); before it
runs, that data is reused when it is there, prepared when it is not (``--no-prepare``: the run
stops with what is missing instead), so any benchmark can run after any other.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, cast

from tests.bench.harness import BENCH_DIR

if TYPE_CHECKING:
    from tests.bench.datasets import Data

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/frontline_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def discover() -> list[str]:
    folder = Path(__file__).resolve().parent
    return sorted(path.stem.removeprefix("bench_") for path in folder.glob("bench_*.py"))


def prepare_django() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clienteling.settings")
    from tests.bench.database import ensure_database_exists

    ensure_database_exists(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run one benchmark by name")
    parser.add_argument(
        "--scale",
        choices=["small", "full"],
        default=os.environ.get("BENCH_SCALE", "full"),
        help="full is the scale the budgets are set for; small is a quick check of the harness",
    )
    parser.add_argument(
        "--no-prepare",
        action="store_true",
        help="use the data that is there; stop with what is missing instead of preparing it",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="prepare (or check) the data the benchmarks need, and run none of them",
    )
    options = parser.parse_args(argv)
    names = discover()
    if options.only:
        if options.only not in names:
            parser.error(f"no benchmark named {options.only!r}; there are: {', '.join(names)}")
        names = [options.only]
    prepare_django()
    failed = [name for name in names if not run_benchmark(name, options)]
    return 1 if failed else 0


def run_benchmark(name: str, options: argparse.Namespace, reports: Path = BENCH_DIR) -> bool:
    """Make sure the benchmark's data is there, run it, write its report; True when all is well.

    Data that is missing and not prepared ends this benchmark with a message saying what is
    missing and how to prepare it (not a traceback), and the next benchmark still runs.
    ``reports`` is where the report goes (default var/bench; the tests write elsewhere).
    """
    from tests.bench.datasets import DataNotReady, ensure

    module = importlib.import_module(f"tests.bench.bench_{name}")
    print(f"bench: {name} ...", flush=True)
    try:
        data = ensure(
            declared_data(module),
            benchmark=name,
            scale=options.scale,
            prepare=not options.no_prepare,
        )
    except DataNotReady as problem:
        print(f"bench: {name}: not run: {problem}", file=sys.stderr, flush=True)
        return False
    if options.prepare_only:
        print(f"bench: {name}: data ready: {data.as_params()}", flush=True)
        return True
    report = module.run(options)
    report.params["data"] = data.as_params()
    path = report.write(reports)
    failures = report.budget_failures()
    verdict = "budget met" if not failures else "OVER BUDGET: " + "; ".join(failures)
    print(f"bench: {name}: {report.results} -> {path} ({verdict})", flush=True)
    return not failures


def declared_data(module: ModuleType) -> Data:
    data = getattr(module, "DATA", None)
    if data is None:
        raise TypeError(
            f"{module.__name__} declares no DATA: say what data its run needs "
            "(tests/bench/datasets.py: DEMO, OwnData(...), or a declaration of its own)"
        )
    return cast("Data", data)


if __name__ == "__main__":
    sys.exit(main())
