"""The notifications' part of a data export and erasure: what staff were told about a customer.

A notification names its customer in its text ("Ada Lovelace checked in", "For Ada Lovelace: 1 x
Merino crew"); erasure keeps the notification (the recipients' lists and read marks stay whole)
and replaces that text, which is all that is personal in it, with a neutral line.
"""

from __future__ import annotations

from typing import Any

from frontline.notifications.models import Notification
from frontline.privacy.registry import rows

ERASED_TITLE = "About a customer whose personal data was erased"


def notifications_personal_data_export(customer_id: int) -> dict[str, Any]:
    return {"notifications": rows(Notification.objects.filter(customer_id=customer_id))}


def notifications_personal_data_erase(customer_id: int) -> None:
    # The link goes too: what it opened (the profile, the hold) holds nothing of them now.
    Notification.objects.filter(customer_id=customer_id).update(
        title=ERASED_TITLE, body="", link=""
    )
