"""Writes: the nightly recomputation of similar products, best sellers and customers' lists.

The order history is streamed from the database into numpy arrays (20 bytes a line), fitted by
``model.fit`` (capped fan-out, products in blocks); the product tables and every customer's
ranked list (``CustomerRecommendations``, written a block of customers at a time) are replaced
in one transaction. The profile panel reads the stored list: one indexed query instead of
scoring the history while the associate waits (2 s at the median, 7 s at p95 at 1M customers).
A purchase landing queues ``customer_list_refresh`` for its customer, which rescores that
customer alone from the product tables.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from frontline.customers.models import Customer
from frontline.orders.models import OrderLine
from frontline.recommendations import model as recommender
from frontline.recommendations.models import (
    CustomerRecommendations,
    ProductPopularity,
    ProductSimilarity,
    StoreBestSeller,
)

logger = logging.getLogger(__name__)

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


def purchase_lines(before: datetime | None = None) -> Iterator[tuple[int, int, float, int]]:
    """(customer, product, when in Unix seconds, store or ONLINE) of every kept purchase line."""
    lines = kept_purchase_lines()
    if before is not None:
        lines = lines.filter(order__placed_at__lt=before)
    fields = lines.values_list(
        "order__customer_id", "variant__product_id", "order__placed_at", "order__store_id"
    )
    if connection.vendor == "postgresql":
        yield from _copied_lines(fields)
        return
    for customer, product, placed_at, store in fields.iterator(chunk_size=CHUNK):
        yield customer, product, placed_at.timestamp(), ONLINE if store is None else store


def _copied_lines(
    fields: QuerySet[OrderLine, tuple[Any, ...]],
) -> Iterator[tuple[int, int, float, int]]:
    """The same rows through COPY, the time turned into seconds by the server.

    At 1M customers (4.6M lines) the ORM's iterator, a datetime and its converters a row, took
    three minutes of the nightly job; COPY of the same query streams them in seconds.
    """
    sql, params = fields.query.get_compiler(connection=connection).as_sql()
    statement = (
        "COPY (SELECT customer, product, EXTRACT(EPOCH FROM placed_at)::float8,"  # noqa: S608 - the ORM's own query, its values bound
        f" COALESCE(store, {ONLINE}) FROM ({sql}) AS line (customer, product, placed_at, store))"
        " TO STDOUT"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        copy.set_types(["int8", "int8", "float8", "int4"])
        yield from copy.rows()


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

    for line in purchase_lines(before):
        chunk.append(line)
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
    lists: int
    seconds: float


def similarities_recompute(*, settings: recommender.Settings | None = None) -> Recompute:
    """Rebuild similar products, popularity, each store's best sellers and every customer's list.

    The arrays are let go as soon as what follows no longer needs them (the stores after the
    best sellers, the lines after the fit and the last-purchase days), so the peak is the fit's
    and not the fit's on top of the raw history's.
    """
    started = time.perf_counter()

    def done(step: str) -> None:
        # Which step the job's time goes to, in the worker's log (the budget is for the whole).
        logger.info("similarities_recompute: %s at %.1f s", step, time.perf_counter() - started)

    settings = settings or recommender.Settings()
    history = history_from_database()
    done(f"{len(history.purchases):,} lines read")
    now = timezone.now()
    best_sellers = store_best_sellers(history, now_seconds=now.timestamp(), settings=settings)
    purchases = history.purchases
    del history
    fitted = recommender.fit(purchases, now_seconds=now.timestamp(), settings=settings)
    done("fitted")
    last_days = recommender.last_purchase_days(fitted.matrices, purchases)
    lines = len(purchases)
    del purchases
    with transaction.atomic():
        _replace_product_tables(fitted, best_sellers, now)
        done("product tables written")
        listed = customer_lists_replace(fitted, last_days, now)
    done(f"{listed:,} customers' lists written")
    return Recompute(
        lines=lines,
        customers=len(fitted.matrices.customer_ids),
        products=len(fitted.matrices.product_ids),
        pairs=fitted.neighbours.nnz,
        lists=listed,
        seconds=round(time.perf_counter() - started, 1),
    )


def _replace_product_tables(
    fitted: recommender.Model, best_sellers: list[tuple[int, int, float]], now: datetime
) -> None:
    # Every neighbour the model keeps is stored: a refresh sums them as the model does.
    neighbours = fitted.neighbours.tocoo()
    products = fitted.matrices.product_ids
    buyers = np.diff(fitted.matrices.recency.tocsc().indptr)
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


# --- Each customer's stored list --------------------------------------------------------

# How many ranked products are kept per customer: the panel shows 10 after the stock check,
# which drops what is not in their size nearby.
STORED_PER_CUSTOMER = 30


def customer_lists_replace(fitted: recommender.Model, last_days: np.ndarray, now: datetime) -> int:
    """Every customer with a history gets their list stored, a block of customers at a time.

    Called inside the nightly transaction: readers see yesterday's lists until it commits.
    Customers erased since their lines were read are skipped (their row would break the key).
    """
    CustomerRecommendations.objects.all().delete()
    stored = 0
    for block in recommender.ranked_lists(fitted, last_days, STORED_PER_CUSTOMER):
        ids = block.customer_ids.tolist()
        # The block's ids are sorted: one range, not 2,000 values bound and parsed a block.
        present = set(
            Customer.objects.filter(pk__range=(ids[0], ids[-1])).values_list("pk", flat=True)
        )
        rows = [
            (customer, entries)
            for customer, entries in zip(ids, entries_of(block), strict=True)
            if customer in present
        ]
        _write_lists(rows, now)
        stored += len(rows)
    return stored


Entry = list[int | float | None]


def entries_of(block: recommender.Lists) -> Iterator[list[Entry]]:
    """Each customer's ``[product, score, bought with, last bought day]``, scored above 0."""
    for products, scores, bought_with, last_day in zip(
        block.products.tolist(),
        np.round(block.scores, 4).tolist(),
        block.bought_with.tolist(),
        block.last_day.tolist(),
        strict=True,
    ):
        yield [
            # A product they bought is told as such ("bought before"), whatever goes with it.
            [product, score, with_ if with_ > 0 and not day else None, day or None]
            for product, score, with_, day in zip(
                products, scores, bought_with, last_day, strict=True
            )
            if score > 0 and score != float("inf")
        ]


