"""Product recommendations: the similarity, the offline evaluation, the stock-aware list."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from frontline.catalog.models import Product, Variant
from frontline.customers.models import Customer
from frontline.orders.models import Order, OrderLine
from frontline.recommendations.evaluation import Purchase, evaluate, evaluate_database
from frontline.recommendations.selectors import recommendations_for_customer
from frontline.recommendations.services import similarities_recompute
from frontline.recommendations.similarity import item_similarities
from tests.factories import (
    BrandFactory,
    CustomerFactory,
    CustomerPreferenceFactory,
    CustomerSizeFactory,
    OrderLineFactory,
    ProductFactory,
    StockLevelFactory,
    StoreAssignmentFactory,
    StoreFactory,
    VariantFactory,
)

CUTOFF = datetime(2026, 6, 1, tzinfo=UTC)


def test_products_bought_by_the_same_customers_are_most_similar():
    baskets = [{1, 2}] * 20 + [{1, 3}] * 2 + [{3, 4}] * 20
    neighbours = item_similarities(baskets)
    assert neighbours[1][0][0] == 2
    assert neighbours[3][0][0] == 4


def test_shrinkage_keeps_a_single_coincidence_from_outranking_a_pattern():
    # 5 and 6 were bought together once by their only buyers (raw cosine 1.0); 1 and 2 by 30
    # of 40 buyers (cosine 0.75). Shrinkage ranks the pattern above the coincidence.
    baskets = [{5, 6}] + [{1, 2}] * 30 + [{1}] * 10 + [{2}] * 10
    neighbours = item_similarities(baskets, shrinkage=10)
    assert neighbours[1][0][1] > neighbours[5][0][1]


def two_taste_groups(seed: int = 7) -> list[Purchase]:
    """Two customer groups with distinct co-purchase patterns; group B is larger, so the
    best sellers are B's products and popularity serves group A badly."""
    rng = random.Random(seed)
    products = {"A": list(range(100, 112)), "B": list(range(200, 212))}
    purchases = []
    for customer in range(1, 121):
        group = "A" if customer <= 50 else "B"
        bought = rng.sample(products[group], 6)
        for n, product in enumerate(bought):
            when = CUTOFF - timedelta(days=60 - n * 5) if n < 4 else CUTOFF + timedelta(days=n)
            purchases.append(Purchase(customer, product, when))
    return purchases


def test_the_model_beats_popularity_on_data_with_taste_groups():
    result = evaluate(two_taste_groups(), CUTOFF, k=10)
    assert result.customers_evaluated == 120
    assert result.model.precision_at_k > result.popularity.precision_at_k
    assert result.model.recall_at_k > result.popularity.recall_at_k


@pytest.mark.django_db
def test_the_evaluation_reads_the_order_history_from_the_database():
    store = StoreFactory()
    product_ids = {}
    for product_id in {p.product_id for p in two_taste_groups()}:
        product = ProductFactory(style_code=f"P{product_id}")
        product_ids[product_id] = VariantFactory(product=product)
    customers = {n: CustomerFactory(preferred_store=store) for n in range(1, 121)}
    orders, lines = [], []
    for n, purchase in enumerate(two_taste_groups()):
        orders.append(
            Order(
                number=f"E{n}",
                customer=customers[purchase.customer_id],
                channel="online",
                placed_at=purchase.at,
                total=Decimal(10),
                source="ecommerce",
                external_id=f"e{n}",
            )
        )
    Order.objects.bulk_create(orders)
    for order, purchase in zip(Order.objects.order_by("id"), two_taste_groups(), strict=True):
        variant = product_ids[purchase.product_id]
        lines.append(
            OrderLine(order=order, variant=variant, sku=variant.sku, quantity=1, unit_price=10)
        )
    OrderLine.objects.bulk_create(lines)
    result = evaluate_database(CUTOFF)
    assert result.customers_evaluated == 120
    assert result.model.precision_at_k > result.popularity.precision_at_k


