"""Writes of the privacy domain: the audit trail of personal-data reads and changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.db import connection
from django.db.models import Field, QuerySet

from frontline.core.batching import Statement, compiled
from frontline.privacy.context import client_address
from frontline.privacy.masking import mask_search_query
from frontline.privacy.models import AccessAction, PersonalDataAccess


def personal_data_access_record(
    *, staff_id: int | None, customer_id: int | None, action: AccessAction, detail: str = ""
) -> PersonalDataAccess:
    """Record that a staff member read or changed a customer's personal data.

    Written in the request's own transaction, not after commit: a read that is shown must be
    on the record even if something later in the request fails. The client's address is the
    current request's (see ``frontline.privacy.context``).
    """
    return PersonalDataAccess.objects.create(
        staff_id=staff_id,
        customer_id=customer_id,
        action=action,
        detail=detail[:200],
        ip_address=client_address(),
    )


def personal_data_search_record(*, staff_id: int, query: str) -> PersonalDataAccess | None:
    """Record that a staff member searched, with what they typed masked (names cut to their
    initial, contact points to their last digits): evidence of the search, not a copy of it.

    An empty query (the recently viewed list) is no search and records nothing.
    """
    if not query.strip():
        return None
    return personal_data_access_record(
        staff_id=staff_id,
        customer_id=None,
        action=AccessAction.SEARCHED,
        detail=mask_search_query(query),
    )


def personal_data_denial_record(
    *, staff_id: int, customer_reference: object, detail: str
) -> PersonalDataAccess:
    """Record that a staff member was refused (403) or not shown (404) a personal-data route.

    ``customer_reference`` is the URL's customer id as it came (text under the API); the row
    names the customer when one has that id, so that "who tried to see my data" includes it.
    """
    from frontline.customers.models import Customer  # the audit is imported by customers

    customer_id = None
    try:
        candidate = int(str(customer_reference))
    except ValueError:
        candidate = 0
    if 0 < candidate < 2**63 and Customer.objects.filter(pk=candidate).exists():
        customer_id = candidate
    return personal_data_access_record(
        staff_id=staff_id, customer_id=customer_id, action=AccessAction.ACCESS_DENIED, detail=detail
    )


def sign_in_record(*, staff_id: int | None, succeeded: bool, detail: str = "") -> None:
    """Record a staff sign-in or a failed attempt (with the account, when it exists)."""
    action = AccessAction.SIGNED_IN if succeeded else AccessAction.SIGN_IN_FAILED
    personal_data_access_record(staff_id=staff_id, customer_id=None, action=action, detail=detail)


def personal_data_listing_record(
    *, staff_id: int, customer_ids: Iterable[int], action: AccessAction = AccessAction.LISTED
) -> None:
    """Record that a staff member saw these customers' names and contact details in a list.

    One row per customer, so that "who saw my data" (``accesses_to_customer``) includes the
    search results a customer appeared in; one INSERT for the whole list.
    """
    address = client_address()
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            staff_id=staff_id, customer_id=customer_id, action=action, ip_address=address
        )
        for customer_id in customer_ids
    )


def personal_data_access_statement(
    *, staff_id: int, customers: QuerySet[Any], action: AccessAction, ip_address: str
) -> Statement:
    """SQL that records ``action`` by the staff member on each customer ``customers`` finds.

    For a read whose answer comes from one SQL statement (see
    ``frontline.core.batching.PreparedBatch``): recorded in that same statement, a read is
    on the record exactly when it was answered, at the statement's own time. PostgreSQL only
    (the address is cast to ``inet``); ``ip_address`` is usually a stand-in, replaced by the
    client's address, or None, when the statement runs.
    """
    sql, params, _names = compiled(customers.values("pk"))
    fields = ("staff", "customer", "action", "detail", "accessed_at", "ip_address")
    columns = [
        connection.ops.quote_name(str(cast(Field, PersonalDataAccess._meta.get_field(name)).column))
        for name in fields
    ]
    table = connection.ops.quote_name(PersonalDataAccess._meta.db_table)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (names from the model)
        f"SELECT %s, found.id, %s, '', STATEMENT_TIMESTAMP(), CAST(%s AS inet) "
        f"FROM ({sql}) AS found (id)",
        (staff_id, action.value, ip_address, *params),
    )
