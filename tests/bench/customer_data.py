"""What the customer benchmarks add to the demo data: one long-history customer.

The demo data itself (``seed_demo`` with N customers) is declared and prepared by the harness
(tests/bench/datasets.py). The profile benchmarks add one customer of store 1 with 1,000
interactions and 200 orders, the size the issue's budget names.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from frontline.customers.models import Customer, Interaction
from frontline.orders.models import Order, OrderLine
from frontline.staff.models import Store, User

HEAVY_NUMBER = "BENCH-HEAVY-1"
HEAVY_INTERACTIONS = 1_000
HEAVY_ORDERS = 200
ASSOCIATE = "associate1"


def associate() -> User:
    return User.objects.get(username=ASSOCIATE)


def heavy_customer() -> Customer:
    """A customer of the associate's store with the history size the budget is set for."""
    existing = Customer.objects.filter(number=HEAVY_NUMBER).first()
    if existing:
        return existing
    staff = associate()
    store = Store.objects.filter(assignments__user=staff).order_by("pk").first()
    now = timezone.now()
    rng = random.Random(3)
    with transaction.atomic():
        customer = Customer.objects.create(
            number=HEAVY_NUMBER, first_name="Heavy", last_name="History",
            email="heavy.history@example.com", phone="+447700999001", preferred_store=store,
            tier="vip", lifetime_value=Decimal("25000.00"), order_count=HEAVY_ORDERS,
        )  # fmt: skip
        Interaction.objects.bulk_create(
            Interaction(
                customer=customer,
                channel=rng.choice(["store", "email", "sms", "whatsapp", "online", "phone"]),
                kind=rng.choice(["visit", "message", "purchase", "inquiry", "thanks"]),
                sentiment=rng.choice(["positive", "neutral", "negative"]),
                sentiment_score=round(rng.uniform(-1, 1), 2),
                summary=f"Benchmark interaction {i}",
                occurred_at=now - timedelta(hours=7 * i),
                store=store,
            )
            for i in range(HEAVY_INTERACTIONS)
        )
        orders = Order.objects.bulk_create(
            Order(
                number=f"BENCH-HEAVY-{i}", customer=customer, channel="store", store=store,
                placed_at=now - timedelta(days=3 * i), total=Decimal("180.00"), source="pos",
                external_id=f"bench-heavy-{i}",
            )
            for i in range(HEAVY_ORDERS)
        )  # fmt: skip
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order, sku=f"SKU-{i}-{line}", description="Benchmark item", quantity=1,
                unit_price=Decimal("90.00"), returned_quantity=1 if (i + line) % 7 == 0 else 0,
            )
            for i, order in enumerate(orders)
            for line in range(2)
        )  # fmt: skip
    return customer
