"""PostgreSQL fast path for a whole file-drop CSV of customers or orders.

The generic path reads a file page by page in Python and lands each page with a handful of
queries; at a million customers and five million order lines that is minutes of per-row Python
work. Here the file's bytes go straight into an unlogged staging table by ``COPY`` (PostgreSQL
parses the CSV), the mapping is done set-wise in SQL and the rows land with one
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE (…) IS DISTINCT FROM (…)`` per table, so an
unchanged row costs no write.

It must give the same result as the generic path, so SQL only maps values whose shape makes the
SQL expression provably equal to the Python mapping (an E.164 phone, an ASCII e-mail of the
common form, an ISO 8601 timestamp, a plain decimal…). A row with any other value goes through
the connector's own Python mapping — which normalises it (say, a phone number written with
spaces) or quarantines it with the same reason the generic path gives. Identities are matched the
same way: ``(source, external_id)`` and the customer number set-wise in SQL; a new record whose
e-mail or phone belongs to an existing customer is decided by the matcher itself, so uncertain
matches still go to the merge review queue.

The whole file lands in one page (one transaction): a run killed in the middle rolls back and the
rerun does the file again, with the same result. Where the file cannot be read the same way as
the generic path reads it (a row of the wrong width, an order's rows not consecutive), nothing is
kept and the generic path takes the file.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from psycopg import sql

from frontline.core.upsert import (
    TableSpec,
    UpsertResult,
    on_conflict,
    per_record_counts,
    returning_inserted,
)
from frontline.customers.identities import NUMBER_PREFIX, resolve_customers
from frontline.customers.loading import CUSTOMER_FIELDS, customer_figures_sql
from frontline.customers.models import Customer, CustomerIdentity, Tier
from frontline.customers.survivorship import bulk_survivors_sql
from frontline.orders.loading import LINE_COLUMNS, ORDER_COMPARE, replace_staged_lines_sql
from frontline.orders.models import Order, OrderLine
from frontline.sync import bulk_load, seams
from frontline.sync import mapping as m
from frontline.sync.models import Entity, QuarantinedRecord

if TYPE_CHECKING:
    from frontline.sync.connectors.base import Connector, Raw
    from frontline.sync.engine import Landing
    from frontline.sync.models import Run

logger = logging.getLogger("frontline.sync")

# Exactly the characters Python's str.strip() removes (the last one is U+3000; the search stops
# at U+FFFF to keep imports quick), so that btrim(value, WHITESPACE) in SQL is the mapping's
# .strip().
WHITESPACE = "".join(ch for ch in map(chr, range(0x10000)) if ch.isspace())
# The staged file and its order groups are unlogged tables in this schema (migration
# sync/0006), not temporary ones: PostgreSQL's parallel workers cannot read a temporary table,
# and typing five million staged rows is the landing's biggest piece of CPU work. Each backend
# names its own after its process id, so that they are as private to it as temporary tables.
WORK_SCHEMA = "sync_work"
# Work tables of one landing (temporary, dropped on commit; dropped here too after a failure).
WORK_TABLES = (
    "fd_written",
    "fd_orders",
    "fd_lines",
    "fd_clean",
    "fd_records",
    "fd_accepted",
    "fd_stage_lines",
)
CHUNK = 5000
# What _column gives for a column the file does not have: an empty value, as csv reads it.
ABSENT = "''"
# Staged row numbers drawn from their sequence this many at a time. They stay consecutive: only
# the session that staged the file draws from its table's own sequence. One at a time, each
# row updates the sequence (1 s of the 5 s that staging five million lines takes).
ROW_NUMBERS_CACHED = 100_000
# Sorts and hashes over a million rows stay in memory (set for the fast path's transactions
# only).
WORK_MEM = "256MB"

# Shapes for which the SQL expression equals the Python mapping (a subset of what the mapping
# accepts; anything else goes through the mapping itself). E-mail: ASCII only, so that lower()
# in SQL is str.lower(), and within what Django's EmailValidator accepts: each domain label
# starts and ends with a letter or digit (hyphens inside), a top-level domain of letters, and
# (checked beside it, see _email_shaped) at most 63 characters after the "@". No bounded
# repetition ({0,61}) and no capturing group: PostgreSQL then matches it with a small automaton,
# 0.9 s over a million addresses instead of 6.6 s.
EMAIL_SHAPE = (
    r"^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9]+(?:-+[A-Za-z0-9]+)*"
    r"(?:\.[A-Za-z0-9]+(?:-+[A-Za-z0-9]+)*)*\.[A-Za-z][A-Za-z]+$"
)
DIGITS = "0123456789"
# Moments the SQL reads as Python does: ISO 8601 with a "T", seconds, an optional fraction and
# a zone ("Z" or ±hh:mm); as digit templates ("9" for any digit).
MOMENT_TEMPLATES = [
    f"9999-99-99T99:99:99{fraction}{zone}"
    for fraction in ["", *("." + "9" * n for n in range(1, 7))]
    for zone in ("Z", "+99:99", "-99:99")
]


def applies(entity: str, path: Path, records_done: int) -> bool:
    """Whether a file is worth the fast path: big CSV files of customers or orders, from the start.

    Small drops (the demo feed's few lines) keep the page-by-page path and its live progress.
    """
    return (
        connection.vendor == "postgresql"
        and entity in LOADERS
        and path.suffix == ".csv"
        and records_done == 0
        and path.stat().st_size >= settings.SYNC_FAST_PATH_MIN_BYTES
    )


@dataclass(frozen=True)
class SessionTables:
    """This backend's staging tables, as quoted, schema-qualified SQL names."""

    stage: str
    groups: str

    @classmethod
    def of_this_session(cls) -> SessionTables:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        name = lambda kind: sql.Identifier(WORK_SCHEMA, f"{kind}_{pid}").as_string(  # noqa: E731
            connection.connection
        )
        return cls(stage=name("stage"), groups=name("groups"))


@dataclass
class StagedFile:
    """A file COPYed into the staging table, ready to land as one page."""

    connector: Connector
    entity: str
    header: list[str]
    records: int
    tables: SessionTables

    def land(self, run: Run) -> Landing:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        landing = LOADERS[self.entity](self, run)
        # After a failure the page's transaction is rolled back and the staging tables stay
        # until this session stages its next file, or another one finds this session gone.
        drop_stage(self.tables)
        logger.info(
            "fast path landed %s %s in %.1f s",
            self.records,
            self.entity,
            time.perf_counter() - started,
        )
        return landing


def stage(connector: Connector, entity: str, path: Path) -> StagedFile | None:
    """COPY the file into the staging table; None when the generic path must read it instead."""
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), None)
    if not header or len(set(header)) != len(header):
        return None
    tables = SessionTables.of_this_session()
    columns = sql.SQL(", ").join(map(sql.Identifier, header))
    stage_table = sql.SQL(tables.stage)
    try:
        # Inside: a database that refuses any of it (say, a user who may not create tables in
        # the work schema) declines the fast path, and the file goes page by page.
        with transaction.atomic(), connection.cursor() as cursor:
            drop_stage(tables)
            _drop_abandoned_stages()
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute(
                sql.SQL(
                    "CREATE UNLOGGED TABLE {stage} "
                    "(row_no bigint GENERATED ALWAYS AS IDENTITY (CACHE {cache}), {columns})"
                ).format(
                    stage=stage_table,
                    cache=sql.Literal(ROW_NUMBERS_CACHED),
                    columns=sql.SQL(", ").join(
                        sql.SQL("{} text").format(sql.Identifier(name)) for name in header
                    ),
                )
            )
            # FORCE_NOT_NULL: an empty field is '' as Python's csv module reads it, not NULL.
            statement = sql.SQL(
                "COPY {stage} ({columns}) FROM STDIN "
                "WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL ({columns}))"
            ).format(stage=stage_table, columns=columns)
            with path.open("rb") as handle, cursor.copy(statement) as copy:
                while block := handle.read(1 << 20):
                    copy.write(block)
            # The planner needs the staged table's size to join it by hash.
            cursor.execute(sql.SQL("ANALYZE {}").format(stage_table))
            records = _records(cursor, entity, header, tables)
    except (DatabaseError, UnicodeDecodeError) as error:
        # Nothing to drop: the rollback took back what this staging had made.
        logger.info("fast path declined %s: %s", path.name, str(error).splitlines()[0])
        return None
    if records is None:
        drop_stage(tables)
        return None
    return StagedFile(
        connector=connector, entity=entity, header=header, records=records, tables=tables
    )


