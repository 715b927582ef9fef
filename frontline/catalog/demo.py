"""The demo brand's holds: every associate keeps a few items aside for customers of their book,
one of them running out within hours, so that "my day" shows a hold expiring today from the
first sign-in.

Written like the rest of the demo, with the ORM and deterministic for a seed: the held units
are counted in the store's stock (``reserved``) exactly as the catalog's service counts them,
without the timeline entries the service writes (the timeline's rows are the generated history
the demo's checksum covers).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from frontline.catalog.models import Hold, StockLevel
from frontline.customers.models import Customer
from frontline.staff.models import Store, User

HOLDS_PER_ASSOCIATE = 3
SOON = timedelta(hours=2)  # the first hold of each associate: expires today, on "my day"
LATER = timedelta(days=2)
CANDIDATE_STOCK = 200


def demo_holds_seed(
    *, associates_by_store: dict[Store, list[User]], seed: int, now: datetime | None = None
) -> int:
    """Place a few holds for each associate's customers at their store; how many were placed."""
    now = now or timezone.now()
    rng = random.Random(f"frontline-demo:holds:{seed}")
    placed = 0
    with transaction.atomic():
        for store, associates in associates_by_store.items():
            stock = list(
                StockLevel.objects.filter(store=store, on_hand__gt=F("reserved"))
                .order_by("pk")
                .values_list("pk", "variant_id")[:CANDIDATE_STOCK]
            )
            for associate in associates:
                placed += _holds_for(associate, store, stock, rng, now)
    return placed


def _holds_for(
    associate: User,
    store: Store,
    stock: list[tuple[int, int]],
    rng: random.Random,
    now: datetime,
) -> int:
    book = list(
        Customer.objects.filter(
            preferred_associate=associate, preferred_store=store, merged_into__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:50]
    )
    count = min(HOLDS_PER_ASSOCIATE, len(book), len(stock))
    placed = 0
    for number, (customer_id, (stock_id, variant_id)) in enumerate(
        zip(rng.sample(book, count), rng.sample(stock, count), strict=True)
    ):
        # Only where a unit is still free: two associates may pick the same line of stock.
        if not StockLevel.objects.filter(pk=stock_id, on_hand__gt=F("reserved")).update(
            reserved=F("reserved") + 1
        ):
            continue
        Hold.objects.create(
            customer_id=customer_id,
            variant_id=variant_id,
            store=store,
            quantity=1,
            expires_at=now + (SOON if number == 0 else LATER),
            pickup_note="Set aside at the till",
            created_by=associate,
        )
        placed += 1
    return placed
