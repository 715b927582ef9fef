"""Benchmarks: ``make bench`` (all) or ``make bench ONLY=<name>`` (one).

Each benchmark is a module ``tests/bench/bench_<name>.py`` defining::

    DATA = DEMO  # what its run reads (tests/bench/datasets.py): DEMO, CATALOG, OwnData("...")

    def run(options: argparse.Namespace) -> Report: ...

and the harness makes sure of ``DATA`` (reused when its fingerprint matches, else prepared, or
with ``--no-prepare`` named as missing), runs it, and writes ``var/bench/<name>.json`` in the
shape of CONTRACT.md. Benchmarks run against PostgreSQL and Redis (``DATABASE_URL`` /
``REDIS_URL``; the Makefile points them at this machine's servers unless they are set), never
the embedded defaults.
"""
