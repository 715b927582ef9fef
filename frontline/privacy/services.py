"""Writes of the privacy domain: the audit trail of personal-data reads and changes."""

from __future__ import annotations

from collections.abc import Iterable

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
