"""Landing a bulk load of customer records from a table: the set-wise form of ``customers_land``.

Sync's fast path for big files (``frontline.sync.bulk_file``) COPYs a file into a staging table
and maps it there; what it hands over is the name of a table of mapped records, as the record
path hands ``customers_land`` a list of them. The hand-over is a table rather than rows because
a million records cost seconds to carry through Python and back, and nothing here needs them
in Python: the landing is a few ``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE (…) IS
DISTINCT FROM (…)`` statements, so an unchanged record costs no write.

The records table (``STAGED_COLUMNS``, as ``customers_land``'s records but for birthdays and
tags): ``row_no``, the record's position in the feed (a later row of an external id is newer),
then ``external_id``, ``number`` and ``CUSTOMER_FIELDS``, each mapped exactly as the source's
mapping maps it. The table must outlive the call (a temporary table of the caller's
transaction does).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.utils import timezone

from frontline.core import bulk_load
from frontline.core.upsert import (
    TableSpec,
    UncertainMatch,
    UpsertResult,
    WriteOutcome,
    per_record_counts,
)
from frontline.customers.identities import resolve_staged
from frontline.customers.loading import CUSTOMER_FIELDS
from frontline.customers.models import Customer, CustomerIdentity
from frontline.customers.survivorship import bulk_survivors_sql

STAGED_COLUMNS = ("row_no", "external_id", "number", *CUSTOMER_FIELDS)
# The fields a file may leave empty without erasing the stored value (the tier always comes).
CONTACT_FIELDS = tuple(name for name in CUSTOMER_FIELDS if name != "tier")
SURVIVORS = ", ".join(bulk_survivors_sql(CONTACT_FIELDS, incoming="r", stored="c"))
# How the statements below upsert: the record path's keys and comparisons.
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
# The work table of the resolved records, one per external id (identities.resolve_staged).
RESOLVED = "bulk_customer_records"


def customers_land_staged(*, record_source: str, records: str) -> WriteOutcome:
    """Land a source's staged customer records (see the module's docstring): matched to known
    customers by ``identities.resolve_staged``, then upserted with their identities.

    Counts as ``customers_land`` counts; ``analysed`` names the tables that were rebuilt (and
    analysed) for a large load, and ``uncertain`` the doubts for a person, in feed order.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {records}")  # noqa: S608 - the caller's table
        total = int(cursor.fetchone()[0])
    resolve_staged(record_source=record_source, records=records, into=RESOLVED)
    with connection.cursor() as cursor:
        # As customers_land does: a record of an erased person (by identity or customer
        # number) would bring their data back while the source still has it. Left out.
        cursor.execute(
            f"DELETE FROM {RESOLVED} r USING customers_customer c "  # noqa: S608 - our table
            "WHERE c.id = r.customer_id AND c.erased_at IS NOT NULL"
        )
        erased = cursor.rowcount
        cursor.execute(f"ANALYZE {RESOLVED}")
    loads = {Customer._meta.db_table: total, CustomerIdentity._meta.db_table: total}
    with (
        bulk_load.rebuilt_after(loads, keys_of_empty_tables=True) as rebuilt,
        connection.cursor() as cursor,
    ):
        now = timezone.now()
        first_load = bulk_load.first_load(CUSTOMERS_SPEC, rebuilt)
        origin = {"source": record_source, "at": now.isoformat()}
        created, updated = bulk_load.upsert_counts(
            cursor,
            f"""
            INSERT INTO customers_customer AS target
                (number, {", ".join(CONTACT_FIELDS)}, field_sources, tier, deleted_at,
                 lifetime_value, order_count, created_at, updated_at)
            SELECT DISTINCT ON (coalesce(c.number, r.own_number))
                   coalesce(c.number, r.own_number), {SURVIVORS},
                   r.tier, NULL, 0, 0, %(now)s, %(now)s
            FROM {RESOLVED} r LEFT JOIN customers_customer c ON c.id = r.customer_id
            ORDER BY coalesce(c.number, r.own_number), r.row_no DESC
            """,  # noqa: S608 - our own column names
            CUSTOMERS_SPEC,
            {"now": now, "origin": json.dumps(origin)},
            first_load=first_load,
        )
        unchanged = 0 if first_load else _distinct_numbers(cursor) - created - updated
        linked_created, linked_updated = bulk_load.upsert_counts(
            cursor,
            f"""
            INSERT INTO customers_customeridentity AS target
                (source, external_id, customer_id, email, phone, deleted_at, first_seen_at,
                 last_synced_at)
            SELECT %(source)s, r.external_id, coalesce(r.customer_id, c.id), r.email, r.phone,
                   NULL, %(now)s, %(now)s
            FROM {RESOLVED} r
            LEFT JOIN customers_customer c ON r.customer_id IS NULL AND c.number = r.own_number
            """,  # noqa: S608 - our own table name
            IDENTITIES_SPEC,
            {"now": now, "source": record_source},
            first_load=bulk_load.first_load(IDENTITIES_SPEC, rebuilt),
        )
    # As customers_land counts: a new customer always brings a new identity; only identity
    # writes beyond those make more records "updated".
    linked = linked_created + linked_updated - created
    outcome = per_record_counts(
        UpsertResult(created=created, unchanged=unchanged + erased),
        total,
        also_written=max(0, linked),
    )
    outcome.uncertain = _doubts()
    outcome.analysed = set(rebuilt)
    return outcome


def _distinct_numbers(cursor: Any) -> int:
    """How many customers the records are (upserted or unchanged)."""
    cursor.execute(
        f"""
        SELECT count(DISTINCT coalesce(c.number, r.own_number))
        FROM {RESOLVED} r LEFT JOIN customers_customer c ON c.id = r.customer_id
        """  # noqa: S608 - our own table name
    )
    return int(cursor.fetchone()[0])


def _doubts() -> list[UncertainMatch]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.external_id, c.id, r.candidates, r.doubt FROM {RESOLVED} r "  # noqa: S608
            "JOIN customers_customer c ON c.number = r.own_number "
            "WHERE r.doubt IS NOT NULL ORDER BY r.row_no"
        )
        return [
            UncertainMatch(
                external_id=external_id,
                customer_id=customer_id,
                candidate_ids=candidates,
                reason=doubt,
            )
            for external_id, customer_id, candidates, doubt in cursor.fetchall()
        ]
