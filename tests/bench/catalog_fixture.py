"""The catalog benchmarks' data: N variants x M stores of stock, loaded once with COPY.

Everything the fixture creates is named ``bench-inv-...`` / ``BINV...`` so that it can tell its
own rows from anything else in the benchmark database, reuse them when they are complete, and
start over when a previous load was interrupted.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from frontline.catalog.models import Brand, Product, StockLevel, Variant
from frontline.customers.models import Customer
from frontline.staff.models import StaffRole, Store, StoreAssignment, User

STORE_PREFIX = "bench-inv-"
SKU_PREFIX = "BINV-"
SIZES = ["XS", "S", "M", "L", "XL"]
COLOURS = ["Navy", "Black"]
WAREHOUSES = 2
COPY_CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class CatalogBench:
    stores: list[Store]
    variant_ids: list[int]
    associate: User
    customer: Customer


def sizes(scale: str) -> tuple[int, int]:
    """(variants, stores): the issue's numbers at full scale, a quick check at small."""
    return (50_000, 200) if scale == "full" else (2_000, 20)


@dataclass(frozen=True)
class CatalogData:
    """The benchmarks' declaration of this fixture (see tests/bench/datasets.py)."""

    seed: int = 4

    def describe(self, scale: str) -> str:
        variants, stores = sizes(scale)
        return f"the catalog fixture ({variants:,} variants x {stores} stores of stock)"

    def missing(self, scale: str) -> str | None:
        variants, stores = sizes(scale)
        if _is_complete(variants=variants, stores=stores):
            return None
        return "it is not complete (never loaded, flushed since, or a load stopped half-way)"

    def prepare(self, scale: str) -> None:
        variants, stores = sizes(scale)
        _remove_partial_load()
        _load(variants=variants, stores=stores, seed=self.seed)


CATALOG = CatalogData()


def loaded(scale: str) -> CatalogBench:
    """The fixture's rows a benchmark uses (the harness has made sure they are complete)."""
    store_rows = list(Store.objects.filter(code__startswith=STORE_PREFIX).order_by("code"))
    variant_ids = list(
        Variant.objects.filter(sku__startswith=SKU_PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    associate, customer = _staff_and_customer(store_rows[0])
    return CatalogBench(
        stores=store_rows, variant_ids=variant_ids, associate=associate, customer=customer
    )


def _is_complete(*, variants: int, stores: int) -> bool:
    store_ids = list(
        Store.objects.filter(code__startswith=STORE_PREFIX).values_list("pk", flat=True)
    )
    if len(store_ids) != stores:
        return False
    variant_ids = Variant.objects.filter(sku__startswith=SKU_PREFIX).values_list("pk", flat=True)
    if variant_ids.count() != variants:
        return False
    last_variant = variant_ids.order_by("-pk").first()
    # The load writes store by store: a full last store means the load finished.
    return (
        StockLevel.objects.filter(variant_id=last_variant, store_id__in=store_ids).count() == stores
        and StockLevel.objects.filter(store_id=max(store_ids)).count() == variants
    )


def _remove_partial_load() -> None:
    with transaction.atomic():
        stores = Store.objects.filter(code__startswith=STORE_PREFIX)
        from frontline.catalog.models import Hold

        Hold.objects.filter(store__in=stores).delete()
        StockLevel.objects.filter(store__in=stores).delete()
        StockLevel.objects.filter(variant__sku__startswith=SKU_PREFIX).delete()
        Variant.objects.filter(sku__startswith=SKU_PREFIX).delete()
        Product.objects.filter(style_code__startswith=SKU_PREFIX).delete()
        StoreAssignment.objects.filter(store__in=stores).delete()
        Customer.objects.filter(number__startswith="BINV").delete()
        stores.delete()


def _load(*, variants: int, stores: int, seed: int) -> None:
    rng = random.Random(seed)
    brand, _ = Brand.objects.get_or_create(name="Bench Inventory")
    store_rows = Store.objects.bulk_create(
        Store(
            code=f"{STORE_PREFIX}{number:03d}",
            name=f"Bench store {number:03d}",
            kind=Store.Kind.WAREHOUSE if number >= stores - WAREHOUSES else Store.Kind.STORE,
            # Anywhere in Great Britain, roughly.
            latitude=Decimal(f"{rng.uniform(50.2, 57.5):.6f}"),
            longitude=Decimal(f"{rng.uniform(-5.5, 1.7):.6f}"),
        )
        for number in range(stores)
    )
    per_product = len(SIZES) * len(COLOURS)
    products = Product.objects.bulk_create(
        Product(
            style_code=f"{SKU_PREFIX}P{number:06d}",
            name=f"Bench style {number}",
            brand=brand,
            category=Product.Category.TOPS,
        )
        for number in range(variants // per_product)
    )
    with connection.cursor() as cursor:
        buffer = io.StringIO()
        number = 0
        for product in products:
            for colour in COLOURS:
                for size in SIZES:
                    buffer.write(
                        f"{product.pk}\t{SKU_PREFIX}{number:07d}\t\\N\t{size}\t{colour}\t59.00\tGBP\n"
                    )
                    number += 1
        buffer.seek(0)
        with cursor.copy(
            "COPY catalog_variant (product_id, sku, barcode, size, colour, price, currency) "
            "FROM STDIN"
        ) as copy:
            copy.write(buffer.getvalue())
        variant_ids = list(
            Variant.objects.filter(sku__startswith=SKU_PREFIX)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        now = timezone.now().isoformat()
        # Store by store, as a per-store sync feed arrives: one variant's rows end up spread
        # over the table, which is the hard case for "one variant in every store".
        for store in store_rows:
            chunk = io.StringIO()
            for variant_id in variant_ids:
                chunk.write(f"{store.pk}\t{variant_id}\t{rng.randint(0, 12)}\t0\t{now}\t{now}\n")
            with cursor.copy(
                "COPY catalog_stocklevel (store_id, variant_id, on_hand, reserved, synced_at, "
                "updated_at) FROM STDIN"
            ) as copy:
                copy.write(chunk.getvalue())
        cursor.execute("ANALYZE catalog_stocklevel")
        cursor.execute("ANALYZE catalog_variant")
        cursor.execute("ANALYZE staff_store")


def _staff_and_customer(store: Store) -> tuple[User, Customer]:
    associate, created = User.objects.get_or_create(username="bench-inv-associate")
    if created:
        associate.set_unusable_password()
        associate.save()
    StoreAssignment.objects.get_or_create(
        user=associate, store=store, defaults={"role": StaffRole.ASSOCIATE, "is_primary": True}
    )
    customer, _ = Customer.objects.get_or_create(
        number="BINV0000001", defaults={"first_name": "Bench", "preferred_store": store}
    )
    return associate, customer
