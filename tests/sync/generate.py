"""Deterministic ERP export files for the crash test and the benchmarks (no randomness: the
same arguments always give the same bytes)."""

from __future__ import annotations

import csv
from pathlib import Path

CUSTOMER_COLUMNS = [
    "external_id",
    "number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "postcode",
    "country",
    "tier",
]
ORDER_COLUMNS = [
    "order_id",
    "number",
    "customer_id",
    "channel",
    "store",
    "placed_at",
    "currency",
    "total",
    "sku",
    "description",
    "quantity",
    "unit_price",
    "returned_quantity",
]
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
TIERS = ["member", "member", "member", "silver", "gold", "vip"]


def customer_row(n: int, *, version: int = 0) -> list[str]:
    last = LAST[n % len(LAST)] + ("" if version == 0 else f"-{version}")
    return [
        f"E{n}",
        f"N{n:09d}",
        FIRST[n % len(FIRST)],
        last,
        f"customer{n}@example.com",
        f"+44770{n:07d}",
        f"N{n % 20 + 1} {n % 9 + 1}AB",
        "GB",
        TIERS[n % len(TIERS)],
    ]


def write_customers(path: Path, count: int, *, start: int = 0) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CUSTOMER_COLUMNS)
        for n in range(start, start + count):
            writer.writerow(customer_row(n))
    return path


def write_orders(
    path: Path, lines: int, *, customers: int, lines_per_order: int = 5, skus: int = 500
) -> Path:
    """``lines`` order lines in orders of ``lines_per_order``, spread over the customers."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORDER_COLUMNS)
        for order in range(lines // lines_per_order):
            customer = (order * 7919) % customers
            prices = [(order + line) % 90 + 10 for line in range(lines_per_order)]
            total = f"{sum(prices)}.00"
            day = order % 28 + 1
            for line, price in enumerate(prices):
                writer.writerow(
                    [
                        f"O{order}",
                        f"SO{order:09d}",
                        f"E{customer}",
                        "online",
                        "",
                        f"2026-10-{day:02d}T12:00:00Z",
                        "GBP",
                        total,
                        f"SKU{(order + line) % skus:05d}",
                        "Item",
                        "1",
                        f"{price}.00",
                        "0",
                    ]
                )
    return path
