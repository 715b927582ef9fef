"""'For this customer': products to show, scored as the offline evaluation scores them.

The customer's history is read as it stands (a purchase counts at once) and scored with the
nightly tables by ``model.blended_scores``, the function the evaluation measures: what they
rebuy (recency-weighted), what is bought with what they bought, best sellers. A customer with no
history gets their store's best sellers. Each suggestion says why.

The list is then filtered to products available in the customer's size at their store, a store
nearby or the online warehouse. When that leaves nothing, the answer says so and offers the top
products where they can still be had (another store), rather than an empty list. When no stock
is known for any candidate at all, the list is shown unfiltered and says so.
Scoped like every read: only customers the staff member may see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from frontline.catalog.models import Product, StockLevel
from frontline.customers.models import Customer, CustomerSize
from frontline.customers.selectors import customers_findable_by
from frontline.recommendations import model as recommender
from frontline.recommendations.models import ProductPopularity, ProductSimilarity, StoreBestSeller
from frontline.recommendations.services import purchase_lines_of_customer
from frontline.staff.models import Store, User

SIZE_FREE = {Product.Category.ACCESSORIES}
# How many ranked candidates are checked for stock to fill a list of ``limit``.
CANDIDATE_POOL = 60
POPULAR_CANDIDATES = 200
ELSEWHERE_SHOWN = 5


@dataclass
class Recommendation:
    product_id: int
    name: str
    brand: str
    category: str
    score: float
    because: str
    sizes: list[str] = field(default_factory=list)
    in_stock_here: bool = False
    nearby_stores: list[str] = field(default_factory=list)


@dataclass
class Suggestions:
    """What the panel shows: ``available`` to show now, else what to offer instead and why."""

    available: list[Recommendation] = field(default_factory=list)
    # Stock filtered every candidate out: the best ones at other stores (or anywhere, to order).
    elsewhere: list[Recommendation] = field(default_factory=list)
    # No stock figure is known for any candidate: the list, not checked against stock.
    unchecked: list[Recommendation] = field(default_factory=list)


def _distance_km(a: Store, b: Store) -> float:
    lat1, lon1, lat2, lon2 = (
        math.radians(float(value or 0))
        for value in (a.latitude, a.longitude, b.latitude, b.longitude)
    )
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371 * 2 * math.asin(math.sqrt(h))


def reachable_stores(home: Store | None) -> dict[int, Store]:
    """The customer's store, active stores within RECOMMENDATIONS_NEARBY_KM, and warehouses."""
    radius = getattr(settings, "RECOMMENDATIONS_NEARBY_KM", 30)
    stores = {}
    for store in Store.objects.filter(is_active=True):
        if (
            store.kind == Store.Kind.WAREHOUSE
            or (home and store.pk == home.pk)
            or (
                home
                and None not in (home.latitude, store.latitude, home.longitude, store.longitude)
                and _distance_km(home, store) <= radius
            )
        ):
            stores[store.pk] = store
    return stores


@dataclass(frozen=True)
class Ranked:
    products: list[int]
    scores: dict[int, float]
    reasons: dict[int, str]


def ranked_for_customer(customer: Customer, *, now: datetime) -> Ranked:
    """Every candidate product for the customer, best first, with its reason."""
    lines = list(purchase_lines_of_customer(customer.pk))
    if not lines:
        return _store_best_sellers(customer)
    purchases = recommender.Purchases.from_rows(
        [(customer.pk, product, placed_at.timestamp()) for product, placed_at in lines]
    )
    owned = sorted(set(purchases.products.tolist()))
    similar = list(
        ProductSimilarity.objects.filter(product_id__in=owned).values_list(
            "product_id", "similar_id", "score"
        )
    )
    popular = dict(
        ProductPopularity.objects.order_by("-score").values_list("product_id", "score")[
            :POPULAR_CANDIDATES
        ]
    )
    candidates = np.array(sorted(set(owned) | {s for _p, s, _x in similar} | set(popular)))
    column = {int(product): n for n, product in enumerate(candidates)}
    settings_ = recommender.Settings()
    matrices = recommender.purchase_matrices(
        purchases, now_seconds=now.timestamp(), settings=settings_
    )
    history = sp.csr_matrix(
        (
            matrices.recency.data,
            [column[int(matrices.product_ids[c])] for c in matrices.recency.indices],
            matrices.recency.indptr,
        ),
        shape=(1, len(candidates)),
    )
    neighbours = sp.csr_matrix(
        (
            [score for _p, _s, score in similar],
            ([column[p] for p, _s, _x in similar], [column[s] for _p, s, _x in similar]),
        ),
        shape=(len(candidates), len(candidates)),
        dtype=np.float32,
    )
    popularity = np.array([popular.get(int(p), 0.0) for p in candidates], dtype=np.float32)
    fitted = recommender.Model(matrices, neighbours, popularity, settings_)
    scores = recommender.blended_scores(fitted, history)[0]
    order = np.argsort(-scores, kind="stable")
    ranked = [int(candidates[i]) for i in order if scores[i] > 0]
    reasons = _reasons(ranked[:CANDIDATE_POOL], lines, similar, history, column)
    return Ranked(ranked, {int(candidates[i]): float(scores[i]) for i in order}, reasons)