def _records(cursor: Any, entity: str, header: list[str], tables: SessionTables) -> int | None:
    """How many records the staged file holds (orders: rows grouped), None if not readable here."""
    if entity != Entity.ORDERS:
        cursor.execute(f"SELECT count(*) FROM {tables.stage}")  # noqa: S608 - our own name
        return int(cursor.fetchone()[0])
    if "order_id" not in header:
        return None
    # The generic path groups *consecutive* rows of one order_id: the fast path groups by
    # order_id, which is the same only when each order's rows are consecutive and no two
    # orders share an external id once trimmed.
    with _parallel_plans(cursor):
        cursor.execute(
            f"""
            CREATE UNLOGGED TABLE {tables.groups} AS
            SELECT order_id AS raw_id, left(btrim(order_id, %s), 100) AS external_id,
                   min(row_no) AS first_row, max(row_no) AS last_row, count(*) AS lines
            FROM {tables.stage} GROUP BY order_id
            """,  # noqa: S608 - our own names
            [WHITESPACE],
        )
    cursor.execute(f"ANALYZE {tables.groups}")
    # Raw ids are distinct (the grouping's key), so two trimmed ids can only be equal where one
    # of them lost something to the trim: that side is the few rows that did, not all of them.
    cursor.execute(
        f"""
        SELECT count(*), count(*) FILTER (WHERE last_row - first_row + 1 <> lines),
               EXISTS (SELECT FROM {tables.groups} a JOIN {tables.groups} b
                       ON b.external_id = a.external_id AND b.raw_id <> a.raw_id
                       WHERE a.external_id <> a.raw_id)
        FROM {tables.groups}
        """  # noqa: S608 - our own names
    )
    groups, scattered, shared_ids = cursor.fetchone()
    if scattered or shared_ids:
        return None
    return int(groups)


def drop_stage(tables: SessionTables) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TABLE IF EXISTS {tables.stage}, {tables.groups}, {', '.join(WORK_TABLES)}"
        )


def _drop_abandoned_stages() -> None:
    """Drop the staging tables of backends that are gone (a worker killed between staging a
    file and landing it): unlike temporary tables, nothing else would. In name order, so that
    two sessions sweeping at once take the tables' locks in the same order."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT format('%%I.%%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname ~ '^(stage|groups)_[0-9]+$'
              AND NOT EXISTS (SELECT FROM pg_stat_activity a
                              WHERE a.pid::text = substring(c.relname FROM '_([0-9]+)$'))
            ORDER BY 1
            """,
            [WORK_SCHEMA],
        )
        abandoned = [name for (name,) in cursor.fetchall()]
        if abandoned:
            logger.info("dropping staging tables of ended sessions: %s", ", ".join(abandoned))
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(abandoned)}")


