"""Which Frontline customer a source's customer record belongs to.

Order of evidence: the record's own identity ``(source, external_id)``; then the brand's customer
number; then exact normalised e-mail and phone. When the evidence disagrees (the e-mail belongs
to one customer and the phone to another, several customers share the contact point, or the
contact point matches but the name clearly does not), the record is not merged: it becomes a new
customer and the doubt is reported back (``WriteOutcome.uncertain``) for a person to decide.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

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
