"""The follow-ups' part of a data export and erasure: what was planned for the customer and what
came of it. Erasure keeps the follow-ups (the team's figures count them) without their words."""

from __future__ import annotations

from typing import Any

from frontline.followups.models import FollowUp, FollowUpEvent, Reason
from frontline.privacy.registry import rows

ERASED_TEXT = "Erased with the customer's data"


def followups_personal_data_export(customer_id: int) -> dict[str, Any]:
    return {
        "followups": rows(FollowUp.objects.filter(customer_id=customer_id)),
        "followup_history": rows(FollowUpEvent.objects.filter(followup__customer_id=customer_id)),
    }


def followups_personal_data_erase(customer_id: int) -> None:
    followups = FollowUp.objects.filter(customer_id=customer_id)
    followups.update(note="", snooze_reason="")
    # "Other" must say something (a constraint): it says the words are gone.
    followups.exclude(reason=Reason.OTHER).update(reason_text="")
    followups.filter(reason=Reason.OTHER).update(reason_text=ERASED_TEXT)
    # The history keeps who did what and when; what was written goes.
    FollowUpEvent.objects.filter(followup__customer_id=customer_id).update(data={})