@contextmanager
def _parallel_plans(cursor: Any) -> Iterator[None]:
    """Let the statements inside run on parallel workers over the staged tables.

    The planner prices a value's typing (trims, shape checks, casts) at a fraction of what it
    costs, so by default it finds handing rows over from workers dearer than the work; the
    figures said otherwise (6.1 s serial, 4.0 s with two workers, typing five million
    staged lines). Reset after, so that no other statement of the landing changes plan; on an
    error the transaction's rollback undoes the SET LOCAL.
    """
    cursor.execute("SET LOCAL parallel_setup_cost = 0")
    cursor.execute("SET LOCAL parallel_tuple_cost = 0")
    yield
    cursor.execute("RESET parallel_setup_cost")
    cursor.execute("RESET parallel_tuple_cost")


# --- Helpers ----------------------------------------------------------------------------


def _column(header: list[str], name: str) -> str:
    """The staged column (table alias ``s``) as SQL text ('' when the file has no such column)."""
    identifier = sql.Identifier(name).as_string(connection.connection)
    return f"s.{identifier}" if name in header else ABSENT


def _trimmed(header: list[str], name: str) -> str:
    return f"btrim({_column(header, name)}, %(ws)s)"


def _raw_rows(staged: StagedFile, condition: str, params: dict[str, Any]) -> Iterator[Any]:
    """Staged rows (row_no first, then the file's columns) meeting ``condition``, in file order.

    A server-side cursor: however many rows need Python, only a chunk is held at a time.
    """
    columns = ", ".join(
        sql.Identifier(name).as_string(connection.connection) for name in staged.header
    )
    with connection.connection.cursor(name="fd_raw_rows") as cursor:
        cursor.itersize = CHUNK
        cursor.execute(
            f"SELECT row_no, {columns} FROM {staged.tables.stage} "  # noqa: S608 - our identifiers
            f"WHERE {condition} ORDER BY row_no",
            params,
        )
        yield from cursor


def _quarantine(
    connector: Connector, entity: str, run: Run, failures: list[tuple[Raw, str]]
) -> int:
    QuarantinedRecord.objects.bulk_create(
        [
            QuarantinedRecord(
                source=connector.source,
                entity=entity,
                run=run,
                external_id=connector.external_id(entity, raw),
                payload=raw,
                reason=reason,
            )
            for raw, reason in failures
        ],
        batch_size=1000,
    )
    return len(failures)


def _copy_rows(table: str, columns: list[str], rows: list[list[Any]]) -> None:
    with connection.cursor() as cursor:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


def _landing(
    created: int, unchanged: int, *, records: int, also_written: int, quarantined: int
) -> Landing:
    """The run's counts as the page-by-page writers count them, on whole-file figures."""
    from frontline.sync.engine import Landing

    counts = per_record_counts(
        UpsertResult(created=created, unchanged=unchanged), records, also_written=also_written
    )
    return Landing(
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        stored=quarantined,
    )


def _upsert_counts(
    cursor: Any,
    insert: str,
    spec: TableSpec,
    params: Any,
    *,
    keep: tuple[str, ...] = (),
    first_load: bool = False,
) -> tuple[int, int]:
    """(created, updated) of ``insert`` (an ``INSERT … SELECT``) upserting as ``spec`` says,
    counted in the database: only what changed is written. With ``keep``, the rows written go
    to the work table fd_written (inserted, *keep). ``first_load``: as _first_load says, a
    plain insert (the table may have no unique constraint to be ON CONFLICT's arbiter)."""
    tail = returning_inserted(keep) if first_load else on_conflict(spec, keep)
    statement = f"{insert} {tail.as_string(connection.connection)}"
    written = "written"
    if keep:
        cursor.execute(
            f"WITH written AS ({statement}) INSERT INTO fd_written SELECT * FROM written",  # noqa: S608
            params,
        )
        cursor.execute("ANALYZE fd_written")
        statement, written, params = "SELECT TRUE", "fd_written", None
    cursor.execute(
        f"WITH written AS ({statement}) "  # noqa: S608 - our own statement
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
        f"FROM {written}",
        params,
    )
    created, updated = cursor.fetchone()
    return int(created), int(updated)


def _first_load(spec: TableSpec, rebuilt: Collection[str]) -> bool:
    """Whether the upsert's table is empty and stays so but for this landing, so that no row
    of it can conflict (each landing's rows are distinct on the key by construction).

    Only a table in ``rebuilt``: the rebuild locked it (ACCESS EXCLUSIVE, until commit) before
    it looked, so its answer and this one agree, and only on such a table does the rebuild
    drop the unique constraints an ``ON CONFLICT`` would need.
    """
    return spec.table in rebuilt and bulk_load.is_empty(spec.table)


# Shape checks with translate() and substr(): PostgreSQL's regular expressions cost ~3 µs a
# value, which is seconds over five million order lines.


def _only_digits(text: str) -> str:
    return f"translate({text}, '{DIGITS}', '') = ''"


def _whole(text: str) -> str:
    """int from a plain whole number of at most 9 digits, else NULL."""
    if text == ABSENT:
        # A column the file lacks: PostgreSQL would fold ('')::int while planning, and fail.
        return "NULL::int"
    shaped = f"{text} <> '' AND length({text}) <= 9 AND {_only_digits(text)}"
    return f"CASE WHEN {shaped} THEN ({text})::int END"


def _decimal(text: str, digits: int, places: int = 2) -> str:
    """numeric from a plain decimal (at most ``digits`` digits before the point, 1 to
    ``places`` after it), else NULL; typed as the column keeps it, numeric(digits + places,
    places), so that a value the mapping puts beside it keeps its decimals too."""
    if text == ABSENT:
        return f"NULL::numeric({digits + places}, {places})"
    dot = f"strpos({text}, '.')"
    shaped = (
        f"CASE translate({text}, '{DIGITS}', '') "
        f"WHEN '' THEN length({text}) BETWEEN 1 AND {digits} "
        f"WHEN '.' THEN {dot} BETWEEN 2 AND {digits + 1} "
        f"AND length({text}) - {dot} BETWEEN 1 AND {places} "
        "ELSE false END"
    )
    return f"CASE WHEN {shaped} THEN ({text})::numeric({digits + places}, {places}) END"


