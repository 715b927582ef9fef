"""Offline evaluation with a time-based hold-out, model next to a popularity baseline.

Everything bought before the cut-off trains; what each customer bought after it (and had not
bought before) is what a good top-10 should have contained. Both recommenders are scored on
the same customers in the same run: precision@k = hits / k, recall@k = hits / |held out|,
averaged over customers with history before and purchases after the cut-off.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
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


def split(
    purchases: Iterable[Purchase], cutoff: datetime
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    train: dict[int, set[int]] = defaultdict(set)
    later: dict[int, set[int]] = defaultdict(set)
    for purchase in purchases:
        target = train if purchase.at < cutoff else later
        target[purchase.customer_id].add(purchase.product_id)
    held_out = {
        customer: products - train[customer]
        for customer, products in later.items()
        if customer in train and products - train[customer]
    }
    return dict(train), held_out


def evaluate(
    purchases: Iterable[Purchase],
    cutoff: datetime,
    *,
    k: int = 10,
    favourite_brands: Mapping[int, set[int]] | None = None,
    shrinkage: float = 10.0,
) -> Evaluation:
    """``favourite_brands``: customer -> products of their favourite brands (optional blend)."""
    train, held_out = split(purchases, cutoff)
    neighbours = item_similarities(train.values(), shrinkage=shrinkage)
    popularity = Counter(product for products in train.values() for product in products)
    popularity_order = [product for product, _count in popularity.most_common()]
    popularity_rank = {product: rank for rank, product in enumerate(popularity_order)}
    model_hits, popular_hits = [], []
    for customer, wanted in held_out.items():
        owned = train[customer]
        scores = blend(
            score_candidates(owned, neighbours),
            favourite_brand_products=(favourite_brands or {}).get(customer, set()) - owned,
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
    )


def _average(hits: list[tuple[int, int]], k: int) -> Scores:
    if not hits:
        return Scores(0.0, 0.0)
    precision = sum(found / k for found, _wanted in hits) / len(hits)
    recall = sum(found / wanted for found, wanted in hits) / len(hits)
    return Scores(round(precision, 4), round(recall, 4))
