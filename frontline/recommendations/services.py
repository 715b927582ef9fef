"""Writes: the nightly recomputation of product similarities and popularity."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from itertools import groupby

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from frontline.orders.models import OrderLine
from frontline.recommendations.models import ProductPopularity, ProductSimilarity
from frontline.recommendations.similarity import item_similarities


def purchase_rows(before: datetime | None = None) -> Iterator[tuple[int, int, datetime]]:
    """(customer, product, placed_at) of every kept purchase, streamed in customer order.

    Lines returned in full are left out: a return says the product was not wanted.
    """
    lines = OrderLine.objects.filter(
        order__customer__isnull=False,
        variant__isnull=False,
        returned_quantity__lt=F("quantity"),
    )
    if before is not None:
        lines = lines.filter(order__placed_at__lt=before)
    yield from (
        lines.order_by("order__customer_id")
        .values_list("order__customer_id", "variant__product_id", "order__placed_at")
        .iterator(chunk_size=20_000)
    )


def customer_baskets(before: datetime | None = None) -> Iterator[set[int]]:
    for _customer, rows in groupby(purchase_rows(before), key=lambda row: row[0]):
        yield {product for _c, product, _at in rows}


def similarities_recompute(*, shrinkage: float = 10.0, top_k: int = 30) -> int:
    """Rebuild the similarity and popularity tables from all order history."""
    buyers: Counter[int] = Counter()

    def counted_baskets() -> Iterator[set[int]]:
        for basket in customer_baskets():
            buyers.update(basket)
            yield basket

    neighbours = item_similarities(counted_baskets(), shrinkage=shrinkage, top_k=top_k)
    now = timezone.now()
    rows = [
        ProductSimilarity(
            product_id=product, similar_id=similar, score=score, co_buyers=co, computed_at=now
        )
        for product, similar_products in neighbours.items()
        for similar, score, co in similar_products
    ]
    with transaction.atomic():
        ProductSimilarity.objects.all().delete()
        ProductSimilarity.objects.bulk_create(rows, batch_size=5000)
        ProductPopularity.objects.all().delete()
        ProductPopularity.objects.bulk_create(
            [ProductPopularity(product_id=p, buyers=n, computed_at=now) for p, n in buyers.items()],
            batch_size=5000,
        )
    return len(rows)
