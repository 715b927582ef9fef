"""Which Frontline customer a source's customer record belongs to.

Order of evidence: the record's own identity ``(source, external_id)``; then the brand's customer
number; then exact normalised e-mail and phone. When the evidence disagrees (the e-mail belongs
to one customer and the phone to another, several customers share the contact point, or the
contact point matches but the name clearly does not), the record is not merged: it becomes a new
customer and the doubt is reported back (``WriteOutcome.uncertain``) for a person to decide.

One matcher, two forms: ``resolve_customers`` for a list of records, and ``resolve_staged`` for
a bulk load's table of them, which takes the first two kinds of evidence set-wise (a million
records' identities and numbers in two statements) and hands the records that only contact
points could match to ``resolve_customers`` itself, so that every doubt is decided here, once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from rapidfuzz import fuzz

from frontline.core.bulk_load import work_table
from frontline.core.upsert import rows_where_in
from frontline.customers.models import Customer, CustomerIdentity

# Below this token-sort similarity (0-100) two names are "clearly different" people.
NAME_SIMILARITY_FLOOR = 60
NUMBER_PREFIX = {"crm": "CRM", "ecommerce": "WEB", "erp": "ERP", "pos": "POS", "booking": "BKG"}


@dataclass
class Resolution:
    """For each record (by index): the existing customer id, or None for a new customer."""

    customer_ids: dict[int, int | None] = field(default_factory=dict)
    numbers: dict[int, str] = field(default_factory=dict)
    uncertain: dict[int, tuple[list[int], str]] = field(default_factory=dict)


def generated_number(record_source: str, external_id: str) -> str:
    """A customer number for a record that brings none, stable for the same source record."""
    prefix = NUMBER_PREFIX.get(record_source, "EXT")
    number = f"{prefix}-{external_id}"
    if len(number) <= 20:
        return number
    return f"{prefix}-{hashlib.sha1(external_id.encode()).hexdigest()[:16]}"  # noqa: S324


def _survivor_ids(ids: set[int]) -> dict[int, int]:
    """Customers merged into another are followed to the one that survived."""
    if not ids:
        return {}
    rows = rows_where_in(Customer, "id", ids, ("id", "merged_into_id"))
    return {customer_id: merged or customer_id for customer_id, merged in rows}


def _ids_by(column: str, values: set[str]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    if not values:
        return found
    rows = rows_where_in(Customer, column, values, ("id", column), null=("merged_into_id",))
    for customer_id, value in rows:
        found.setdefault(value, set()).add(customer_id)
    return found


def _names_differ(record: dict[str, Any], name: tuple[str, str]) -> bool:
    incoming = f"{record['first_name']} {record['last_name']}".strip().lower()
    known = f"{name[0]} {name[1]}".strip().lower()
    if not incoming or not known:
        return False
    return fuzz.token_sort_ratio(incoming, known) < NAME_SIMILARITY_FLOOR


def resolve_customers(record_source: str, records: list[dict[str, Any]]) -> Resolution:
    resolution = Resolution()
    external_ids = [record["external_id"] for record in records]
    known = dict(
        rows_where_in(
            CustomerIdentity,
            "external_id",
            external_ids,
            ("external_id", "customer_id"),
            equal={"source": record_source},
        )
    )
    survivors = _survivor_ids(set(known.values()))
    pending: list[int] = []
    for index, record in enumerate(records):
        resolution.numbers[index] = record.get("number") or generated_number(
            record_source, record["external_id"]
        )
        customer_id = known.get(record["external_id"])
        if customer_id is not None:
            resolution.customer_ids[index] = survivors.get(customer_id, customer_id)
        else:
            pending.append(index)
    if pending:
        _match_new_records(records, pending, resolution)
    return resolution


def _match_new_records(
    records: list[dict[str, Any]], pending: list[int], resolution: Resolution
) -> None:
    by_number = _ids_by("number", {resolution.numbers[index] for index in pending})
    by_email = _ids_by("email", {records[i]["email"] for i in pending if records[i]["email"]})
    by_phone = _ids_by("phone", {records[i]["phone"] for i in pending if records[i]["phone"]})
    candidates = set().union(*by_email.values(), *by_phone.values())
    names = {
        row[0]: (row[1], row[2])
        for row in rows_where_in(Customer, "id", candidates, ("id", "first_name", "last_name"))
    }
    for index in pending:
        record = records[index]
        number_ids = by_number.get(resolution.numbers[index], set())
        if number_ids:
            # The brand's own customer number is as strong as an identity.
            resolution.customer_ids[index] = min(number_ids)
            continue
        email_ids = by_email.get(record["email"], set())
        phone_ids = by_phone.get(record["phone"], set())
        found = email_ids | phone_ids
        doubt = ""
        if email_ids and phone_ids and not email_ids & phone_ids:
            doubt = "e-mail matches one customer, phone another"
        elif len(email_ids) > 1 or len(phone_ids) > 1:
            doubt = "several customers share this contact point"
        elif len(found) == 1 and _names_differ(record, names[next(iter(found))]):
            doubt = "contact point matches but the name clearly differs"
        if doubt:
            resolution.customer_ids[index] = None
            resolution.uncertain[index] = (sorted(found), doubt)
        else:
            resolution.customer_ids[index] = next(iter(found)) if found else None


# --- Set-wise, for a bulk load ---------------------------------------------------------

# Records of contact points matched at a time (resolve_customers reads their candidates).
CONTACT_POINT_CHUNK = 5000


def resolve_staged(*, record_source: str, records: str, into: str) -> None:
    """Resolve a bulk load's staged customer records, as ``resolve_customers`` resolves a list.

    ``records`` names a table of mapped records (row_no: the record's position in the feed;
    external_id, number, first_name, last_name, email, phone and the customer's other fields).
    ``into`` becomes the work table of one row per external id (the last row wins, as later
    lines of a feed are newer), with the record's columns and

    - ``own_number``: the record's customer number, or the one ``generated_number`` gives it;
    - ``customer_id``: the customer it belongs to (followed to the survivor of a merge), NULL
      for a new customer; ``known``: whether its identity was known already;
    - ``doubt``, ``candidates``: as ``Resolution.uncertain``, for a person to decide.
    """
    prefix = NUMBER_PREFIX.get(record_source, "EXT")
    with connection.cursor() as cursor:
        work_table(
            cursor,
            into,
            f"""
            SELECT DISTINCT ON (r.external_id) r.*,
                   CASE WHEN r.number <> '' THEN r.number
                        WHEN length(%(prefix)s || '-' || r.external_id) <= 20
                        THEN %(prefix)s || '-' || r.external_id END AS own_number,
                   coalesce(known.merged_into_id, i.customer_id) AS customer_id,
                   i.customer_id IS NOT NULL AS known,
                   NULL::text AS doubt, NULL::bigint[] AS candidates
            FROM {records} r
            LEFT JOIN customers_customeridentity i
                   ON i.source = %(source)s AND i.external_id = r.external_id
            LEFT JOIN customers_customer known ON known.id = i.customer_id
            ORDER BY r.external_id, r.row_no DESC
            """,  # noqa: S608 - our own table names
            {"prefix": prefix, "source": record_source},
        )
        # A number too long for SQL's form above is hashed, by the one function that does.
        cursor.execute(f"SELECT external_id FROM {into} WHERE own_number IS NULL")  # noqa: S608
        for (external_id,) in cursor.fetchall():
            cursor.execute(
                f"UPDATE {into} SET own_number = %s WHERE external_id = %s",  # noqa: S608
                [generated_number(record_source, external_id), external_id],
            )
        # The brand's customer number is as strong as an identity.
        cursor.execute(
            f"""
            UPDATE {into} r SET customer_id = c.id
            FROM customers_customer c
            WHERE NOT r.known AND c.number = r.own_number AND c.merged_into_id IS NULL
            """  # noqa: S608 - our own table name
        )
        _resolve_staged_contact_points(cursor, record_source, into)


def _resolve_staged_contact_points(cursor: Any, record_source: str, table: str) -> None:
    """New records whose e-mail or phone is an existing customer's: resolve_customers decides."""
    cursor.execute(
        f"""
        SELECT r.row_no, r.external_id, r.number, r.first_name, r.last_name, r.email, r.phone
        FROM {table} r
        WHERE NOT r.known AND r.customer_id IS NULL AND (
            (r.email <> '' AND EXISTS (SELECT FROM customers_customer c
                                       WHERE c.email = r.email AND c.merged_into_id IS NULL))
            OR (r.phone <> '' AND EXISTS (SELECT FROM customers_customer c
                                          WHERE c.phone = r.phone AND c.merged_into_id IS NULL)))
        ORDER BY r.row_no
        """  # noqa: S608 - our own table name
    )
    names = ("row_no", "external_id", "number", "first_name", "last_name", "email", "phone")
    matches = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for start in range(0, len(matches), CONTACT_POINT_CHUNK):
        chunk = matches[start : start + CONTACT_POINT_CHUNK]
        resolution = resolve_customers(record_source, chunk)
        for index, record in enumerate(chunk):
            candidates, doubt = resolution.uncertain.get(index, (None, None))
            cursor.execute(
                f"UPDATE {table} SET customer_id = %s, doubt = %s, candidates = %s "  # noqa: S608
                "WHERE row_no = %s",
                [resolution.customer_ids[index], doubt, candidates, record["row_no"]],
            )
