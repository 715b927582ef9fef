"""The live "for this customer" list: scored as evaluated, filtered by stock, with reasons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from frontline.catalog.models import Variant
from frontline.customers.models import Customer
from frontline.recommendations.models import ProductSimilarity, StoreBestSeller
from frontline.recommendations.selectors import recommendation_list, recommendations_for_customer
from frontline.recommendations.services import similarities_recompute
from tests.factories import (
    CustomerFactory,
    CustomerSizeFactory,
    OrderLineFactory,
    StockLevelFactory,
    StoreAssignmentFactory,
    StoreFactory,
    UserFactory,
    VariantFactory,
)


@pytest.fixture
def shop(db):
    home = StoreFactory(code="home", latitude=Decimal("51.5"), longitude=Decimal("-0.12"))
    near = StoreFactory(code="near", latitude=Decimal("51.52"), longitude=Decimal("-0.10"))
    far = StoreFactory(code="far", latitude=Decimal("55.95"), longitude=Decimal("-3.19"))
    staff = StoreAssignmentFactory(store=home).user
    return home, near, far, staff


def bought_together(first: Variant, second: Variant, times: int, store=None) -> None:
    for _ in range(times):
        customer = CustomerFactory()
        extra = {"order__store": store} if store else {}
        OrderLineFactory(order__customer=customer, variant=first, **extra)
        OrderLineFactory(order__customer=customer, variant=second, **extra)


@pytest.mark.django_db
def test_recommends_what_goes_with_their_purchases_in_their_size_nearby(shop):
    home, near, _far, staff = shop
    jacket = VariantFactory(size="M", product__category="tops", product__name="Jacket")
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
    assert [item.name for item in found] == [scarf.product.name, "Boots"]
    assert found[0].nearby_stores == [near.name] and not found[0].in_stock_here
    assert found[1].in_stock_here
    assert {item.because for item in found} == {"Bought with Jacket"}


@pytest.mark.django_db
def test_a_product_they_rebuy_comes_first_and_says_when_they_last_bought_it(shop):
    home, _near, _far, staff = shop
    socks, other = VariantFactory(product__name="Socks"), VariantFactory()
    bought_together(socks, other, 3)
    similarities_recompute()
    customer = CustomerFactory(preferred_store=home)
    last = timezone.now() - timedelta(days=3)
    OrderLineFactory(
        order__customer=customer, variant=socks, order__placed_at=last - timedelta(days=40)
    )
    OrderLineFactory(order__customer=customer, variant=socks, order__placed_at=last)
    for variant in (socks, other):
        StockLevelFactory(variant=variant, store=home)
    found = recommendations_for_customer(user=staff, customer_id=customer.pk)
    assert [item.product_id for item in found] == [socks.product_id, other.product_id]
    assert found[0].because == f"Bought before, last on {last:%-d %b %Y}"


@pytest.mark.django_db
def test_a_new_purchase_changes_the_list_without_waiting_for_the_nightly_job(shop):
    home, _near, _far, staff = shop
    hat, gloves = VariantFactory(product__name="Hat"), VariantFactory(product__name="Gloves")
    bought_together(hat, gloves, 4)
    similarities_recompute()
    for variant in (hat, gloves):
        StockLevelFactory(variant=variant, store=home)
    customer = CustomerFactory(preferred_store=home)
    before = recommendations_for_customer(user=staff, customer_id=customer.pk)
    assert all(item.because.startswith("Popular") for item in before)
    OrderLineFactory(order__customer=customer, variant=hat)
    after = recommendations_for_customer(user=staff, customer_id=customer.pk)
    assert [(item.name, item.because) for item in after][1] == ("Gloves", "Bought with Hat")


@pytest.mark.django_db
def test_when_stock_filters_everything_out_it_says_so_and_offers_another_store(shop):
    home, _near, far, staff = shop
    jacket = VariantFactory(size="M")
    wrong_size = VariantFactory(size="XL", product__category="tops")
    only_far_away = VariantFactory(size="M", product__category="tops")
    bought_together(jacket, wrong_size, 5)
    bought_together(jacket, only_far_away, 5)
    similarities_recompute()
    customer = CustomerFactory(preferred_store=home)
    CustomerSizeFactory(customer=customer, category="tops", size="M")
    OrderLineFactory(order__customer=customer, variant=jacket)
    StockLevelFactory(variant=wrong_size, store=home, on_hand=5)
    StockLevelFactory(variant=only_far_away, store=far, on_hand=5)
    assert recommendations_for_customer(user=staff, customer_id=customer.pk) == []
    suggestions = recommendation_list(user=staff, customer_id=customer.pk)
    assert suggestions.available == []
    assert [item.product_id for item in suggestions.elsewhere] == [only_far_away.product_id]
    assert suggestions.elsewhere[0].nearby_stores == [far.name]


@pytest.mark.django_db
def test_with_no_stock_known_the_list_is_shown_unchecked(shop):
    home, _near, _far, staff = shop
    first, second = VariantFactory(), VariantFactory()
    bought_together(first, second, 3)
    similarities_recompute()
    customer = CustomerFactory(preferred_store=home)
    OrderLineFactory(order__customer=customer, variant=first)
    suggestions = recommendation_list(user=staff, customer_id=customer.pk)
    assert suggestions.available == [] and suggestions.elsewhere == []
    assert [item.product_id for item in suggestions.unchecked][:2] == [
        first.product_id,
        second.product_id,
    ]


@pytest.mark.django_db
def test_a_new_customer_gets_their_stores_best_sellers_in_their_size(shop):
    home, near, _far, staff = shop
    popular_here = VariantFactory(size="M", product__category="tops")
    popular_elsewhere = VariantFactory(size="M", product__category="tops")
    for _ in range(3):
        OrderLineFactory(order__customer=CustomerFactory(), variant=popular_here, order__store=home)
    for _ in range(5):
        OrderLineFactory(
            order__customer=CustomerFactory(), variant=popular_elsewhere, order__store=near
        )
    similarities_recompute()
    assert StoreBestSeller.objects.filter(store=home).count() == 1
    customer = CustomerFactory(preferred_store=home)
    CustomerSizeFactory(customer=customer, category="tops", size="M")
    StockLevelFactory(variant=popular_here, store=home)
    StockLevelFactory(variant=popular_elsewhere, store=home)
    found = recommendations_for_customer(user=staff, customer_id=customer.pk)
    assert [item.product_id for item in found] == [popular_here.product_id]
    assert found[0].because == f"Popular at {home.name} · in their size"


@pytest.mark.django_db
def test_the_nightly_job_writes_neighbours_both_ways(shop):
    first, second = VariantFactory(), VariantFactory()
    bought_together(first, second, 2)
    result = similarities_recompute()
    assert (result.lines, result.customers, result.products, result.pairs) == (4, 2, 2, 2)
    assert set(ProductSimilarity.objects.values_list("product_id", "similar_id")) == {
        (first.product_id, second.product_id),
        (second.product_id, first.product_id),
    }


@pytest.mark.django_db
def test_recommendations_follow_the_profile_to_any_store_but_not_to_a_merged_record(shop):
    """Products for the person: any store serving them sees the list, as it sees the profile."""
    *_stores, staff = shop
    hat, gloves = VariantFactory(product__name="Hat"), VariantFactory(product__name="Gloves")
    bought_together(hat, gloves, 4)
    similarities_recompute()
    elsewhere = CustomerFactory(preferred_store=StoreFactory())
    StockLevelFactory(variant=gloves, store=elsewhere.preferred_store)
    OrderLineFactory(order__customer=elsewhere, variant=hat)
    found = recommendations_for_customer(user=staff, customer_id=elsewhere.pk)
    assert [suggestion.name for suggestion in found] == ["Gloves"]
    merged = CustomerFactory(preferred_store=elsewhere.preferred_store, merged_into=elsewhere)
    with pytest.raises(Customer.DoesNotExist):
        recommendations_for_customer(user=staff, customer_id=merged.pk)
    with pytest.raises(Customer.DoesNotExist):
        recommendations_for_customer(user=UserFactory(), customer_id=elsewhere.pk)


@pytest.mark.django_db
def test_the_panel_says_why_and_where_when_nothing_is_in_stock_nearby(shop, client):
    home, _near, far, staff = shop
    jacket = VariantFactory(size="M", product__name="Jacket")
    coat = VariantFactory(size="M", product__category="tops", product__name="Coat")
    bought_together(jacket, coat, 3)
    similarities_recompute()
    customer = CustomerFactory(preferred_store=home)
    OrderLineFactory(order__customer=customer, variant=jacket)
    StockLevelFactory(variant=coat, store=far, on_hand=2)
    client.force_login(staff)
    page = client.get(f"/actions/customer/{customer.pk}/recommendations/").content.decode()
    assert "Nothing we would suggest is in stock in their size here or nearby" in page
    assert "Why: Bought with Jacket" in page
    assert f"Order from {far.name}" in page