def _email_shaped(text: str) -> str:
    """An e-mail address of EMAIL_SHAPE's form, at most 254 characters (the column), with a
    domain of at most 63 characters (so no label of it is longer either)."""
    return (
        f"({text} ~ %(email_shape)s AND length({text}) <= 254"
        f" AND length({text}) - strpos({text}, '@') <= 63)"
    )


def _phone_shaped(text: str) -> str:
    """E.164 as the mapping's own check has it: "+", then 7 to 15 digits, not starting with 0."""
    return (
        f"(left({text}, 1) = '+' AND substr({text}, 2, 1) <> '0'"
        f" AND length({text}) BETWEEN 8 AND 16 AND {_only_digits(f'substr({text}, 2)')})"
    )


def _letters(text: str, length: int) -> str:
    return (
        f"(length({text}) = {length} AND translate({text}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = '')"
    )


def _moment(text: str) -> str:
    """timestamptz from ISO 8601 text of a MOMENT_TEMPLATES shape with values in range, else
    NULL (nested CASEs: SQL does not promise to evaluate AND left to right)."""
    part = lambda start, size: f"substr({text}, {start}, {size})"  # noqa: E731
    in_range = (
        f"{part(1, 4)} <> '0000' AND {part(6, 2)} BETWEEN '01' AND '12'"
        f" AND {part(9, 2)} BETWEEN '01' AND '31' AND {part(12, 2)} <= '23'"
        f" AND {part(15, 2)} <= '59' AND {part(18, 2)} <= '59'"
        f" AND (right({text}, 1) = 'Z' OR (left(right({text}, 5), 2) <= '23'"
        f" AND right({text}, 2) <= '59'))"
    )
    day = f"{part(9, 2)}::int"
    last_day = (
        f"extract(day FROM make_date({part(1, 4)}::int, {part(6, 2)}::int, 1)"
        " + interval '1 month - 1 day')"
    )
    return (
        f"CASE WHEN translate({text}, '{DIGITS}', '9999999999') = ANY(%(moments)s) THEN"
        f" CASE WHEN {in_range} THEN"
        f" CASE WHEN {day} <= 28 OR {day} <= {last_day} THEN ({text})::timestamptz END END END"
    )


# --- Customers --------------------------------------------------------------------------

CUSTOMER_COLUMNS = ("external_id", "number", *CUSTOMER_FIELDS)
# How the fast path's statements upsert (the page-by-page writers' keys and comparisons).
# The fields a file may leave empty without erasing the stored value (the tier always comes).
CONTACT_FIELDS = tuple(name for name in CUSTOMER_FIELDS if name != "tier")
SURVIVORS = ", ".join(bulk_survivors_sql(CONTACT_FIELDS, incoming="l", stored="c"))
CUSTOMERS_SPEC = TableSpec(
    Customer,
    key=("number",),
    compare=(*CUSTOMER_FIELDS, "field_sources", "deleted_at"),
    stamps=("updated_at",),
)
IDENTITIES_SPEC = TableSpec(
    CustomerIdentity,
    key=("source", "external_id"),
    compare=("customer_id", "email", "phone", "deleted_at"),
    stamps=("last_synced_at",),
)


