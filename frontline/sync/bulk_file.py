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
spaces) or quarantines it with the same reason the generic path gives.

Sync reads and maps; the domains write. The seam is a table: once mapped, the file's records
are in a work table of this transaction shaped as the domain documents it (``customers.bulk``,
``orders.bulk``), and the domain lands them from there, as it lands a list of mapped records on
the record path, with the one identity matcher (``customers.identities``). A table rather than
rows, because carrying a million records out of PostgreSQL and back costs more than landing them.
Nothing here writes a domain's table (``tests/sync/test_domain_writes.py`` holds sync to it).

The whole file lands in one page (one transaction): a run killed in the middle rolls back and the
rerun does the file again, with the same result. Where the file cannot be read the same way as
the generic path reads it (a row of the wrong width, an order's rows not consecutive), nothing is
kept and the generic path takes the file.
"""

from __future__ import annotations

import csv
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from psycopg import sql

from frontline.core.upsert import WriteOutcome
from frontline.customers.bulk import STAGED_COLUMNS, customers_land_staged
from frontline.customers.models import Tier
from frontline.orders.bulk import LINE_FIELDS, RECORD_FIELDS, orders_land_staged
from frontline.orders.models import Order
from frontline.sync import mapping as m
from frontline.sync import seams, writers
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
# Work tables of one landing: the mapped records the domains land (temporary, dropped on
# commit; dropped here too, so that a transaction may land two files, as tests do). The
# domains' own work tables are theirs to replace (core.bulk_load.work_table).
WORK_TABLES = ("fd_orders", "fd_lines", "fd_clean")
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


def _landing(outcome: WriteOutcome, *, quarantined: int) -> Landing:
    """The run's counts of what a domain landed, with what this landing quarantined."""
    from frontline.sync.engine import Landing

    return Landing(
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        stored=quarantined,
        analysed=outcome.analysed,
    )


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


def land_customers(staged: StagedFile, run: Run) -> Landing:
    connector, header = staged.connector, staged.header
    t = lambda name: _trimmed(header, name)  # noqa: E731
    col = lambda name: _column(header, name)  # noqa: E731
    params: dict[str, Any] = {
        "ws": WHITESPACE,
        "email_shape": EMAIL_SHAPE,
        "tiers": sorted(Tier.values),
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
    # fd_clean now holds the mapped records (customers.bulk's STAGED_COLUMNS): the domain
    # lands them from there, as it lands a page of them on the record path.
    outcome = customers_land_staged(
        record_source=connector.source.record_source, records="fd_clean"
    )
    writers.record_doubts(connector.source, outcome)
    return _landing(outcome, quarantined=quarantined)


def _map_unclean_customers(staged: StagedFile, run: Run, params: dict[str, Any]) -> int:
    """Rows SQL could not map: the connector's mapping normalises them or says why not."""
    connector, header = staged.connector, staged.header
    rows = _raw_rows(staged, "row_no IN (SELECT row_no FROM fd_clean WHERE NOT clean)", params)
    quarantined = 0
    fields = STAGED_COLUMNS[1:]
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


# --- Orders -----------------------------------------------------------------------------


def land_orders(staged: StagedFile, run: Run) -> Landing:
    connector, header = staged.connector, staged.header
    t = lambda name: _trimmed(header, name)  # noqa: E731
    col = lambda name: _column(header, name)  # noqa: E731
    channel = f"CASE WHEN {col('channel')} = '' THEN 'online' ELSE {col('channel')} END"
    returned = col("returned_quantity")
    params: dict[str, Any] = {
        "ws": WHITESPACE,
        "moments": MOMENT_TEMPLATES,
        "channels": sorted(Order.Channel.values),
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
    quarantined = _map_unclean_orders(staged, run, params)
    # fd_orders and fd_lines now hold the mapped records (orders.bulk's ORDER_COLUMNS and
    # LINE_COLUMNS): the domain lands them from there, and says which it refused.
    landed = orders_land_staged(
        record_source=connector.source.record_source, orders="fd_orders", lines="fd_lines"
    )
    quarantined += _quarantine_refused_orders(staged, run, landed.refusals())
    if landed.outcome.created or landed.outcome.updated:  # a replay changes no actions
        for customer_ids in landed.active_customers():
            seams.customers_had_activity(customer_ids=customer_ids)
    return _landing(landed.outcome, quarantined=quarantined)


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


def _map_unclean_orders(staged: StagedFile, run: Run, params: dict[str, Any]) -> int:
    """Orders SQL could not map (returns among them): the connector's mapping normalises them
    or says why not. Returns how many were quarantined."""
    connector = staged.connector
    quarantined = 0
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
            orders.append(
                [first_row, last_row, raw["order_id"], *(record[f] for f in RECORD_FIELDS), True]
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
        columns = ["first_row", "last_row", "raw_id", *RECORD_FIELDS, "clean"]
        _copy_rows("fd_orders", columns, orders)
        _copy_rows("fd_lines", ["first_row", "line_no", *LINE_FIELDS, "clean"], lines)
    return quarantined


def _quarantine_refused_orders(
    staged: StagedFile, run: Run, refusals: Iterator[tuple[int, str]]
) -> int:
    """Orders the domain refused, quarantined with its reasons and the file's rows."""
    quarantined = 0
    for chunk in _chunks(refusals):
        reasons = dict(chunk)
        refused = "fd_orders WHERE first_row = ANY(%(refused)s)"
        raws = _raw_orders(staged, refused, {"refused": list(reasons)})
        failures = [(raw, reasons[first_row]) for first_row, raw in raws]
        quarantined += _quarantine(staged.connector, Entity.ORDERS, run, failures)
    return quarantined


LOADERS: dict[str, Callable[[StagedFile, Run], Landing]] = {
    Entity.CUSTOMERS: land_customers,
    Entity.ORDERS: land_orders,
}