@pytest.fixture
def shop(db):
    home = StoreFactory(code="home", latitude=Decimal("51.5"), longitude=Decimal("-0.12"))
    near = StoreFactory(code="near", latitude=Decimal("51.52"), longitude=Decimal("-0.10"))
    far = StoreFactory(code="far", latitude=Decimal("55.95"), longitude=Decimal("-3.19"))
    staff = StoreAssignmentFactory(store=home).user
    return home, near, far, staff


def bought_together(first: Variant, second: Variant, times: int) -> None:
    for _ in range(times):
        customer = CustomerFactory()
        OrderLineFactory(order__customer=customer, variant=first)
        OrderLineFactory(order__customer=customer, variant=second)


@pytest.mark.django_db
def test_recommends_what_similar_customers_bought_in_the_customers_size_nearby(shop):
    home, near, _far, staff = shop
    jacket = VariantFactory(size="M", product__category="tops")
    scarf = VariantFactory(size="One", product__category="accessories")
    boots_m = VariantFactory(size="M", product__category="tops", product__name="Boots")
    bought_together(jacket, scarf, 5)
    bought_together(jacket, boots_m, 4)
    similarities_recompute()
    customer = CustomerFactory(preferred_store=home)
    CustomerSizeFactory(customer=customer, category="tops", size="M")
    OrderLineFactory(order__customer=customer, variant=jacket)
    StockLevelFactory(variant=scarf, store=near, on_hand=2)
    StockLevelFactory(variant=boots_m, store=home, on_hand=1)
    found = recommendations_for_customer(user=staff, customer_id=customer.pk)
    names = [item.name for item in found]
    assert names[:2] == [scarf.product.name, "Boots"]
    assert found[0].nearby_stores == [near.name] and not found[0].in_stock_here
    assert found[1].in_stock_here
    assert jacket.product.name not in names  # already bought


@pytest.mark.django_db
def test_never_recommends_what_is_not_available_in_their_size_here_or_nearby(shop):
    home, _near, far, staff = shop
    jacket = VariantFactory(size="M")
    wrong_size = VariantFactory(size="XL")
    only_far_away = VariantFactory(size="M")
    bought_together(jacket, wrong_size, 5)
    bought_together(jacket, only_far_away, 5)
    similarities_recompute()
    customer = CustomerFactory(preferred_store=home)
    CustomerSizeFactory(customer=customer, category="tops", size="M")
    OrderLineFactory(order__customer=customer, variant=jacket)
    StockLevelFactory(variant=wrong_size, store=home, on_hand=5)
    StockLevelFactory(variant=only_far_away, store=far, on_hand=5)
    assert recommendations_for_customer(user=staff, customer_id=customer.pk) == []


@pytest.mark.django_db
def test_a_new_customer_gets_their_favourite_brand_first(shop):
    home, _near, _far, staff = shop
    acme = BrandFactory(name="Acme")
    favourite = VariantFactory(product__brand=acme)
    best_seller = VariantFactory()
    for _ in range(3):
        OrderLineFactory(order__customer=CustomerFactory(), variant=best_seller)
    similarities_recompute()
    customer = CustomerFactory(preferred_store=home)
    CustomerPreferenceFactory(customer=customer, value="acme")
    for variant in (favourite, best_seller):
        StockLevelFactory(variant=variant, store=home)
    found = recommendations_for_customer(user=staff, customer_id=customer.pk)
    assert [item.product_id for item in found] == [
        favourite.product_id,
        best_seller.product_id,
    ]
    assert found[0].because == "From a favourite brand"
    assert found[1].because == "A best seller"


@pytest.mark.django_db
def test_recommendations_are_scoped_to_visible_customers(shop):
    *_stores, staff = shop
    with pytest.raises(Customer.DoesNotExist):
        recommendations_for_customer(
            user=staff, customer_id=CustomerFactory(preferred_store=StoreFactory()).pk
        )
    assert Product.objects.count() == 0


def test_the_implicit_librarys_als_is_measured_on_the_same_split():
    # On few customers ALS has too little to factorise; the neighbourhood model copes.
    result = evaluate(two_taste_groups(), CUTOFF, k=10, with_als=True)
    assert result.als is not None
    assert 0 < result.als.precision_at_k < result.model.precision_at_k
