"""Offline evaluation with a time-based hold-out, model next to a popularity baseline.

Everything bought before the cut-off trains; what each customer bought after it (and had not
bought before) is what a good top-10 should have contained. Both recommenders are scored on
the same customers in the same run: precision@k = hits / k, recall@k = hits / |held out|,
averaged over customers with history before and purchases after the cut-off.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from frontline.recommendations.similarity import blend, item_similarities, score_candidates, top_n


@dataclass(frozen=True)
class Purchase:
    customer_id: int
    product_id: int
    at: datetime


@dataclass(frozen=True)
class Scores:
    precision_at_k: float
    recall_at_k: float


@dataclass(frozen=True)
class Evaluation:
    k: int
    customers_evaluated: int
    products: int
    model: Scores
    popularity: Scores
    als: Scores | None = None  # the implicit library's ALS, when asked for and installed


PurchaseRow = tuple[int, int, datetime]  # (customer, product, when): lighter than Purchase


def split(
    purchases: Iterable[Purchase | PurchaseRow], cutoff: datetime
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    train: dict[int, set[int]] = defaultdict(set)
    later: dict[int, set[int]] = defaultdict(set)
    for purchase in purchases:
        customer, product, at = (
            (purchase.customer_id, purchase.product_id, purchase.at)
            if isinstance(purchase, Purchase)
            else purchase
        )
        (train if at < cutoff else later)[customer].add(product)
    held_out = {
        customer: products - train[customer]
        for customer, products in later.items()
        if customer in train and products - train[customer]
    }
    return dict(train), held_out


def evaluate(
    purchases: Iterable[Purchase | PurchaseRow],
    cutoff: datetime,
    *,
    k: int = 10,
    favourite_brands: Callable[[set[int]], Mapping[int, set[int]]] | None = None,
    shrinkage: float = 10.0,
    max_customers: int | None = None,
    with_als: bool = False,
) -> Evaluation:
    """Train before ``cutoff``, test after, on at most ``max_customers`` (every n-th one).

    ``favourite_brands(customer_ids)`` returns each evaluated customer's favourite-brand
    products, for the blend; the same blend the live recommender uses.
    """
    train, held_out = split(purchases, cutoff)
    if max_customers and len(held_out) > max_customers:
        step = len(held_out) / max_customers
        ordered = sorted(held_out)
        held_out = {
            ordered[int(i * step)]: held_out[ordered[int(i * step)]] for i in range(max_customers)
        }
    brands = favourite_brands(set(held_out)) if favourite_brands else {}
    neighbours = item_similarities(train.values(), shrinkage=shrinkage)
    popularity = Counter(product for products in train.values() for product in products)
    popularity_order = [product for product, _count in popularity.most_common()]
    popularity_rank = {product: rank for rank, product in enumerate(popularity_order)}
    model_hits, popular_hits = [], []
    for customer, wanted in held_out.items():
        owned = train[customer]
        scores = blend(
            score_candidates(owned, neighbours),
            favourite_brand_products=brands.get(customer, set()) - owned,
            popularity_rank=popularity_rank,
        )
        model_top = top_n(scores, k, exclude=owned)
        # Fill a short list with best sellers, as the live recommender does.
        model_top += [p for p in popularity_order if p not in owned and p not in model_top][
            : k - len(model_top)
        ]
        popular_top = [p for p in popularity_order if p not in owned][:k]
        model_hits.append((len(set(model_top) & wanted), len(wanted)))
        popular_hits.append((len(set(popular_top) & wanted), len(wanted)))
    return Evaluation(
        k=k,
        customers_evaluated=len(held_out),
        products=len(popularity),
        model=_average(model_hits, k),
        popularity=_average(popular_hits, k),
        als=evaluate_als(train, held_out, k=k) if with_als else None,
    )


def evaluate_als(
    train: dict[int, set[int]], held_out: dict[int, set[int]], *, k: int = 10
) -> Scores | None:
    """Implicit-feedback ALS (the ``implicit`` library) on the same split; None if missing."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit warns on threaded BLAS
    try:
        import numpy as np
        from implicit.als import AlternatingLeastSquares
        from scipy.sparse import csr_matrix
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    customers = sorted(train)
    products = sorted({product for owned in train.values() for product in owned})
    row_of = {customer: row for row, customer in enumerate(customers)}
    column_of = {product: column for column, product in enumerate(products)}
    rows = [row_of[c] for c in customers for _p in train[c]]
    columns = [column_of[p] for c in customers for p in train[c]]
    matrix = csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, columns)),
        shape=(len(customers), len(products)),
    )
    # The variable above is read only when numpy is first imported; where something else
    # (language detection, say) imported it earlier, the limit is set here instead.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=32, iterations=15, random_state=0)
        model.fit(matrix, show_progress=False)
    evaluated = list(held_out)
    user_rows = np.array([row_of[c] for c in evaluated])
    recommended, _scores = model.recommend(
        user_rows, matrix[user_rows], N=k, filter_already_liked_items=True
    )
    hits = [
        (len({products[j] for j in recommended[n]} & held_out[c]), len(held_out[c]))
        for n, c in enumerate(evaluated)
    ]
    return _average(hits, k)


def _average(hits: list[tuple[int, int]], k: int) -> Scores:
    if not hits:
        return Scores(0.0, 0.0)
    precision = sum(found / k for found, _wanted in hits) / len(hits)
    recall = sum(found / wanted for found, wanted in hits) / len(hits)
    return Scores(round(precision, 4), round(recall, 4))


def favourite_brand_products_from_database(customer_ids: set[int]) -> dict[int, set[int]]:
    """Each customer's favourite-brand products, from ``CustomerPreference`` (kind brand)."""
    from django.db.models.functions import Lower

    from frontline.catalog.models import Product
    from frontline.customers.models import CustomerPreference, PreferenceKind

    by_brand: dict[str, set[int]] = defaultdict(set)
    for product_id, brand in Product.objects.annotate(b=Lower("brand__name")).values_list(
        "id", "b"
    ):
        by_brand[brand].add(product_id)
    result: dict[int, set[int]] = defaultdict(set)
    ordered = sorted(customer_ids)
    for start in range(0, len(ordered), 5000):
        for customer_id, brand in (
            CustomerPreference.objects.filter(
                customer_id__in=ordered[start : start + 5000], kind=PreferenceKind.BRAND
            )
            .annotate(b=Lower("value"))
            .values_list("customer_id", "b")
        ):
            result[customer_id] |= by_brand.get(brand, set())
    return dict(result)


def evaluate_database(
    cutoff: datetime, *, k: int = 10, max_customers: int | None = None, with_als: bool = False
) -> Evaluation:
    """The offline evaluation over the order history in the database."""
    from frontline.recommendations.services import purchase_rows

    return evaluate(
        purchase_rows(),
        cutoff,
        k=k,
        favourite_brands=favourite_brand_products_from_database,
        max_customers=max_customers,
        with_als=with_als,
    )
