"""Benchmarks: ``make bench`` (all) or ``make bench ONLY=<name>`` (one).

Each benchmark is a module ``tests/bench/bench_<name>.py`` defining::

    def run(options: argparse.Namespace) -> Report: ...

and the harness writes ``var/bench/<name>.json`` in the shape of CONTRACT.md. Benchmarks run
against PostgreSQL and Redis (``DATABASE_URL`` / ``REDIS_URL``; the Makefile points them at
this machine's servers unless they are set), never the embedded defaults.
"""
