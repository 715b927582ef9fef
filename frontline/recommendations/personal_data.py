"""The recommendations' part of a data export and erasure: the stored list is derived from the
customer's purchases, so it is exported as it stands and goes with an erasure (the nightly job
would otherwise keep a ranking of what an erased customer bought)."""

from __future__ import annotations

from typing import Any

from frontline.privacy.registry import rows
from frontline.recommendations.models import CustomerRecommendations


def recommendations_personal_data_export(customer_id: int) -> dict[str, Any]:
    return {
        "product_recommendations": rows(
            CustomerRecommendations.objects.filter(customer_id=customer_id)
        )
    }


def recommendations_personal_data_erase(customer_id: int) -> None:
    CustomerRecommendations.objects.filter(customer_id=customer_id).delete()
