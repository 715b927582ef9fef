"""Orders a source deleted: soft-deleted, out of the customer's figures and order history."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from frontline.customers.loading import customers_land
from frontline.customers.models import Customer
from frontline.customers.selectors import customer_orders, customer_profile
from frontline.orders.loading import orders_land
from frontline.orders.models import Order
from tests.factories import UserFactory, customer_record

pytestmark = pytest.mark.django_db


def order(external_id: str, total: str, day: int, **changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "external_id": external_id,
        "number": f"N-{external_id}",
        "customer_external_id": "C1",
        "channel": "online",
        "store": "",
        "placed_at": datetime(2026, 11, day, 10, 0, tzinfo=UTC),
        "currency": "GBP",
        "total": Decimal(total),
        "lines": [
            {
                "sku": "SKU-1",
                "description": "Shirt",
                "quantity": 1,
                "unit_price": Decimal(total),
                "returned_quantity": 0,
            }
        ],
    }
    return {**base, **changes}


def deleted(external_id: str) -> dict[str, object]:
    """What a connector sends for an order its source deleted."""
    return {"external_id": external_id, "deleted": True}


@pytest.fixture
def customer() -> Customer:
    customers_land(
        record_source="ecommerce",
        records=[customer_record()],
    )
    return Customer.objects.get()


def figures(customer: Customer) -> tuple[Decimal, int, datetime | None, datetime | None]:
    customer.refresh_from_db()
    return (
        customer.lifetime_value,
        customer.order_count,
        customer.first_purchase_at,
        customer.last_purchase_at,
    )


def test_an_order_the_source_deleted_leaves_the_customers_figures_and_order_history(customer):
    orders_land(
        record_source="ecommerce",
        records=[order("9001", "40.00", 2), order("9002", "25.50", 5), order("9003", "10", 7)],
    )

    outcome = orders_land(record_source="ecommerce", records=[deleted("9003")])

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 0)
    assert outcome.active_customer_ids == {customer.pk}
    assert Order.objects.get(external_id="9003").deleted_at is not None
    assert figures(customer) == (
        Decimal("65.50"),
        2,
        datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
        datetime(2026, 11, 5, 10, 0, tzinfo=UTC),
    )
    profile = customer_profile(user=UserFactory(is_superuser=True), customer_id=customer.pk)
    assert [o.external_id for o in profile.orders] == ["9002", "9001"]
    # The profile's figures still add up: a deleted order is not something given back.
    assert profile.returns.value == Decimal("0.00")


def test_a_customer_whose_only_order_was_deleted_is_back_to_no_purchases(customer):
    orders_land(record_source="ecommerce", records=[order("9001", "40.00", 2)])

    orders_land(record_source="ecommerce", records=[deleted("9001")])

    assert figures(customer) == (Decimal("0.00"), 0, None, None)
    assert list(customer_orders(customer=customer)) == []


def test_a_later_record_of_a_deleted_order_brings_it_back_and_a_repeat_changes_nothing(customer):
    orders_land(record_source="ecommerce", records=[order("9001", "40.00", 2)])
    orders_land(record_source="ecommerce", records=[deleted("9001")])

    again = orders_land(record_source="ecommerce", records=[deleted("9001"), deleted("9404")])
    back = orders_land(record_source="ecommerce", records=[order("9001", "40.00", 2)])

    assert (again.updated, again.unchanged, again.active_customer_ids) == (0, 2, set())
    assert (back.created, back.updated) == (0, 1)
    assert Order.objects.get(external_id="9001").deleted_at is None
    assert figures(customer)[:2] == (Decimal("40.00"), 1)


def test_tombstones_and_orders_in_one_batch_report_refusals_at_their_own_positions(customer):
    outcome = orders_land(
        record_source="ecommerce",
        records=[deleted("9001"), order("9002", "5", 3, customer_external_id="GHOST")],
    )

    assert outcome.rejected == {1: "unknown customer 'GHOST' (sync customers first)"}
    assert outcome.unchanged == 1
