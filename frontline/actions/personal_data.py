"""The recommended actions' part of a data export and erasure. Suggestions are derived from the
profile and go; outcomes stay for the teams' figures, without the texts that describe the
customer (the reason, the associate's note, the facts behind them)."""

from __future__ import annotations

from typing import Any

from frontline.actions.models import ActionOutcome, ActionSuggestion
from frontline.privacy.registry import rows


def actions_personal_data_export(customer_id: int) -> dict[str, Any]:
    return {
        "recommended_actions": rows(ActionSuggestion.objects.filter(customer_id=customer_id)),
        "action_outcomes": rows(ActionOutcome.objects.filter(customer_id=customer_id)),
    }


def actions_personal_data_erase(customer_id: int) -> None:
    ActionSuggestion.objects.filter(customer_id=customer_id).delete()
    ActionOutcome.objects.filter(customer_id=customer_id).update(reason="", note="", data={})
