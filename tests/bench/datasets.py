"""What data each benchmark needs, and making sure the database holds it before it runs.

Every ``bench_<name>.py`` declares ``DATA``: the data its ``run`` reads. Before a benchmark
runs, the harness asks that declaration what is missing from the database; when nothing is, the
data is reused, otherwise it is prepared (or, with ``--no-prepare``, the run stops with what is
missing and the command that prepares it). Benchmarks share one database and some of them
start from a clean slate of their own (the sync benchmarks empty the customers and orders and
leave their own import behind), so "the data is there" cannot be a row count: a benchmark
run after ``sync_full`` found 20,000 customers, took them for the demo's, and crashed on what
the demo has and the sync's customers do not (stores, logins, products, order lines).

The demo data is therefore recognised by a fingerprint recorded when the harness prepared it:
for every table the demo writes, the table's file (PostgreSQL gives a table a new one on
``TRUNCATE``, so ``flush`` and the sync benchmarks' fresh start change it) and how many rows it
held up to its highest id. Rows that benchmarks add on top (the long-history customer, their
staff members, the catalog fixture) come after that id and do not count, so adding them does
not cost the next benchmark a reseed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Model

from frontline.demo.services import data_already_present
from frontline.demo.tables import ALL_TABLES
from frontline.staff.models import Store, StoreAssignment, User

# Customers of the demo data per ``--scale``; the test of this module shrinks "small".
DEMO_CUSTOMERS: dict[str, int] = {"full": 1_000_000, "small": 20_000}
DEMO_OPTIONS: dict[str, int] = {"products": 300, "stores": 3, "seed": 1}
# Where the harness records what it prepared: not a Django model, so that ``manage.py flush``
# leaves the record of what was there to be compared with what is there now.
RECORD_TABLE = "bench_dataset"
RECORDED_KEYS = {"table", "file", "highest_id", "rows"}


class DataNotReady(Exception):
    """The database does not hold what a benchmark needs and it was not prepared."""


class Data(Protocol):
    """What one benchmark needs in the database before it runs."""

    def describe(self, scale: str) -> str:
        """The data in a few words, for messages and the report's params."""
        ...

    def missing(self, scale: str) -> str | None:
        """What is not there (in words), or None when the benchmark can run."""
        ...

    def prepare(self, scale: str) -> None:
        """Put the data there, replacing whatever stands in the way."""
        ...


@dataclass(frozen=True)
class Ready:
    """The data a benchmark ran on, as the harness writes it into the report's params."""

    description: str
    prepare_seconds: float | None  # None when the data was already there

    def as_params(self) -> dict[str, Any]:
        how = "reused" if self.prepare_seconds is None else f"prepared in {self.prepare_seconds} s"
        return {"description": self.description, "how": how}


def ensure(data: Data, *, benchmark: str, scale: str, prepare: bool) -> Ready:
    """Reuse the data when it is there, prepare it when allowed, or say what is missing."""
    description = data.describe(scale)
    missing = data.missing(scale)
    if missing is None:
        return Ready(description, prepare_seconds=None)
    if not prepare:
        raise DataNotReady(
            f"it needs {description}, and {missing}. Prepare it with: "
            f"{prepare_command(benchmark, scale)}"
        )
    print(f"bench: {benchmark}: preparing {description} ({missing})", flush=True)
    started = time.perf_counter()
    try:
        data.prepare(scale)
    except CommandError as error:  # seed_demo and flush say what went wrong in words
        raise DataNotReady(f"preparing {description} failed: {error}") from error
    still_missing = data.missing(scale)
    if still_missing is not None:
        raise DataNotReady(f"{description} was prepared, but {still_missing}")
    return Ready(description, prepare_seconds=round(time.perf_counter() - started, 1))


def prepare_command(benchmark: str, scale: str) -> str:
    return (
        f"python -m tests.bench --only {benchmark} --scale {scale} --prepare-only "
        "(with the same DATABASE_URL)"
    )


@dataclass(frozen=True)
class OwnData:
    """A benchmark that builds the data it measures inside its run (nothing to check before)."""

    what: str

    def describe(self, scale: str) -> str:
        return self.what

    def missing(self, scale: str) -> str | None:
        return None

    def prepare(self, scale: str) -> None:
        return None