def _reasons(
    ranked: list[int],
    lines: list[tuple[int, datetime]],
    similar: list[tuple[int, int, float]],
    history: sp.csr_matrix,
    column: dict[int, int],
) -> dict[int, str]:
    """Why each product: bought before, bought with one of theirs, or a best seller."""
    last_bought: dict[int, datetime] = {}
    for product, placed_at in lines:
        last_bought[product] = max(placed_at, last_bought.get(product, placed_at))
    weight = history.toarray()[0]
    strongest: dict[int, tuple[float, int]] = {}
    for product, similar_product, score in similar:
        contribution = score * weight[column[product]]
        if contribution > strongest.get(similar_product, (0.0, 0))[0]:
            strongest[similar_product] = (contribution, product)
    names = dict(
        Product.objects.filter(pk__in={p for _c, p in strongest.values()}).values_list("id", "name")
    )
    reasons = {}
    for product in ranked:
        if product in last_bought:
            reasons[product] = f"Bought before, last on {last_bought[product]:%-d %b %Y}"
        elif product in strongest:
            reasons[product] = f"Bought with {names.get(strongest[product][1], 'their purchases')}"
        else:
            reasons[product] = "Popular"
    return reasons


def _store_best_sellers(customer: Customer) -> Ranked:
    """Cold start: the customer's store's best sellers, else the brand's."""
    rows: list[tuple[int, float]] = []
    if customer.preferred_store_id:
        rows = list(
            StoreBestSeller.objects.filter(store_id=customer.preferred_store_id)
            .order_by("-score")
            .values_list("product_id", "score")[:POPULAR_CANDIDATES]
        )
    where = f"at {customer.preferred_store.name}" if rows and customer.preferred_store else ""
    if not rows:
        rows = list(
            ProductPopularity.objects.order_by("-score").values_list("product_id", "score")[
                :POPULAR_CANDIDATES
            ]
        )
    top = max((score for _p, score in rows), default=1.0) or 1.0
    return Ranked(
        [product for product, _score in rows],
        {product: score / top for product, score in rows},
        {product: " ".join(filter(None, ["Popular", where])) for product, _score in rows},
    )


def recommendation_list(*, user: User, customer_id: int, limit: int = 10) -> Suggestions:
    # Products for the person, not work for a store: brand-wide, as the profile they sit on.
    customer = customers_findable_by(user).select_related("preferred_store").get(pk=customer_id)
    ranked = ranked_for_customer(customer, now=timezone.now())
    pool = ranked.products[:CANDIDATE_POOL]
    stores = reachable_stores(customer.preferred_store)
    sizes = {
        category: size.lower()
        for category, size in CustomerSize.objects.filter(customer=customer).values_list(
            "category", "size"
        )
    }
    products = {
        product.pk: product
        for product in Product.objects.filter(pk__in=pool, is_active=True).select_related("brand")
    }
    pool = [p for p in pool if p in products]

    def entry(product_id: int) -> Recommendation:
        product = products[product_id]
        because = ranked.reasons.get(product_id, "Popular")
        if because.startswith("Popular") and product.category in sizes:
            because += " · in their size"
        return Recommendation(
            product_id=product.pk,
            name=product.name,
            brand=product.brand.name,
            category=product.category,
            score=round(ranked.scores.get(product_id, 0.0), 3),
            because=because,
        )

    stock, known = _stock_in_size(pool, products, sizes)
    if not known:
        return Suggestions(unchecked=[entry(p) for p in pool[:limit]])
    available: dict[int, Recommendation] = {}
    elsewhere: dict[int, Recommendation] = {}
    for product_id, size, store_id in stock:
        if store_id in stores:
            item = available.setdefault(product_id, entry(product_id))
            if customer.preferred_store_id == store_id:
                item.in_stock_here = True
            elif stores[store_id].name not in item.nearby_stores:
                item.nearby_stores.append(stores[store_id].name)
        else:
            item = elsewhere.setdefault(product_id, entry(product_id))
            name = _store_names().get(store_id, "another store")
            if name not in item.nearby_stores:
                item.nearby_stores.append(name)
        if size not in item.sizes:
            item.sizes.append(size)
    shown = [available[p] for p in pool if p in available][:limit]
    if shown:
        return Suggestions(available=shown)
    return Suggestions(
        elsewhere=[elsewhere[p] for p in pool if p in elsewhere][:ELSEWHERE_SHOWN]
        or [entry(p) for p in pool[:ELSEWHERE_SHOWN]]
    )


def _store_names() -> dict[int, str]:
    return dict(Store.objects.filter(is_active=True).values_list("id", "name"))


def _stock_in_size(
    pool: list[int], products: dict[int, Product], sizes: dict[str, str]
) -> tuple[list[tuple[int, str, int]], bool]:
    """(product, size, store) with stock beyond holds in the customer's size; any stock known."""
    if not StockLevel.objects.filter(variant__product_id__in=pool).exists():
        return [], False
    rows = StockLevel.objects.filter(
        variant__product_id__in=pool, store__is_active=True, on_hand__gt=F("reserved")
    ).values_list("variant__product_id", "variant__size", "store_id")
    found = []
    for product_id, size, store_id in rows:
        category = products[product_id].category
        wanted = sizes.get(category)
        if category in SIZE_FREE or not wanted or size.lower() == wanted:
            found.append((product_id, size, store_id))
    return found, True


def recommendations_for_customer(
    *, user: User, customer_id: int, limit: int = 10
) -> list[Recommendation]:
    """The products to show now (in stock in size here, nearby or online), for the API."""
    suggestions = recommendation_list(user=user, customer_id=customer_id, limit=limit)
    return suggestions.available
