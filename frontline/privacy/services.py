"""Writes of the privacy domain: the audit trail of personal-data reads and changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from frontline.core.batching import Statement, compiled
from frontline.customers.models import Customer, CustomerIdentity
from frontline.privacy.context import client_address
from frontline.privacy.masking import mask_search_query
from frontline.privacy.models import (
    AccessAction,
    ErasureRequest,
    ErasureStatus,
    ErasureStep,
    ErasureStepStatus,
    PersonalDataAccess,
)
from frontline.privacy.registry import personal_data_sources
from frontline.privacy.signals import customer_erased
from frontline.staff.models import User


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
    *,
    staff_id: int,
    customer_ids: Iterable[int],
    action: AccessAction = AccessAction.LISTED,
    detail: str = "",
) -> None:
    """Record that a staff member saw these customers' names and contact details in a list
    (or, with another ``action``, what ``detail`` names of each of them).

    One row per customer, so that "who saw my data" (``accesses_to_customer``) includes the
    search results a customer appeared in; one INSERT for the whole list, none for an empty
    one.
    """
    address = client_address()
    rows = [
        PersonalDataAccess(
            staff_id=staff_id,
            customer_id=customer_id,
            action=action,
            detail=detail[:200],
            ip_address=address,
        )
        for customer_id in customer_ids
    ]
    # A list, not a generator: bulk_create opens a transaction for any generator, even an
    # empty one (an empty BEGIN and COMMIT on every home screen without unread replies).
    if rows:
        PersonalDataAccess.objects.bulk_create(rows)


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


# --- Data subject rights: export and erasure -------------------------------------------------


class ErasureRefused(Exception):
    """An erasure that must not happen; the message says why, for the manager."""


def customer_data_export(*, by: User, customer: Customer) -> dict[str, Any]:
    """Everything Frontline holds about the customer, as one JSON-ready bundle (GDPR art. 15
    and 20, CCPA "right to know"), each registered domain's data under its name.

    The export is on the audit trail before it is built, so the bundle lists it too.
    """
    personal_data_access_record(
        staff_id=by.pk, customer_id=customer.pk, action=AccessAction.EXPORTED
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "exported_by": by.get_username(),
        "customer_id": customer.pk,
        "customer_number": customer.number,
        "data": {source.name: source.export(customer.pk) for source in personal_data_sources()},
    }


EXPORT_FORMAT = "frontline-personal-data/1"


def customer_erase(*, by: User, customer_id: int) -> ErasureRequest:
    """Erase the customer's personal data (GDPR art. 17, CCPA deletion) and track the request.

    Each registered domain erases its part (see ``frontline.privacy.registry``), for the
    customer and every record merged into them (the same person). Orders, figures and the
    audit trail stay. Each connected system that knows the customer gets a step waiting for
    its confirmation, and is asked to erase its record where a write-back exists (the CRM,
    through the sync outbox). Raises ErasureRefused for a customer erased already: a second
    request never erases or writes back twice.
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
        if customer is None:
            raise ErasureRefused(gettext("There is no such customer."))
        if customer.erased_at is not None:
            raise ErasureRefused(
                gettext(
                    "Customer %(number)s was already erased on %(day)s; there is nothing left to "
                    "erase. The erasure request shows which systems have confirmed."
                )
                % {
                    "number": customer.number,
                    "day": format(timezone.localtime(customer.erased_at), "%d %b %Y"),
                }
            )
        people = _merge_group(customer.pk)
        systems = _records_in_connected_systems(people)
        erasure = ErasureRequest.objects.create(
            customer=customer, customer_number=customer.number, requested_by=by
        )
        personal_data_access_record(
            staff_id=by.pk,
            customer_id=customer.pk,
            action=AccessAction.ERASED,
            detail=f"erasure request {erasure.pk} ({len(people)} record(s))",
        )
        for person in people:
            for source in personal_data_sources():
                if source.erase is not None:
                    source.erase(person)
        ErasureStep.objects.create(
            request=erasure,
            system=FRONTLINE,
            status=ErasureStepStatus.DONE,
            detail="Personal fields anonymised, free texts and preferences removed.",
            confirmed_at=timezone.now(),
            confirmed_by=by,
        )
        asked = _ask_connected_systems(erasure, customer.pk, systems)
        ErasureStep.objects.bulk_create(
            ErasureStep(
                request=erasure,
                system=system,
                external_ids=external_ids,
                status=ErasureStepStatus.WAITING,
                detail=asked.get(system, NO_WRITE_BACK),
            )
            for system, external_ids in sorted(systems.items())
        )
        _complete_if_confirmed(erasure)
    return erasure


FRONTLINE = "frontline"
NO_WRITE_BACK = (
    "Frontline cannot write to this system: erase the record there, then confirm here "
    "(or sync confirms when the system reports the record deleted)."
)


def _merge_group(customer_id: int) -> list[int]:
    """The customer and every record merged into them, however many merges deep."""
    group, frontier = [customer_id], [customer_id]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)
        )
        group.extend(frontier)
    return group


def _records_in_connected_systems(people: list[int]) -> dict[str, list[str]]:
    systems: dict[str, list[str]] = {}
    for source, external_id in (
        CustomerIdentity.objects.filter(customer_id__in=people)
        .exclude(source=FRONTLINE)
        .order_by("source", "external_id")
        .values_list("source", "external_id")
    ):
        systems.setdefault(source, []).append(external_id)
    return systems


def _ask_connected_systems(
    erasure: ErasureRequest, customer_id: int, systems: dict[str, list[str]]
) -> dict[str, str]:
    asked: dict[str, str] = {}
    for _receiver, answer in customer_erased.send(
        sender=ErasureRequest,
        erasure_id=erasure.pk,
        customer_id=customer_id,
        systems=sorted(systems),
    ):
        if isinstance(answer, dict):
            asked.update(answer)
    return asked


def erasure_step_confirm(*, step: ErasureStep, by: User | None, detail: str) -> ErasureStep:
    """A system confirmed it erased its record (an admin says so, or sync saw the deletion)."""
    with transaction.atomic():
        updated = ErasureStep.objects.filter(pk=step.pk, status=ErasureStepStatus.WAITING).update(
            status=ErasureStepStatus.DONE,
            confirmed_at=timezone.now(),
            confirmed_by=by,
            detail=detail[:300],
        )
        if updated:
            _complete_if_confirmed(step.request)
    step.refresh_from_db()
    return step


def erasure_confirmations_collect() -> int:
    """Confirm the waiting steps whose every record the system has since deleted (sync marks
    an identity deleted when its source says so). Returns how many steps were confirmed."""
    confirmed = 0
    waiting = ErasureStep.objects.filter(status=ErasureStepStatus.WAITING).select_related("request")
    for step in waiting.iterator(chunk_size=200):
        live = CustomerIdentity.objects.filter(
            source=step.system, external_id__in=step.external_ids, deleted_at__isnull=True
        )
        if not live.exists():
            erasure_step_confirm(step=step, by=None, detail="The system deleted its record.")
            confirmed += 1
    return confirmed


def _complete_if_confirmed(erasure: ErasureRequest) -> None:
    if erasure.steps.exclude(status=ErasureStepStatus.DONE).exists():
        return
    ErasureRequest.objects.filter(pk=erasure.pk, status=ErasureStatus.IN_PROGRESS).update(
        status=ErasureStatus.COMPLETED, completed_at=timezone.now()
    )
    erasure.refresh_from_db()