def land_customers(staged: StagedFile, run: Run) -> Landing:
    connector, header = staged.connector, staged.header
    source = connector.source
    t = lambda name: _trimmed(header, name)  # noqa: E731
    col = lambda name: _column(header, name)  # noqa: E731
    params: dict[str, Any] = {
        "ws": WHITESPACE,
        "email_shape": EMAIL_SHAPE,
        "tiers": sorted(Tier.values),
        "prefix": NUMBER_PREFIX.get(source.record_source, "EXT"),
        "source": source.record_source,
    }
    with connection.cursor() as cursor, _parallel_plans(cursor):
        # One typed row per staged row; `clean` says the SQL mapping is the Python mapping.
        # Free text is trimmed as str.strip() trims; a value checked against a shape is taken
        # as it is (one with spaces around it fails the shape and goes through the mapping).
        # OFFSET 0 keeps each trim computed once instead of once per use.
        cursor.execute(
            f"""
            CREATE TEMP TABLE fd_clean ON COMMIT DROP AS
            SELECT row_no, left(external_id, 100) AS external_id, left(number, 20) AS number,
                   left(first_name, 100) AS first_name, left(last_name, 100) AS last_name,
                   lower(email) AS email, phone, left(postcode, 16) AS postcode, country, tier,
                   external_id <> '' AND first_name <> ''
                   AND (email = '' OR {_email_shaped("email")})
                   AND (phone = '' OR {_phone_shaped("phone")})
                   AND (country = '' OR {_letters("country", 2)}) AND tier = ANY(%(tiers)s)
                   AS clean
            FROM (
                SELECT row_no, {t("external_id")} AS external_id, {t("number")} AS number,
                       {t("first_name")} AS first_name, {t("last_name")} AS last_name,
                       {col("email")} AS email, {col("phone")} AS phone,
                       {t("postcode")} AS postcode, {col("country")} AS country,
                       CASE WHEN {col("tier")} = '' THEN 'member' ELSE {col("tier")} END AS tier
                FROM {staged.tables.stage} s OFFSET 0
            ) trimmed
            """,  # noqa: S608 - only our own identifiers are interpolated
            params,
        )
    quarantined = _map_unclean_customers(staged, run, params)
    with connection.cursor() as cursor:
        # Last row of an external id wins, as later lines of a feed are newer.
        cursor.execute(
            """
            CREATE TEMP TABLE fd_records ON COMMIT DROP AS
            SELECT DISTINCT ON (c.external_id) c.*,
                   CASE WHEN c.number <> '' THEN c.number
                        WHEN length(%(prefix)s || '-' || c.external_id) <= 20
                        THEN %(prefix)s || '-' || c.external_id END AS own_number,
                   coalesce(known.merged_into_id, i.customer_id) AS customer_id,
                   i.customer_id IS NOT NULL AS known
            FROM fd_clean c
            LEFT JOIN customers_customeridentity i
                   ON i.source = %(source)s AND i.external_id = c.external_id
            LEFT JOIN customers_customer known ON known.id = i.customer_id
            ORDER BY c.external_id, c.row_no DESC
            """,
            params,
        )
        cursor.execute("SELECT count(*) FROM fd_clean")
        records = int(cursor.fetchone()[0])
        cursor.execute(
            "ALTER TABLE fd_records ADD COLUMN doubt text, ADD COLUMN candidates bigint[]"
        )
        # A number the mapping would hash (long external ids) comes from the matcher's function.
        cursor.execute("SELECT external_id FROM fd_records WHERE own_number IS NULL")
        for (external_id,) in cursor.fetchall():
            from frontline.customers.identities import generated_number

            cursor.execute(
                "UPDATE fd_records SET own_number = %s WHERE external_id = %s",
                [generated_number(source.record_source, external_id), external_id],
            )
        # The brand's customer number is as strong as an identity.
        cursor.execute(
            """
            UPDATE fd_records l SET customer_id = c.id
            FROM customers_customer c
            WHERE NOT l.known AND c.number = l.own_number AND c.merged_into_id IS NULL
            """
        )
        _match_contact_points(cursor, source.record_source)
        cursor.execute("ANALYZE fd_records")
    loads = {Customer._meta.db_table: records, CustomerIdentity._meta.db_table: records}
    with (
        bulk_load.rebuilt_after(loads, keys_of_empty_tables=True) as rebuilt,
        connection.cursor() as cursor,
    ):
        now = timezone.now()
        first_load = _first_load(CUSTOMERS_SPEC, rebuilt)
        created, updated = _upsert_counts(
            cursor,
            f"""
            INSERT INTO customers_customer AS target
                (number, {", ".join(CONTACT_FIELDS)}, field_sources, tier, deleted_at,
                 lifetime_value, order_count, created_at, updated_at)
            SELECT DISTINCT ON (coalesce(c.number, l.own_number))
                   coalesce(c.number, l.own_number), {SURVIVORS},
                   l.tier, NULL, 0, 0, %(now)s, %(now)s
            FROM fd_records l LEFT JOIN customers_customer c ON c.id = l.customer_id
            ORDER BY coalesce(c.number, l.own_number), l.row_no DESC
            """,  # noqa: S608 - our own column names
            CUSTOMERS_SPEC,
            {
                "now": now,
                "origin": json.dumps({"source": source.record_source, "at": now.isoformat()}),
            },
            first_load=first_load,
        )
        customers_unchanged = 0 if first_load else _distinct_numbers(cursor) - created - updated
        linked_created, linked_updated = _upsert_counts(
            cursor,
            """
            INSERT INTO customers_customeridentity AS target
                (source, external_id, customer_id, email, phone, deleted_at, first_seen_at,
                 last_synced_at)
            SELECT %(source)s, l.external_id, coalesce(l.customer_id, c.id), l.email, l.phone,
                   NULL, %(now)s, %(now)s
            FROM fd_records l
            LEFT JOIN customers_customer c ON l.customer_id IS NULL AND c.number = l.own_number
            """,
            IDENTITIES_SPEC,
            {"now": now, "source": source.record_source},
            first_load=_first_load(IDENTITIES_SPEC, rebuilt),
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.external_id, c.id, l.candidates, l.doubt FROM fd_records l "
            "JOIN customers_customer c ON c.number = l.own_number "
            "WHERE l.doubt IS NOT NULL ORDER BY l.row_no"
        )
        for external_id, customer_id, candidates, doubt in cursor.fetchall():
            seams.uncertain_match_record(
                source=source,
                external_id=external_id,
                customer_id=customer_id,
                candidate_ids=candidates,
                reason=doubt,
            )
    linked = linked_created + linked_updated - created
    landing = _landing(
        created,
        customers_unchanged,
        records=records,
        also_written=max(0, linked),
        quarantined=quarantined,
    )
    landing.analysed = set(rebuilt)
    return landing


def _distinct_numbers(cursor: Any) -> int:
    """How many customers the file's records are (upserted or unchanged); on a first load,
    simply as many as were inserted."""
    cursor.execute(
        """
        SELECT count(DISTINCT coalesce(c.number, l.own_number))
        FROM fd_records l LEFT JOIN customers_customer c ON c.id = l.customer_id
        """
    )
    return int(cursor.fetchone()[0])


def _map_unclean_customers(staged: StagedFile, run: Run, params: dict[str, Any]) -> int:
    """Rows SQL could not map: the connector's mapping normalises them or says why not."""
    connector, header = staged.connector, staged.header
    rows = _raw_rows(staged, "row_no IN (SELECT row_no FROM fd_clean WHERE NOT clean)", params)
    quarantined = 0
    fields = list(CUSTOMER_COLUMNS)
    for chunk in _chunks(rows):
        fixed, failures = [], []
        for row_no, *values in chunk:
            raw = dict(zip(header, values, strict=True))
            try:
                record = connector.map(Entity.CUSTOMERS, raw)
            except m.MappingError as error:
                failures.append((raw, str(error)))
                continue
            if len(record["email"]) > 254:
                # What the database says about it on the generic path.
                failures.append((raw, "refused: value too long for type character varying(254)"))
                continue
            fixed.append([row_no, *(record[name] for name in fields)])
        quarantined += _quarantine(connector, Entity.CUSTOMERS, run, failures)
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM fd_clean WHERE NOT clean AND row_no = ANY(%s)",
                [[row[0] for row in chunk]],
            )
        _copy_rows("fd_clean", ["row_no", *fields, "clean"], [[*row, True] for row in fixed])
    return quarantined


