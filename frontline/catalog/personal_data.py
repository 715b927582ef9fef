"""The catalog's part of a data export and erasure: holds kept for the customer, and the sizes
they wait for. Holds stay (stock was set aside) without their notes; watches go."""

from __future__ import annotations

from typing import Any

from frontline.catalog.models import BackInStockWatch, Hold, HoldRequest
from frontline.privacy.registry import rows


def catalog_personal_data_export(customer_id: int) -> dict[str, Any]:
    return {
        "holds": rows(Hold.objects.filter(customer_id=customer_id)),
        "hold_requests": rows(HoldRequest.objects.filter(hold__customer_id=customer_id)),
        "back_in_stock_watches": rows(BackInStockWatch.objects.filter(customer_id=customer_id)),
    }


def catalog_personal_data_erase(customer_id: int) -> None:
    Hold.objects.filter(customer_id=customer_id).update(pickup_note="")
    HoldRequest.objects.filter(hold__customer_id=customer_id).update(reason="")
    BackInStockWatch.objects.filter(customer_id=customer_id).delete()
