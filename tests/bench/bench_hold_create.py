"""Placing a hold on a 10M-row stock table (issue 4's budget: p95 <= 30 ms).

Measured: what ``POST /api/catalog/holds/`` does after parsing — find the customer among those
the associate may see, fetch variant and store, then ``hold_create`` (stock check, live ERP
check that falls back at once, conditional UPDATE of ``reserved``, the hold row, the timeline
entry). Baseline in the same run: lock the stock row with SELECT ... FOR UPDATE, check, save()
and create the hold. Every hold is cancelled afterwards so the stock is as it was.
"""

from __future__ import annotations

import random
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from frontline.catalog import services
from frontline.catalog.models import Hold, StockLevel, Variant
from frontline.catalog.selectors import findable_customer
from frontline.staff.models import Store
from tests.bench.catalog_fixture import CATALOG, loaded, sizes
from tests.bench.harness import Report, latency_summary, time_each

DATA = CATALOG


def run(options: Any) -> Any:
    variants, stores = sizes(options.scale)
    holds = 300 if options.scale == "full" else 100
    bench = loaded(options.scale)
    store = bench.stores[0]
    in_stock = list(
        StockLevel.objects.filter(store=store, on_hand__gt=F("reserved") + 1)
        .order_by("?")
        .values_list("variant_id", flat=True)[: 2 * holds + 20]
    )
    rng = random.Random(41)
    rng.shuffle(in_stock)
    measured_variants, baseline_variants = in_stock[:holds], in_stock[holds : 2 * holds]
    created: list[int] = []

    def place_hold(variant_id: int) -> None:
        customer = findable_customer(bench.associate, customer_id=bench.customer.pk)
        variant = Variant.objects.get(pk=variant_id)
        at_store = Store.objects.get(pk=store.pk)
        hold = services.hold_create(
            user=bench.associate,
            customer=customer,
            variant=variant,
            store=at_store,
            pickup_note="bench",
        )
        created.append(hold.pk)

    def lock_read_save(variant_id: int) -> None:
        with transaction.atomic():
            level = StockLevel.objects.select_for_update().get(store=store, variant_id=variant_id)
            if level.on_hand - level.reserved < 1:
                raise services.NotEnoughStock("gone")
            level.reserved += 1
            level.save()
            hold = Hold.objects.create(
                customer=bench.customer,
                variant_id=variant_id,
                store=store,
                quantity=1,
                expires_at=timezone.now() + timezone.timedelta(hours=48),
                created_by=bench.associate,
            )
        created.append(hold.pk)

    try:
        time_each(lambda v=v: place_hold(v) for v in in_stock[2 * holds : 2 * holds + 10])
        measured = latency_summary(time_each(lambda v=v: place_hold(v) for v in measured_variants))
        baseline = latency_summary(
            time_each(lambda v=v: lock_read_save(v) for v in baseline_variants)
        )
    finally:
        for hold in Hold.objects.filter(pk__in=created, status=Hold.Status.ACTIVE):
            services.hold_cancel(user=bench.associate, hold=hold)
    return Report(
        name="hold_create",
        params={
            "variants": variants,
            "stores": stores,
            "stock_rows": variants * stores,
            "holds": holds,
        },
        results=measured,
        baseline={"label": "select_for_update, check, save()", **baseline},
        budget={"p95_ms": {"max": 30}},
        notes="Every hold placed by the benchmark is cancelled at the end (stock released).",
    )