def _chunks(rows: Iterator[Any]) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(rows, CHUNK)):
        yield chunk


def _match_contact_points(cursor: Any, record_source: str) -> None:
    """New records whose e-mail or phone is an existing customer's: the matcher decides."""
    cursor.execute(
        """
        SELECT l.row_no, l.external_id, l.number, l.first_name, l.last_name, l.email, l.phone
        FROM fd_records l
        WHERE NOT l.known AND l.customer_id IS NULL AND (
            (l.email <> '' AND EXISTS (SELECT FROM customers_customer c
                                       WHERE c.email = l.email AND c.merged_into_id IS NULL))
            OR (l.phone <> '' AND EXISTS (SELECT FROM customers_customer c
                                          WHERE c.phone = l.phone AND c.merged_into_id IS NULL)))
        ORDER BY l.row_no
        """
    )
    names = ("row_no", "external_id", "number", "first_name", "last_name", "email", "phone")
    for chunk in _chunks(iter(cursor.fetchall())):
        records = [dict(zip(names, row, strict=True)) for row in chunk]
        resolution = resolve_customers(record_source, records)
        for index, record in enumerate(records):
            candidates, doubt = resolution.uncertain.get(index, (None, None))
            cursor.execute(
                "UPDATE fd_records SET customer_id = %s, doubt = %s, candidates = %s "
                "WHERE row_no = %s",
                [
                    resolution.customer_ids[index],
                    doubt,
                    None if candidates is None else list(candidates),
                    record["row_no"],
                ],
            )


# --- Orders -----------------------------------------------------------------------------

ORDER_FIELDS = (
    "external_id",
    "number",
    "customer_external_id",
    "channel",
    "store",
    "placed_at",
    "currency",
    "total",
    "kind",
    "original_external_id",
)
LINE_FIELDS = ("sku", "description", "quantity", "unit_price", "returned_quantity")
ORDERS_SPEC = TableSpec(Order, key=("source", "external_id"), compare=ORDER_COMPARE)


