"""The orders domain's part of a data export. Orders are kept by an erasure, untouched: they
hold amounts, products and stores, and point at the customer row, which is anonymised."""

from __future__ import annotations

from typing import Any

from frontline.orders.models import Order, OrderLine
from frontline.privacy.registry import rows


def orders_personal_data_export(customer_id: int) -> list[dict[str, Any]]:
    orders = rows(Order.objects.filter(customer_id=customer_id))
    lines: dict[int, list[dict[str, Any]]] = {}
    for line in rows(OrderLine.objects.filter(order__customer_id=customer_id)):
        lines.setdefault(line["order_id"], []).append(line)
    return [{**order, "lines": lines.get(order["id"], [])} for order in orders]