@dataclass(frozen=True)
class DemoData:
    """``seed_demo`` at the scale's number of customers, alone in the benchmark database."""

    customers_by_scale: Mapping[str, int] = field(default_factory=lambda: DEMO_CUSTOMERS)
    options: Mapping[str, int] = field(default_factory=lambda: DEMO_OPTIONS)
    name: str = "demo"

    def customers(self, scale: str) -> int:
        return self.customers_by_scale[scale]

    def wanted(self, scale: str) -> dict[str, int]:
        return {"customers": self.customers(scale), **self.options}

    def describe(self, scale: str) -> str:
        wanted = self.wanted(scale)
        return (
            f"the demo data (seed_demo: {wanted['customers']:,} customers, "
            f"{wanted['products']} products, {wanted['stores']} stores, seed {wanted['seed']})"
        )

    def missing(self, scale: str) -> str | None:
        if connection.vendor != "postgresql":
            return "the benchmarks' data is prepared on PostgreSQL only"
        record = recorded(self.name)
        where = f"database {connection.settings_dict['NAME']}"
        if record is None:
            return f"the harness has not prepared it in {where}"
        if record["wanted"] != self.wanted(scale):
            return f"{where} holds the demo data for {record['wanted']['customers']:,} customers"
        return fingerprint_difference(record["tables"])

    def prepare(self, scale: str) -> None:
        if connection.vendor != "postgresql":
            raise DataNotReady("the benchmarks run on PostgreSQL only: set DATABASE_URL")
        forget(self.name)
        present = data_already_present()
        if present:
            # The benchmark database is the benchmarks' own: another benchmark's data (a sync
            # import, the catalog fixture, a demo of another size) goes.
            print(f"bench: emptying the database first (it holds {', '.join(present)})", flush=True)
            call_command("flush", interactive=False, verbosity=0)
        call_command("seed_demo", customers=self.customers(scale), **self.options)
        with connection.cursor() as cursor:
            # A production database has been vacuumed by autovacuum long since: statistics for
            # the planner, and the visibility map that lets index-only scans skip the table.
            cursor.execute("VACUUM ANALYZE")
        record(self.name, self.wanted(scale), fingerprint(DEMO_MODELS))


# The tables seed_demo writes, and the stores and logins it creates before them.
DEMO_MODELS: tuple[type[Model], ...] = (
    Store,
    User,
    StoreAssignment,
    *(table.model for table in ALL_TABLES),
)


def fingerprint(models: tuple[type[Model], ...]) -> list[dict[str, Any]]:
    """Each table's file, highest id, and rows up to that id (a list: jsonb keeps no order)."""
    tables = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT coalesce(max(id), 0), count(*) FROM {quoted}")  # noqa: S608
            highest, rows = cursor.fetchone()
            tables.append(
                {
                    "table": table,
                    "file": table_file(cursor, table),
                    "highest_id": highest,
                    "rows": rows,
                }
            )
    return tables


def fingerprint_difference(expected: list[dict[str, Any]]) -> str | None:
    """How the tables differ from when they were recorded (the first difference), or None."""
    with connection.cursor() as cursor:
        for then in expected:
            table = then["table"]
            if table_file(cursor, table) != then["file"]:
                return f"{table} was emptied or rewritten since (TRUNCATE: flush, a sync benchmark)"
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT count(*) FROM {quoted} WHERE id <= %s", [then["highest_id"]])  # noqa: S608
            rows = cursor.fetchone()[0]
            if rows != then["rows"]:
                return f"{table} holds {rows:,} of the {then['rows']:,} rows prepared"
    return None


def table_file(cursor: Any, table: str) -> int | None:
    cursor.execute(
        "SELECT pg_relation_filenode(to_regclass(%s))", [connection.ops.quote_name(table)]
    )
    return cursor.fetchone()[0]


def ensure_record_table(cursor: Any) -> None:
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {RECORD_TABLE} (name text PRIMARY KEY, wanted jsonb NOT NULL,"
        " tables jsonb NOT NULL, prepared_at timestamptz NOT NULL DEFAULT now())"
    )


def recorded(name: str) -> dict[str, Any] | None:
    with connection.cursor() as cursor:
        ensure_record_table(cursor)
        cursor.execute(f"SELECT wanted, tables FROM {RECORD_TABLE} WHERE name = %s", [name])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    wanted, tables = (json.loads(v) if isinstance(v, str) else v for v in row)
    if not (isinstance(tables, list) and all(set(entry) >= RECORDED_KEYS for entry in tables)):
        return None  # written by an earlier version of this module: prepare again
    return {"wanted": wanted, "tables": tables}


def record(name: str, wanted: dict[str, int], tables: list[dict[str, Any]]) -> None:
    with connection.cursor() as cursor:
        ensure_record_table(cursor)
        cursor.execute(
            f"INSERT INTO {RECORD_TABLE} (name, wanted, tables) VALUES (%s, %s::jsonb, %s::jsonb)"  # noqa: S608
            " ON CONFLICT (name) DO UPDATE SET wanted = excluded.wanted,"
            " tables = excluded.tables, prepared_at = now()",
            [name, json.dumps(wanted), json.dumps(tables)],
        )


def forget(name: str) -> None:
    """Before preparing: a preparation that stops half-way must not leave the old record."""
    with connection.cursor() as cursor:
        ensure_record_table(cursor)
        cursor.execute(f"DELETE FROM {RECORD_TABLE} WHERE name = %s", [name])  # noqa: S608


DEMO = DemoData()