def land_orders(staged: StagedFile, run: Run) -> Landing:
    connector, header = staged.connector, staged.header
    source = connector.source
    t = lambda name: _trimmed(header, name)  # noqa: E731
    col = lambda name: _column(header, name)  # noqa: E731
    channel = f"CASE WHEN {col('channel')} = '' THEN 'online' ELSE {col('channel')} END"
    returned = col("returned_quantity")
    params: dict[str, Any] = {
        "ws": WHITESPACE,
        "moments": MOMENT_TEMPLATES,
        "channels": sorted(Order.Channel.values),
        "source": source.record_source,
    }
    with connection.cursor() as cursor, _parallel_plans(cursor):
        # One row per order, from its first line (as the generic path's grouping does). As for
        # customers: free text trimmed, shaped values as they are or through the mapping.
        cursor.execute(
            f"""
            CREATE TEMP TABLE fd_orders ON COMMIT DROP AS
            SELECT first_row, last_row, raw_id, external_id, left(number, 30) AS number,
                   customer_external_id, channel, store, placed_at, currency, total,
                   external_id <> '' AND number <> '' AND channel = ANY(%(channels)s)
                   AND {_letters("currency", 3)} AND placed_at IS NOT NULL
                   AND total IS NOT NULL AND plain_sale AS clean,
                   'sale'::text AS kind, ''::text AS original_external_id
            FROM (
                SELECT g.first_row, g.last_row, g.raw_id, g.external_id, {t("number")} AS number,
                       left({t("customer_id")}, 100) AS customer_external_id,
                       {channel} AS channel, left({t("store")}, 20) AS store,
                       {_moment(col("placed_at"))} AS placed_at,
                       CASE WHEN {col("currency")} = '' THEN 'GBP'
                            ELSE {col("currency")} END AS currency,
                       {_decimal(col("total"), 10)} AS total,
                       {col("kind")} IN ('', 'sale') AND {col("original_order_id")} = ''
                           AS plain_sale
                FROM {staged.tables.groups} g JOIN {staged.tables.stage} s
                     ON s.row_no = g.first_row
                OFFSET 0
            ) typed
            """,  # noqa: S608 - only our own identifiers are interpolated
            params,
        )
        cursor.execute(
            f"""
            CREATE TEMP TABLE fd_lines ON COMMIT DROP AS
            SELECT first_row, line_no, sku, description, quantity, unit_price, returned_quantity,
                   sku <> '' AND quantity >= 1 AND unit_price IS NOT NULL
                   AND returned_quantity <= quantity AS clean
            FROM (
                SELECT g.first_row, s.row_no - g.first_row + 1 AS line_no,
                       left({t("sku")}, 40) AS sku,
                       left({t("description")}, 200) AS description,
                       {_whole(col("quantity"))} AS quantity,
                       {_decimal(col("unit_price"), 10, places=4)} AS unit_price,
                       CASE WHEN {returned} = '' THEN 0 ELSE {_whole(returned)} END
                           AS returned_quantity
                FROM {staged.tables.stage} s
                JOIN {staged.tables.groups} g ON g.raw_id = {col("order_id")}
                OFFSET 0
            ) typed
            """,  # noqa: S608 - only our own identifiers are interpolated
            params,
        )
        # Statistics for the joins below: without them the planner takes a million rows
        # for a thousand and sorts where it should hash.
        cursor.execute("ANALYZE fd_orders")
        cursor.execute("ANALYZE fd_lines")
        cursor.execute(
            "UPDATE fd_orders SET clean = false WHERE clean AND first_row IN "
            "(SELECT first_row FROM fd_lines WHERE clean IS NOT TRUE)"
        )
    quarantined, returns_name_sales = _map_unclean_orders(staged, run, params)
    with connection.cursor() as cursor:
        # What the orders writer refuses (orders.loading._order_problem), and order numbers the
        # database would refuse as another order's.
        cursor.execute(
            """
            CREATE TEMP TABLE fd_accepted ON COMMIT DROP AS
            SELECT o.*, i.customer_id, st.id AS store_id, NULL::bigint AS original_id,
                   CASE WHEN o.customer_external_id <> '' AND i.customer_id IS NULL THEN 'customer'
                        WHEN o.store <> '' AND st.id IS NULL THEN 'store'
                        WHEN o.channel = 'store' AND o.store = '' THEN 'needs_store'
                        WHEN x.id IS NOT NULL THEN 'number' END AS problem
            FROM fd_orders o
            LEFT JOIN customers_customeridentity i
                   ON i.source = %(source)s AND i.external_id = o.customer_external_id
            LEFT JOIN staff_store st ON st.code = o.store
            LEFT JOIN orders_order x ON x.number = o.number
                   AND (x.source, x.external_id) <> (%(source)s, o.external_id)
            """,
            params,
        )
        # Within the file, the first order with a number lands and a later one is refused.
        cursor.execute(
            """
            UPDATE fd_accepted a SET problem = 'number'
            FROM (SELECT first_row, row_number() OVER (PARTITION BY number ORDER BY first_row) AS n
                  FROM fd_accepted WHERE problem IS NULL) d
            WHERE a.first_row = d.first_row AND d.n > 1
            """
        )
        if returns_name_sales:
            _find_original_sales(cursor, params)
        quarantined += _quarantine_refused_orders(staged, run, params)
        cursor.execute("ANALYZE fd_accepted")
        cursor.execute(
            "SELECT count(*), coalesce(sum(last_row - first_row + 1), 0) FROM fd_accepted "
            "WHERE problem IS NULL"
        )
        accepted, accepted_lines = map(int, cursor.fetchone())
        cursor.execute(
            "CREATE TEMP TABLE fd_written (inserted boolean, id bigint, external_id text) "
            "ON COMMIT DROP"
        )
    loads = {Order._meta.db_table: accepted, OrderLine._meta.db_table: accepted_lines}
    # The landing updates the customers' figures too (and so locks their rows anyway).
    writes = (Customer._meta.db_table,)
    with (
        bulk_load.rebuilt_after(loads, writes=writes, keys_of_empty_tables=True) as rebuilt,
        connection.cursor() as cursor,
    ):
        first_load = _first_load(ORDERS_SPEC, rebuilt)
        created, updated = _upsert_counts(
            cursor,
            """
            INSERT INTO orders_order AS target
                (source, external_id, number, customer_id, channel, kind, original_id,
                 store_id, placed_at, currency, total)
            SELECT %(source)s, external_id, number, customer_id, channel, kind, original_id,
                   store_id, placed_at, currency, total
            FROM fd_accepted WHERE problem IS NULL ORDER BY first_row
            """,
            ORDERS_SPEC,
            params,
            keep=("id", "external_id"),
            first_load=first_load,
        )
        # A new order has no lines to compare with: its lines go straight in, in the order the
        # page-by-page path writes them.
        cursor.execute(
            f"""
            INSERT INTO orders_orderline (order_id, {", ".join(LINE_COLUMNS)})
            SELECT w.id, v.id, l.sku, l.description, l.quantity, l.unit_price,
                   l.returned_quantity
            FROM fd_lines l
            JOIN fd_accepted a ON a.first_row = l.first_row AND a.problem IS NULL
            JOIN fd_written w ON w.external_id = a.external_id AND w.inserted
            LEFT JOIN catalog_variant v ON v.sku = l.sku
            ORDER BY w.id, l.line_no
            """  # noqa: S608 - only our own column names are interpolated
        )
        # The orders that were there before (none on a first load): their lines are replaced
        # where they differ.
        changed_orders = created if first_load else created + _replace_known_orders_lines(params)
    # After a first load the table holds this landing's orders only: no need to look them up.
    landed = (
        "customer_id IS NOT NULL"
        if first_load
        else "customer_id IN (SELECT customer_id FROM fd_accepted WHERE problem IS NULL)"
    )
    with connection.cursor() as cursor:
        if returns_name_sales:
            _link_returns_to_sales_of_the_file(cursor, params)
        cursor.execute(customer_figures_sql(landed))
    landing = _landing(
        created,
        accepted - created - updated,
        records=accepted,
        also_written=changed_orders - created,
        quarantined=quarantined,
    )
    landing.analysed = set(rebuilt)
    if landing.created or landing.updated:  # as the orders writer: a replay changes no actions
        # In page-sized sets, as the page-by-page path hands them over: a million customers'
        # ids in one task message would be the worker's biggest allocation.
        with connection.connection.cursor(name="fd_active_customers") as cursor:
            cursor.execute(
                "SELECT DISTINCT customer_id FROM fd_accepted "
                "WHERE problem IS NULL AND customer_id IS NOT NULL"
            )
            while rows := cursor.fetchmany(settings.SYNC_PAGE_SIZE):
                seams.customers_had_activity(customer_ids={row[0] for row in rows})
    return landing


def _replace_known_orders_lines(params: dict[str, Any]) -> int:
    """Replace the lines of the orders that were there before, where they differ; how many
    orders' lines were."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE fd_stage_lines ON COMMIT DROP AS
            SELECT o.id AS order_id, l.line_no, v.id AS variant_id, l.sku, l.description,
                   l.quantity, l.unit_price, l.returned_quantity
            FROM fd_lines l
            JOIN fd_accepted a ON a.first_row = l.first_row AND a.problem IS NULL
            JOIN orders_order o ON o.source = %(source)s AND o.external_id = a.external_id
            LEFT JOIN catalog_variant v ON v.sku = l.sku
            WHERE NOT EXISTS (
                SELECT FROM fd_written w WHERE w.external_id = a.external_id AND w.inserted
            )
            """,
            params,
        )
        cursor.execute("ANALYZE fd_stage_lines")
        cursor.execute(
            replace_staged_lines_sql(
                "fd_stage_lines", "SELECT count(DISTINCT order_id) FROM inserted"
            )
        )
        return int(cursor.fetchone()[0])


