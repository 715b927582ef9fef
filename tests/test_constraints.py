"""Integrity rules live in the database, so no code path (sync, admin, SQL) can break them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from frontline.catalog.models import StockLevel
from frontline.orders.models import Order
from tests.factories import (
    CustomerFactory,
    IdentityFactory,
    OrderFactory,
    OrderLineFactory,
    StockLevelFactory,
    StoreAssignmentFactory,
    StoreFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


def assert_refused(action) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        action()


def test_stock_cannot_go_negative():
    stock = StockLevelFactory(on_hand=1)
    assert_refused(lambda: StockLevel.objects.filter(pk=stock.pk).update(on_hand=-1))


def test_more_cannot_be_reserved_than_is_on_hand():
    stock = StockLevelFactory(on_hand=2, reserved=2)
    assert_refused(lambda: StockLevel.objects.filter(pk=stock.pk).update(reserved=3))


def test_a_variant_has_one_stock_row_per_store():
    stock = StockLevelFactory()
    assert_refused(lambda: StockLevelFactory(store=stock.store, variant=stock.variant))


def test_a_source_record_belongs_to_one_customer():
    identity = IdentityFactory(source="crm", external_id="0031")
    assert_refused(lambda: IdentityFactory(source="crm", external_id="0031"))
    # The same id in another system is another record.
    assert IdentityFactory(source="ecommerce", external_id="0031").customer != identity.customer


def test_customer_email_is_stored_lower_case():
    assert_refused(lambda: CustomerFactory(email="Ada@Example.com"))


def test_a_customer_cannot_be_merged_into_itself():
    customer = CustomerFactory()
    customer.merged_into = customer
    assert_refused(customer.save)


def test_more_cannot_be_returned_than_was_bought():
    line = OrderLineFactory(quantity=2)
    line.returned_quantity = 3
    assert_refused(line.save)


def test_a_sale_never_takes_money_back_and_a_return_never_charges():
    assert_refused(lambda: OrderFactory(kind=Order.Kind.SALE, total="-1.00"))
    assert_refused(lambda: OrderFactory(kind=Order.Kind.RETURN, total="1.00"))
    assert OrderFactory(kind=Order.Kind.RETURN, total="-1.00").pk


def test_only_a_return_names_an_original_sale():
    sale = OrderFactory()
    assert_refused(lambda: OrderFactory(original=sale))
    assert OrderFactory(kind=Order.Kind.RETURN, total="-1.00", original=sale).pk


def test_units_are_returned_against_a_sold_line_only():
    returned = OrderLineFactory(order=OrderFactory(kind=Order.Kind.RETURN, total="-1.00"))
    returned.quantity, returned.returned_quantity = -1, 1
    assert_refused(returned.save)
    assert_refused(lambda: OrderLineFactory(quantity=0))


def test_a_sku_is_unique():
    VariantFactory(sku="SKU-1")
    assert_refused(lambda: VariantFactory(sku="SKU-1"))


def test_an_in_store_order_names_its_store():
    assert_refused(lambda: OrderFactory(channel=Order.Channel.STORE, store=None))
    assert OrderFactory(channel=Order.Channel.ONLINE, store=None).pk


def test_a_staff_member_has_one_primary_store():
    assignment = StoreAssignmentFactory(is_primary=True)
    other_store = StoreFactory()
    assert_refused(
        lambda: StoreAssignmentFactory(user=assignment.user, store=other_store, is_primary=True)
    )


def test_store_coordinates_stay_on_the_globe():
    assert_refused(lambda: StoreFactory(code="nowhere", latitude=91))
