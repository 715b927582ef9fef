"""Writes of the privacy domain: the audit trail of personal-data reads and changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.db import connection
from django.db.models import Field, QuerySet

from frontline.core.batching import Statement, compiled
from frontline.privacy.models import AccessAction, PersonalDataAccess


def personal_data_access_record(
    *, staff_id: int | None, customer_id: int | None, action: AccessAction, detail: str = ""
) -> PersonalDataAccess:
    """Record that a staff member read or changed a customer's personal data.

    Written in the request's own transaction, not after commit: a read that is shown must be
    on the record even if something later in the request fails.
    """
    return PersonalDataAccess.objects.create(
        staff_id=staff_id, customer_id=customer_id, action=action, detail=detail[:200]
    )


def personal_data_listing_record(
    *, staff_id: int, customer_ids: Iterable[int], action: AccessAction = AccessAction.LISTED
) -> None:
    """Record that a staff member saw these customers' names and contact details in a list.

    One row per customer, so that "who saw my data" (``accesses_to_customer``) includes the
    search results a customer appeared in; one INSERT for the whole list.
    """
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(staff_id=staff_id, customer_id=customer_id, action=action)
        for customer_id in customer_ids
    )


def personal_data_access_statement(
    *, staff_id: int, customers: QuerySet[Any], action: AccessAction
) -> Statement:
    """SQL that records ``action`` by the staff member on each customer ``customers`` finds.

    For a read whose answer comes from one SQL statement (see
    ``frontline.core.batching.PreparedBatch``): recorded in that same statement, a read is
    on the record exactly when it was answered, at the statement's own time.
    """
    sql, params, _names = compiled(customers.values("pk"))
    fields = ("staff", "customer", "action", "detail", "accessed_at")
    columns = [
        connection.ops.quote_name(str(cast(Field, PersonalDataAccess._meta.get_field(name)).column))
        for name in fields
    ]
    table = connection.ops.quote_name(PersonalDataAccess._meta.db_table)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (names from the model)
        f"SELECT %s, found.id, %s, '', STATEMENT_TIMESTAMP() FROM ({sql}) AS found (id)",
        (staff_id, action.value, *params),
    )