def _raw_orders(
    staged: StagedFile, condition: str, params: dict[str, Any]
) -> Iterator[tuple[int, Raw]]:
    """(first row, the order as the generic path reads it) for orders meeting ``condition``."""
    from frontline.sync.connectors.file_drop import group_order_lines

    header = staged.header
    order_id = sql.Identifier("order_id").as_string(connection.connection)
    rows = _raw_rows(staged, f"{order_id} IN (SELECT raw_id FROM {condition})", params)  # noqa: S608
    for _, group in itertools.groupby(rows, key=lambda row: row[1 + header.index("order_id")]):
        lines = list(group)
        dicts = (dict(zip(header, values, strict=True)) for _, *values in lines)
        yield lines[0][0], next(group_order_lines(dicts))


def _map_unclean_orders(staged: StagedFile, run: Run, params: dict[str, Any]) -> tuple[int, bool]:
    """Orders SQL could not map (returns among them): the connector's mapping normalises them
    or says why not. Returns how many were quarantined and whether a return names its sale
    (only a mapped order can: SQL maps plain sales)."""
    connector = staged.connector
    quarantined = 0
    names_sales = False
    for chunk in _chunks(_raw_orders(staged, "fd_orders WHERE NOT clean", params)):
        orders: list[list[Any]] = []
        lines: list[list[Any]] = []
        failures: list[tuple[Raw, str]] = []
        for first_row, raw in chunk:
            try:
                record = connector.map(Entity.ORDERS, raw)
            except m.MappingError as error:
                failures.append((raw, str(error)))
                continue
            last_row = first_row + len(record["lines"]) - 1
            names_sales = names_sales or bool(record["original_external_id"])
            orders.append(
                [first_row, last_row, raw["order_id"], *(record[f] for f in ORDER_FIELDS), True]
            )
            lines.extend(
                [first_row, number, *(line[f] for f in LINE_FIELDS), True]
                for number, line in enumerate(record["lines"], start=1)
            )
        quarantined += _quarantine(connector, Entity.ORDERS, run, failures)
        first_rows = [first_row for first_row, _ in chunk]
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM fd_orders WHERE first_row = ANY(%s)", [first_rows])
            cursor.execute("DELETE FROM fd_lines WHERE first_row = ANY(%s)", [first_rows])
        _copy_rows("fd_orders", ["first_row", "last_row", "raw_id", *ORDER_FIELDS, "clean"], orders)
        _copy_rows("fd_lines", ["first_row", "line_no", *LINE_FIELDS, "clean"], lines)
    return quarantined, names_sales


def _find_original_sales(cursor: Any, params: dict[str, Any]) -> None:
    """The sales the file's returns name: known already (linked on insert), in the file
    (linked after it, _link_returns_to_sales_of_the_file), or neither (refused, as the orders
    writer refuses them)."""
    cursor.execute(
        """
        UPDATE fd_accepted a SET original_id = x.id
        FROM orders_order x
        WHERE a.original_external_id <> '' AND x.source = %(source)s
          AND x.external_id = a.original_external_id AND x.kind = 'sale'
        """,
        params,
    )
    cursor.execute(
        """
        UPDATE fd_accepted a SET problem = 'original'
        WHERE a.problem IS NULL AND a.original_external_id <> '' AND a.original_id IS NULL
          AND NOT EXISTS (SELECT FROM fd_orders f
                          WHERE f.external_id = a.original_external_id AND f.kind = 'sale')
        """
    )


def _link_returns_to_sales_of_the_file(cursor: Any, params: dict[str, Any]) -> None:
    cursor.execute(
        """
        UPDATE orders_order o SET original_id = x.id
        FROM fd_accepted a, orders_order x
        WHERE a.problem IS NULL AND a.original_external_id <> '' AND a.original_id IS NULL
          AND o.source = %(source)s AND o.external_id = a.external_id
          AND x.source = %(source)s AND x.external_id = a.original_external_id
          AND x.kind = 'sale' AND o.original_id IS DISTINCT FROM x.id
        """,
        params,
    )


REFUSALS = {
    "customer": "unknown customer {customer!r} (sync customers first)",
    "store": "unknown store {store!r}",
    "needs_store": "an in-store order needs a store",
    # What PostgreSQL answers the generic path when it inserts a second order with a number.
    "number": 'refused: duplicate key value violates unique constraint "orders_order_number_key"',
    "original": "unknown original sale {original!r} (sync the sale first)",
}


def _quarantine_refused_orders(staged: StagedFile, run: Run, params: dict[str, Any]) -> int:
    """Orders the orders writer refuses, quarantined with its reasons."""
    quarantined = 0
    refused = "fd_accepted WHERE problem IS NOT NULL"
    for chunk in _chunks(_raw_orders(staged, refused, params)):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT first_row, problem, customer_external_id, store, original_external_id "
                "FROM fd_accepted "
                "WHERE first_row = ANY(%s)",
                [[first_row for first_row, _ in chunk]],
            )
            problems = {row[0]: row[1:] for row in cursor.fetchall()}
        failures = []
        for first_row, raw in chunk:
            problem, customer, store, original = problems[first_row]
            reason = REFUSALS[problem].format(customer=customer, store=store, original=original)
            failures.append((raw, reason))
        quarantined += _quarantine(staged.connector, Entity.ORDERS, run, failures)
    return quarantined


LOADERS: dict[str, Callable[[StagedFile, Run], Landing]] = {
    Entity.CUSTOMERS: land_customers,
    Entity.ORDERS: land_orders,
}
