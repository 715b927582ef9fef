"""Run the benchmarks: ``python -m tests.bench [--only NAME] [--scale small|full]``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

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
    options = parser.parse_args(argv)
    names = discover()
    if options.only:
        if options.only not in names:
            parser.error(f"no benchmark named {options.only!r}; there are: {', '.join(names)}")
        names = [options.only]
    prepare_django()
    failed = []
    for name in names:
        module = importlib.import_module(f"tests.bench.bench_{name}")
        print(f"bench: {name} ...", flush=True)
        report = module.run(options)
        path = report.write()
        failures = report.budget_failures()
        verdict = "budget met" if not failures else "OVER BUDGET: " + "; ".join(failures)
        print(f"bench: {name}: {report.results} -> {path} ({verdict})", flush=True)
        if failures:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
