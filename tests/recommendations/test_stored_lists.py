"""Each customer's list stored by the nightly job, read by the panel, refreshed after a sale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from frontline.customers.loading import customers_land
from frontline.customers.models import Customer
from frontline.orders.loading import orders_land
from frontline.recommendations.models import CustomerRecommendations
from frontline.recommendations.selectors import customer_entries, recommendation_list
from frontline.recommendations.services import similarities_recompute
from tests.factories import (
    CustomerFactory,
    OrderLineFactory,
    StockLevelFactory,
    StoreAssignmentFactory,
    StoreFactory,
    UserFactory,
    VariantFactory,
    customer_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """Six products, a dozen customers with overlapping baskets at distinct times."""
    store = StoreFactory()
    staff = StoreAssignmentFactory(store=store).user
    variants = [VariantFactory(product__name=f"Product {n}") for n in range(6)]
    for variant in variants:
        StockLevelFactory(variant=variant, store=store, on_hand=3)
    now = timezone.now()
    customers = []
    for n in range(12):
        customer = CustomerFactory(preferred_store=store)
        for k, offset in enumerate((0, 1, 3)[: 1 + n % 3]):
            OrderLineFactory(
                order__customer=customer,
                order__placed_at=now - timedelta(days=5 * n + k + 1, hours=n),
                variant=variants[(n + offset) % len(variants)],
            )
        customers.append(customer)
    return staff, customers, variants


def stored(customer: Customer) -> list[list[object]]:
    return CustomerRecommendations.objects.get(customer=customer).products


def test_the_nightly_job_stores_each_list_as_scoring_the_customer_alone_ranks_it(history):
    _staff, customers, _variants = history
    outcome = similarities_recompute()
    assert outcome.lists == len(customers) == CustomerRecommendations.objects.count()
    for customer in customers:
        now_scored = customer_entries(customer_id=customer.pk, now=timezone.now())
        assert now_scored is not None
        kept = stored(customer)
        # Same products in the same order, same reasons (bought with, last bought day).
        assert [(p, w, d) for p, _s, w, d in kept] == [(p, w, d) for p, _s, w, d in now_scored]
        assert [s for _p, s, _w, _d in kept] == pytest.approx(
            [s for _p, s, _w, _d in now_scored], abs=1e-3
        )


def test_the_panel_reads_the_stored_list_without_scoring_the_history(history):
    staff, customers, _variants = history
    similarities_recompute()
    for customer in customers[:4]:
        with CaptureQueriesContext(connection) as queries:
            shown = recommendation_list(user=staff, customer_id=customer.pk)
        assert not [q for q in queries.captured_queries if "orders_orderline" in q["sql"]]
        assert shown.available
        scored_now = recommendation_list(user=staff, customer_id=customer.pk, stored=False)
        assert [(i.product_id, i.because) for i in shown.available] == [
            (i.product_id, i.because) for i in scored_now.available
        ]


def test_a_customer_with_no_purchases_has_no_stored_list_and_gets_best_sellers(history):
    staff, customers, _variants = history
    similarities_recompute()
    newcomer = CustomerFactory(preferred_store=customers[0].preferred_store)
    assert not CustomerRecommendations.objects.filter(customer=newcomer).exists()
    shown = recommendation_list(user=staff, customer_id=newcomer.pk).available
    assert shown and all(item.because.startswith("Popular") for item in shown)


def test_a_landed_purchase_refreshes_that_customers_stored_list(
    history, tasks_run, django_capture_on_commit_callbacks
):
    _staff, _customers, variants = history
    customers_land(
        record_source="till",
        records=[customer_record()],
    )
    ada = Customer.objects.get(first_name="Ada")
    similarities_recompute()
    assert not CustomerRecommendations.objects.filter(customer=ada).exists()
    placed = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    sale = {
        "external_id": "S1",
        "number": "S1",
        "customer_external_id": "C1",
        "channel": "online",
        "store": "",
        "placed_at": placed,
        "currency": "GBP",
        "total": Decimal("30"),
        "lines": [
            {
                "sku": variants[2].sku,
                "description": "",
                "quantity": 1,
                "unit_price": Decimal("30"),
                "returned_quantity": 0,
            }
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        orders_land(record_source="till", records=[sale])
    assert "frontline.recommendations.tasks.refresh_customer_recommendations_task" in tasks_run
    first = stored(ada)[0]
    assert first[0] == variants[2].product_id
    brand_wide = UserFactory(is_superuser=True)  # Ada has no store: the brand's staff see her
    # Online-only, so the stock at the store is offered as elsewhere.
    shown = recommendation_list(user=brand_wide, customer_id=ada.pk).elsewhere
    assert shown[0].because == "Bought before, last on 20 Nov 2026"
