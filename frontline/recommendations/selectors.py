"""'For this customer': products to show, from what similar customers bought and what they like.

The list is filtered to products available in the customer's size at their store, a store
nearby, or the online warehouse, so an associate never shows something the customer cannot
have. Scoped like every read: only customers the staff member may see.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Lower

from frontline.actions.selectors import customer_visible_to
from frontline.catalog.models import Product, StockLevel
from frontline.customers.models import Customer, CustomerPreference, CustomerSize, PreferenceKind
from frontline.orders.models import OrderLine
from frontline.recommendations.models import ProductPopularity, ProductSimilarity
from frontline.recommendations.similarity import blend, score_candidates
from frontline.staff.models import Store, User

SIZE_FREE = {Product.Category.ACCESSORIES}
# How many ranked candidates are checked for stock to fill a list of ``limit``.
CANDIDATE_POOL = 60


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


def purchased_products(customer_id: int) -> set[int]:
    return set(
        OrderLine.objects.filter(order__customer_id=customer_id, variant__isnull=False)
        .values_list("variant__product_id", flat=True)
        .distinct()
    )


def favourite_brand_products(customer_id: int) -> set[int]:
    brands = CustomerPreference.objects.filter(
        customer_id=customer_id, kind=PreferenceKind.BRAND
    ).annotate(brand=Lower("value"))
    return set(
        Product.objects.annotate(brand_name=Lower("brand__name"))
        .filter(is_active=True, brand_name__in=brands.values("brand"))
        .values_list("id", flat=True)
    )


def recommendations_for_customer(
    *, user: User, customer_id: int, limit: int = 10
) -> list[Recommendation]:
    customer = customer_visible_to(user=user, customer_id=customer_id)
    owned = purchased_products(customer.pk)
    neighbours: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
    for product, similar, score, co in ProductSimilarity.objects.filter(
        product_id__in=owned
    ).values_list("product_id", "similar_id", "score", "co_buyers"):
        neighbours[product].append((similar, score, co))
    popular = list(
        ProductPopularity.objects.order_by("-buyers").values_list("product_id", flat=True)[:200]
    )
    collaborative = score_candidates(owned, neighbours)
    brand_products = favourite_brand_products(customer.pk) - owned
    scores = blend(
        collaborative,
        favourite_brand_products=brand_products,
        popularity_rank={product: rank for rank, product in enumerate(popular)},
    )
    for rank, product in enumerate(popular):  # best sellers fill what the rest leaves empty
        scores.setdefault(product, -1 - rank / len(popular))
    ranked = [p for p, _s in sorted(scores.items(), key=lambda i: (-i[1], i[0])) if p not in owned]
    reasons = {
        product: _because(product in collaborative, product in brand_products)
        for product in ranked[:CANDIDATE_POOL]
    }
    return _available_in_size(customer, ranked[:CANDIDATE_POOL], scores, reasons, limit)


def _because(collaborative: bool, favourite_brand: bool) -> str:
    if collaborative and favourite_brand:
        return "Customers with similar taste bought it, and it is a favourite brand"
    if collaborative:
        return "Customers who bought what they bought also bought it"
    if favourite_brand:
        return "From a favourite brand"
    return "A best seller"


def _available_in_size(
    customer: Customer,
    ranked: list[int],
    scores: dict[int, float],
    reasons: dict[int, str],
    limit: int,
) -> list[Recommendation]:
    stores = reachable_stores(customer.preferred_store)
    sizes = {
        category: size.lower()
        for category, size in CustomerSize.objects.filter(customer=customer).values_list(
            "category", "size"
        )
    }
    products = {
        product.pk: product
        for product in Product.objects.filter(pk__in=ranked, is_active=True).select_related("brand")
    }
    found: dict[int, Recommendation] = {}
    for product_id, size, store_id in StockLevel.objects.filter(
        variant__product_id__in=list(products), store_id__in=list(stores), on_hand__gt=F("reserved")
    ).values_list("variant__product_id", "variant__size", "store_id"):
        product = products[product_id]
        wanted = sizes.get(product.category)
        if product.category not in SIZE_FREE and wanted and size.lower() != wanted:
            continue
        entry = found.setdefault(
            product_id,
            Recommendation(
                product_id=product.pk,
                name=product.name,
                brand=product.brand.name,
                category=product.category,
                score=round(scores[product_id], 3),
                because=reasons[product_id],
            ),
        )
        if size not in entry.sizes:
            entry.sizes.append(size)
        if customer.preferred_store_id == store_id:
            entry.in_stock_here = True
        elif stores[store_id].name not in entry.nearby_stores:
            entry.nearby_stores.append(stores[store_id].name)
    return [found[product_id] for product_id in ranked if product_id in found][:limit]
