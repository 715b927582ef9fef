"""'For this customer': products to show, scored as the offline evaluation scores them.

The ranked list is read from ``CustomerRecommendations``: one indexed row that the nightly job
writes for every customer with a history and a purchase's refresh rewrites for its customer.
A customer without a row (no purchase at the last run, refresh not yet done) is scored now from
their history and the nightly product tables by ``model.blended_scores``, the function the
evaluation measures: what they rebuy (recency-weighted), what is bought with what they bought,
best sellers. A customer with no history gets their store's best sellers. Each suggestion says
why, in the reader's language, from the facts stored with it.

The list is then filtered to products available in the customer's size at their store, a store
nearby or the online warehouse. When that leaves nothing, the answer says so and offers the top
products where they can still be had (another store), rather than an empty list. When no stock
is known for any candidate at all, the list is shown unfiltered and says so.
Scoped like every read: only customers the staff member may see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from frontline.catalog.models import Product, StockLevel
from frontline.customers.models import Customer, CustomerSize
from frontline.customers.selectors import customers_findable_by
from frontline.recommendations import model as recommender
from frontline.recommendations.models import (
    CustomerRecommendations,
    ProductPopularity,
    ProductSimilarity,
    StoreBestSeller,
)
from frontline.recommendations.services import purchase_lines_of_customer
from frontline.staff.models import Store, User

SIZE_FREE = {Product.Category.ACCESSORIES}
# How many ranked candidates are checked for stock to fill a list of ``limit``.
CANDIDATE_POOL = 30
POPULAR_CANDIDATES = 200
ELSEWHERE_SHOWN = 5
# Day 0 of the stored lists' "last bought" days (the nightly job's arrays count from it).
EPOCH = date(1970, 1, 1)


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


def active_stores() -> dict[int, Store]:
    return {store.pk: store for store in Store.objects.filter(is_active=True)}


def reachable_stores(home: Store | None, active: dict[int, Store]) -> dict[int, Store]:
    """The customer's store, active stores within RECOMMENDATIONS_NEARBY_KM, and warehouses."""
    radius = getattr(settings, "RECOMMENDATIONS_NEARBY_KM", 30)
    stores = {}
    for store in active.values():
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
class Reason:
    """Why a product is suggested, told in words when shown (see ``_because``)."""

    bought_with: int | None = None  # the customer's product it is most often bought with
    last_bought: date | None = None  # when they last bought it themselves
    popular_at: str = ""  # the store whose best seller it is (cold start)


@dataclass(frozen=True)
class Ranked:
    products: list[int]
    scores: dict[int, float]
    reasons: dict[int, Reason]


def ranking(customer: Customer, *, now: datetime) -> Ranked:
    """The stored list (one indexed read), else the customer scored now.

    A customer has no stored list when they had no purchase at the last nightly run and no
    refresh has stored one since; scoring them now gives the same list, or best sellers.
    """
    return stored_ranking(customer.pk) or ranked_for_customer(customer, now=now)


def stored_ranking(customer_id: int) -> Ranked | None:
    entries = (
        CustomerRecommendations.objects.filter(customer_id=customer_id)
        .values_list("products", flat=True)
        .first()
    )
    if entries is None:
        return None
    return Ranked(
        [entry[0] for entry in entries],
        {entry[0]: entry[1] for entry in entries},
        {
            product: Reason(
                bought_with=with_,
                last_bought=EPOCH + timedelta(days=day) if day else None,
            )
            for product, _score, with_, day in entries
        },
    )


def customer_entries(*, customer_id: int, now: datetime) -> list[list[int | float | None]] | None:
    """One customer's list as the nightly job stores it, scored now; None without purchases."""
    lines = list(purchase_lines_of_customer(customer_id))
    if not lines:
        return None
    ranked = _scored(customer_id, lines, now=now)
    return [
        [
            product,
            round(ranked.scores[product], 4),
            ranked.reasons[product].bought_with,
            _day(ranked.reasons[product].last_bought),
        ]
        for product in ranked.products
        if product in ranked.reasons
    ]


def _day(when: date | None) -> int | None:
    return (when - EPOCH).days if when else None


def ranked_for_customer(customer: Customer, *, now: datetime) -> Ranked:
    """Every candidate product for the customer, best first, with its reason (scored now)."""
    lines = list(purchase_lines_of_customer(customer.pk))
    if not lines:
        return _store_best_sellers(customer)
    return _scored(customer.pk, lines, now=now)


def _scored(customer_id: int, lines: list[tuple[int, datetime]], *, now: datetime) -> Ranked:
    """The blend ``model.blended_scores`` computes, on the nightly tables' rows that matter."""
    purchases = recommender.Purchases.from_rows(
        [(customer_id, product, placed_at.timestamp()) for product, placed_at in lines]
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
) -> dict[int, Reason]:
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
    reasons = {}
    for product in ranked:
        if product in last_bought:
            reasons[product] = Reason(last_bought=_utc_date(last_bought[product]))
        elif product in strongest:
            reasons[product] = Reason(bought_with=strongest[product][1])
        else:
            reasons[product] = Reason()
    return reasons


