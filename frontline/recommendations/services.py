"""Writes: the nightly recomputation of similar products and best sellers, in sparse matrices.

The order history is streamed from the database into numpy arrays (24 bytes a line), fitted by
``model.fit`` (capped fan-out, products in blocks) and the product tables are replaced in one
transaction. A customer's own list is not stored: it is scored when asked for, from their
history as it stands and these tables, so a purchase shows in the next list without a refresh.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from frontline.orders.models import OrderLine
from frontline.recommendations import model as recommender
from frontline.recommendations.models import ProductPopularity, ProductSimilarity, StoreBestSeller

CHUNK = 50_000
BEST_SELLERS_PER_STORE = 200
ONLINE = -1  # the "store" of online orders in the arrays


def kept_purchase_lines() -> QuerySet[OrderLine]:
    """Sold lines of known customers and products, not returned in full nor deleted.

    A line returned in full says the product was not wanted.
    """
    return OrderLine.objects.filter(
        order__customer__isnull=False,
        variant__isnull=False,
        quantity__gt=0,
        returned_quantity__lt=F("quantity"),
        order__deleted_at__isnull=True,
    )


def purchase_lines_of_customer(customer_id: int) -> Iterator[tuple[int, datetime]]:
    """(product, placed_at) of one customer's kept purchases, as they stand now."""
    return iter(
        kept_purchase_lines()
        .filter(order__customer_id=customer_id)
        .values_list("variant__product_id", "order__placed_at")
    )


def purchase_lines(
    before: datetime | None = None,
) -> Iterator[tuple[int, int, datetime, int | None]]:
    """(customer, product, placed_at, store) of every kept purchase line."""
    lines = kept_purchase_lines()
    if before is not None:
        lines = lines.filter(order__placed_at__lt=before)
    yield from lines.values_list(
        "order__customer_id", "variant__product_id", "order__placed_at", "order__store_id"
    ).iterator(chunk_size=CHUNK)


@dataclass(frozen=True)
class History:
    purchases: recommender.Purchases
    stores: np.ndarray


def history_from_database(before: datetime | None = None) -> History:
    """The order history as arrays, a chunk at a time: 20 bytes a line, never a list of all."""
    dtypes = (np.int32, np.int32, np.float64, np.int32)
    columns: tuple[list[np.ndarray], ...] = ([], [], [], [])
    chunk: list[tuple[int, int, float, int]] = []

    def flush() -> None:
        for n, (column, dtype) in enumerate(zip(columns, dtypes, strict=True)):
            column.append(np.fromiter((row[n] for row in chunk), dtype=dtype, count=len(chunk)))
        chunk.clear()

    for customer, product, placed_at, store in purchase_lines(before):
        chunk.append((customer, product, placed_at.timestamp(), ONLINE if store is None else store))
        if len(chunk) == CHUNK:
            flush()
    flush()
    customers, products, seconds, stores = (_concatenated(parts) for parts in columns)
    return History(recommender.Purchases(customers, products, seconds), stores)


def _concatenated(parts: list[np.ndarray]) -> np.ndarray:
    """One array from the chunks, which are let go as soon as they are copied."""
    whole = np.concatenate(parts)
    parts.clear()
    return whole


@dataclass(frozen=True)
class Recompute:
    lines: int
    customers: int
    products: int
    pairs: int
    seconds: float


def similarities_recompute(*, settings: recommender.Settings | None = None) -> Recompute:
    """Rebuild similar products, brand-wide popularity and each store's best sellers."""
    started = time.perf_counter()
    settings = settings or recommender.Settings()
    history = history_from_database()
    now = timezone.now()
    fitted = recommender.fit(history.purchases, now_seconds=now.timestamp(), settings=settings)
    # Every neighbour the model keeps is stored: the live list sums them as the model does.
    neighbours = fitted.neighbours.tocoo()
    products = fitted.matrices.product_ids
    buyers = np.diff(fitted.matrices.recency.tocsc().indptr)
    best_sellers = store_best_sellers(history, now_seconds=now.timestamp(), settings=settings)
    with transaction.atomic():
        ProductSimilarity.objects.all().delete()
        ProductSimilarity.objects.bulk_create(
            (
                ProductSimilarity(
                    product_id=int(products[row]),
                    similar_id=int(products[column]),
                    score=float(score),
                    computed_at=now,
                )
                for row, column, score in zip(
                    neighbours.row, neighbours.col, neighbours.data, strict=True
                )
            ),
            batch_size=5000,
        )
        ProductPopularity.objects.all().delete()
        ProductPopularity.objects.bulk_create(
            (
                ProductPopularity(
                    product_id=int(product), buyers=int(count), score=float(score), computed_at=now
                )
                for product, count, score in zip(products, buyers, fitted.popular, strict=True)
            ),
            batch_size=5000,
        )
        StoreBestSeller.objects.all().delete()
        StoreBestSeller.objects.bulk_create(
            (
                StoreBestSeller(store_id=store, product_id=product, score=score, computed_at=now)
                for store, product, score in best_sellers
            ),
            batch_size=5000,
        )
    return Recompute(
        lines=len(history.purchases),
        customers=len(fitted.matrices.customer_ids),
        products=len(products),
        pairs=neighbours.nnz,
        seconds=round(time.perf_counter() - started, 1),
    )


def store_best_sellers(
    history: History, *, now_seconds: float, settings: recommender.Settings
) -> list[tuple[int, int, float]]:
    """(store, product, recency-weighted lines) of each store's top sellers; online left out."""
    in_store = history.stores != ONLINE
    stores = history.stores[in_store]
    products = history.purchases.products[in_store]
    age_days = (now_seconds - history.purchases.seconds[in_store]) / recommender.SECONDS_PER_DAY
    weights = np.power(0.5, np.maximum(age_days, 0) / settings.half_life_days)
    pairs, inverse = np.unique(np.stack([stores, products], axis=1), axis=0, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=weights, minlength=len(pairs))
    found = []
    for store in np.unique(stores):
        mine = np.flatnonzero(pairs[:, 0] == store)
        best = mine[np.argsort(-totals[mine], kind="stable")[:BEST_SELLERS_PER_STORE]]
        found += [(int(store), int(pairs[i, 1]), float(totals[i])) for i in best]
    return found
