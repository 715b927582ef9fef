"""A small brand for catalog tests: four stores at known places, one product, stock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from frontline.catalog.models import StockLevel, Variant
from frontline.customers.models import Customer
from frontline.staff.models import Store, User
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    StockLevelFactory,
    StoreAssignmentFactory,
    StoreFactory,
    VariantFactory,
)


@dataclass
class Shop:
    """A small brand: two London stores, one in Manchester, a warehouse, one product."""

    here: Store
    nearby: Store
    far: Store
    warehouse: Store
    associate: User
    other_associate: User
    customer: Customer
    stranger: Customer
    navy_m: Variant
    navy_l: Variant
    black_m: Variant

    def stock(self, variant: Variant, store: Store) -> StockLevel:
        return StockLevel.objects.get(variant=variant, store=store)


def build_shop() -> Shop:
    here = StoreFactory(
        code="london-soho",
        name="Soho",
        latitude=Decimal("51.5136"),
        longitude=Decimal("-0.1365"),
        default_hold_hours=48,
    )
    nearby = StoreFactory(
        code="london-city", name="City", latitude=Decimal("51.5155"), longitude=Decimal("-0.0922")
    )
    far = StoreFactory(
        code="manchester",
        name="Manchester",
        city="Manchester",
        latitude=Decimal("53.4808"),
        longitude=Decimal("-2.2426"),
    )
    warehouse = StoreFactory(
        code="warehouse", name="Online warehouse", kind="warehouse", latitude=None, longitude=None
    )
    associate = StoreAssignmentFactory(store=here, role="associate").user
    other_associate = StoreAssignmentFactory(store=far, role="associate").user
    product = ProductFactory(name="Merino crew", category="tops")
    navy_m = VariantFactory(
        product=product,
        sku="MC-NAVY-M",
        barcode="5012345678900",
        colour="Navy",
        size="M",
        price=Decimal("89.00"),
    )
    navy_l = VariantFactory(product=product, sku="MC-NAVY-L", colour="Navy", size="L")
    black_m = VariantFactory(product=product, sku="MC-BLACK-M", colour="Black", size="M")
    synced = timezone.now() - timezone.timedelta(minutes=20)
    for store, on_hand in ((here, 2), (nearby, 4), (far, 7), (warehouse, 30)):
        StockLevelFactory(store=store, variant=navy_m, on_hand=on_hand, synced_at=synced)
    StockLevelFactory(store=here, variant=navy_l, on_hand=1, synced_at=synced)
    StockLevelFactory(store=here, variant=black_m, on_hand=0, synced_at=synced)
    return Shop(
        here=here,
        nearby=nearby,
        far=far,
        warehouse=warehouse,
        associate=associate,
        other_associate=other_associate,
        customer=CustomerFactory(preferred_store=here, first_name="Ada", last_name="Lovelace"),
        stranger=CustomerFactory(preferred_store=far),
        navy_m=navy_m,
        navy_l=navy_l,
        black_m=black_m,
    )