def _utc_date(when: datetime) -> date:
    # The nightly job counts days since 1970 in UTC: the refresh must tell the same day.
    return when.astimezone(UTC).date()


def _store_best_sellers(customer: Customer) -> Ranked:
    """Cold start: the customer's store's best sellers, else the brand's."""
    rows: list[tuple[int, float]] = []
    if customer.preferred_store_id:
        rows = list(
            StoreBestSeller.objects.filter(store_id=customer.preferred_store_id)
            .order_by("-score")
            .values_list("product_id", "score")[:POPULAR_CANDIDATES]
        )
    where = customer.preferred_store.name if rows and customer.preferred_store else ""
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
        {product: Reason(popular_at=where) for product, _score in rows},
    )


def recommendation_list(
    *, user: User, customer_id: int, limit: int = 10, stored: bool = True
) -> Suggestions:
    """The panel's list: the stored ranking (``stored=False``: scored now), checked for stock.
    Products for the person, not work for a store: brand-wide, as the profile they sit on
    (Customer.DoesNotExist for one the user cannot find; the callers answer it)."""
    customer = customers_findable_by(user).select_related("preferred_store").get(pk=customer_id)
    now = timezone.now()
    ranked = ranking(customer, now=now) if stored else ranked_for_customer(customer, now=now)
    pool = ranked.products[:CANDIDATE_POOL]
    # Read once: each stock row at a store out of reach is told by that store's name.
    active = active_stores()
    stores = reachable_stores(customer.preferred_store, active)
    sizes = {
        category: size.lower()
        for category, size in CustomerSize.objects.filter(customer=customer).values_list(
            "category", "size"
        )
    }
    # The products to show and the ones their reasons name, in one query.
    named = {ranked.reasons[p].bought_with for p in pool if p in ranked.reasons} - {None}
    found = {
        product.pk: product
        for product in Product.objects.filter(pk__in={*pool, *named}).select_related("brand")
    }
    names = {pk: product.name for pk, product in found.items()}
    products = {pk: product for pk, product in found.items() if pk in pool and product.is_active}
    pool = [p for p in pool if p in products]

    def entry(product_id: int) -> Recommendation:
        product = products[product_id]
        reason = ranked.reasons.get(product_id, Reason())
        return Recommendation(
            product_id=product.pk,
            name=product.name,
            brand=product.brand.name,
            category=product.category,
            score=round(ranked.scores.get(product_id, 0.0), 3),
            because=_because(reason, names, in_their_size=product.category in sizes),
        )

    stock, known = _stock_in_size(pool, products, sizes, active)
    if not known:
        return Suggestions(unchecked=[entry(p) for p in pool[:limit]])
    available: dict[int, Recommendation] = {}
    elsewhere: dict[int, Recommendation] = {}
    for product_id, size, store_id in stock:
        listed = available if store_id in stores else elsewhere
        if product_id not in listed:
            # One entry a product, not one a stock row (``setdefault`` would word each).
            listed[product_id] = entry(product_id)
        item = listed[product_id]
        if customer.preferred_store_id == store_id:
            item.in_stock_here = True
        elif active[store_id].name not in item.nearby_stores:
            item.nearby_stores.append(active[store_id].name)
        if size not in item.sizes:
            item.sizes.append(size)
    shown = [available[p] for p in pool if p in available][:limit]
    if shown:
        return Suggestions(available=shown)
    return Suggestions(
        elsewhere=[elsewhere[p] for p in pool if p in elsewhere][:ELSEWHERE_SHOWN]
        or [entry(p) for p in pool[:ELSEWHERE_SHOWN]]
    )


def _because(reason: Reason, names: dict[int, str], *, in_their_size: bool) -> str:
    if reason.last_bought:
        # The date as the tests and the panel have always shown it ("3 Mar 2026").
        return gettext("Bought before, last on %(date)s") % {
            "date": f"{reason.last_bought:%-d %b %Y}"
        }
    if reason.bought_with:
        return gettext("Bought with %(product)s") % {
            "product": names.get(reason.bought_with, gettext("their purchases"))
        }
    popular = (
        gettext("Popular at %(store)s") % {"store": reason.popular_at}
        if reason.popular_at
        else gettext("Popular")
    )
    if in_their_size:
        return gettext("%(popular)s · in their size") % {"popular": popular}
    return popular


def _stock_in_size(
    pool: list[int], products: dict[int, Product], sizes: dict[str, str], active: dict[int, Store]
) -> tuple[list[tuple[int, str, int]], bool]:
    """(product, size, active store) with stock beyond holds in the customer's size; whether
    any stock is known for the pool at all."""
    if not StockLevel.objects.filter(variant__product_id__in=pool).exists():
        return [], False
    rows = StockLevel.objects.filter(
        variant__product_id__in=pool, on_hand__gt=F("reserved")
    ).values_list("variant__product_id", "variant__size", "store_id")
    found = []
    for product_id, size, store_id in rows:
        if store_id not in active:
            continue
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
