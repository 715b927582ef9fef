"""A customer of store A with something in every domain Frontline keeps about people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from frontline.customers.models import Customer
from frontline.customers.services import note_create
from frontline.staff.models import StaffRole, Store, User
from tests.factories import (
    ActionOutcomeFactory,
    ActionSuggestionFactory,
    ConsentFactory,
    CustomerFactory,
    CustomerPreferenceFactory,
    CustomerSizeFactory,
    IdentityFactory,
    InteractionFactory,
    OrderFactory,
    OrderLineFactory,
    StoreFactory,
    WishlistItemFactory,
    staff_at,
)


@dataclass
class Household:
    store: Store
    manager: User
    associate: User
    customer: Customer


@pytest.fixture
def household(db) -> Household:
    store = StoreFactory()
    manager = staff_at(store, StaffRole.MANAGER)
    associate = staff_at(store)
    customer = CustomerFactory(
        preferred_store=store,
        first_name="Grace",
        last_name="Hopper",
        email="grace.hopper@example.com",
        phone="+447700900123",
        postcode="N1 9GU",
        birthday=date(1980, 12, 9),
        preferred_associate=associate,
        lifetime_value=Decimal("250.00"),
        order_count=1,
    )
    IdentityFactory(customer=customer, source="crm", external_id="003GRACE")
    IdentityFactory(customer=customer, source="ecommerce", external_id="7001")
    ConsentFactory(customer=customer)
    CustomerPreferenceFactory(customer=customer, value="Navy")
    CustomerSizeFactory(customer=customer)
    note_create(customer=customer, author=associate, body="Grace prefers Saturday fittings.")
    InteractionFactory(customer=customer, summary="Asked Grace about the navy coat")
    order = OrderFactory(customer=customer, total=Decimal("250.00"))
    OrderLineFactory(order=order, quantity=1, unit_price=Decimal("250.00"))
    WishlistItemFactory(customer=customer)
    ActionSuggestionFactory(customer=customer)
    ActionOutcomeFactory(customer=customer, reason="Birthday on 9 Dec", note="Called Grace")
    return Household(store=store, manager=manager, associate=associate, customer=customer)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
