"""The surveys' part of a data export and erasure. Erasure keeps the answer's score (the
store's NPS counts it) without the comment or the address it was sent to."""

from __future__ import annotations

from typing import Any

from frontline.privacy.registry import rows
from frontline.surveys.models import Survey


def surveys_personal_data_export(customer_id: int) -> dict[str, Any]:
    # The token is left out: it is the key of a link, not something known about the customer.
    return {"surveys": rows(Survey.objects.filter(customer_id=customer_id), exclude=["token"])}


def surveys_personal_data_erase(customer_id: int) -> None:
    Survey.objects.filter(customer_id=customer_id).update(comment="", email="")