def _write_lists(rows: list[tuple[int, list[Entry]]], now: datetime) -> None:
    if connection.vendor != "postgresql":
        CustomerRecommendations.objects.bulk_create(
            [CustomerRecommendations(customer_id=c, products=e, computed_at=now) for c, e in rows],
            batch_size=1000,
        )
        return
    # COPY: several times quicker than multi-row INSERTs for a million rows.
    table = CustomerRecommendations._meta.db_table
    statement = f"COPY {table} (customer_id, products, computed_at) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for customer, entries in rows:
            copy.write_row((customer, json.dumps(entries, separators=(",", ":")), now))


def customer_list_refresh(*, customer_id: int, now: datetime | None = None) -> int:
    """Recompute one customer's stored list from their history as it stands (after a purchase).

    Scored by the selectors' single-customer path from the nightly product tables, which sums
    what ``ranked_lists`` sums. Returns how many products the list holds; a customer with no
    kept purchase (or gone) has no row, and the panel falls back to best sellers.
    """
    from frontline.recommendations.selectors import customer_entries

    entries = customer_entries(customer_id=customer_id, now=now or timezone.now())
    if entries is None:
        CustomerRecommendations.objects.filter(customer_id=customer_id).delete()
        return 0
    CustomerRecommendations.objects.update_or_create(
        customer_id=customer_id,
        defaults={"products": entries[:STORED_PER_CUSTOMER], "computed_at": timezone.now()},
    )
    return len(entries[:STORED_PER_CUSTOMER])


def customer_lists_refresh_on_commit(*, customer_ids: Iterable[int]) -> None:
    """Queue one refresh of these customers' lists once the caller's transaction commits."""
    from frontline.recommendations.tasks import refresh_customer_recommendations_task

    ids = sorted(set(customer_ids))
    if not ids:
        return
    # Robust: a broker that is down must not fail the landing; the nightly job catches up.
    transaction.on_commit(lambda: refresh_customer_recommendations_task.delay(ids), robust=True)


def store_best_sellers(
    history: History, *, now_seconds: float, settings: recommender.Settings
) -> list[tuple[int, int, float]]:
    """(store, product, recency-weighted lines) of each store's top sellers; online left out.

    One store at a time: only that store's lines are copied out, never every (store, product)
    pair of the history at once (``np.unique(axis=0)`` over 5M lines was a peak of its own).
    """
    found = []
    for store in np.unique(history.stores):
        if store == ONLINE:
            continue
        mine = history.stores == store
        age_days = (now_seconds - history.purchases.seconds[mine]) / recommender.SECONDS_PER_DAY
        weights = np.power(0.5, np.maximum(age_days, 0) / settings.half_life_days)
        products, inverse = np.unique(history.purchases.products[mine], return_inverse=True)
        totals = np.bincount(inverse.ravel(), weights=weights, minlength=len(products))
        best = np.argsort(-totals, kind="stable")[:BEST_SELLERS_PER_STORE]
        found += [(int(store), int(products[i]), float(totals[i])) for i in best]
    return found
