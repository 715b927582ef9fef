"""Writes of the privacy domain: the audit trail of personal-data reads and changes."""

from __future__ import annotations

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
