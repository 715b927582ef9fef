"""Catalog reads. Stock is brand-wide knowledge; holds are scoped to the staff member's stores."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import Q, QuerySet

from frontline.catalog.models import Hold, HoldRequest, Product, StockLevel, Variant
from frontline.core.batching import prepared_models
from frontline.core.text import one_line
from frontline.customers.models import Customer, CustomerSize
from frontline.customers.selectors import customers_findable_by
from frontline.staff.models import Store, User
from frontline.staff.selectors import primary_store_for, stores_for

EARTH_RADIUS_KM = 6371.0088
SIZE_ORDER = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "ONE"]


# --- Customers the staff member may act for ---------------------------------------------------


def customer_findable_among(customer: Customer, store_ids: set[int] | None) -> bool:
    """The rule of ``customers_findable_by`` (customers domain) for a customer already loaded
    and the stores of the staff member (None for a superuser): a live customer, for anyone who
    works at a store. Saves the hold path a query.

    Any store keeps an item aside for any customer of the brand: the hold is the work of the
    store that keeps it (``holds_visible_to``), whichever store the customer usually shops at.
    """
    if customer.merged_into_id is not None or customer.deleted_at is not None:
        return False
    return store_ids is None or bool(store_ids)


def findable_customer(
    user: User, *, customer_id: int | None = None, number: str | None = None
) -> Customer | None:
    """A customer of the brand by id or customer number, or None when there is no such one."""
    if customer_id is None and not (number or "").strip():
        return None
    lookup = {"pk": customer_id} if customer_id is not None else {"number": (number or "").strip()}
    return customers_findable_by(user).filter(**lookup).first()


# --- Finding products ------------------------------------------------------------------------


def variant_by_code(code: str) -> Variant | None:
    """The variant whose SKU or barcode is exactly ``code`` (as typed or scanned)."""
    code = one_line(code)
    if not code:
        return None
    return (
        Variant.objects.select_related("product")
        .filter(Q(sku=code) | Q(sku=code.upper()) | Q(barcode=code))
        .first()
    )


def products_search(query: str, *, limit: int = 20) -> list[Product]:
    """Products by SKU or barcode (exact), style code (exact) or name (contains)."""
    query = one_line(query)
    if not query:
        return []
    exact = variant_by_code(query)
    if exact is not None:
        return [exact.product]
    return list(
        Product.objects.filter(is_active=True)
        .filter(Q(style_code__iexact=query) | Q(name__icontains=query))
        .select_related("brand")
        .order_by("name")[:limit]
    )


# --- The size x colour matrix ---------------------------------------------------------------


def size_sort_key(size: str) -> tuple[int, float, str]:
    upper = size.upper()
    if upper in SIZE_ORDER:
        return (0, SIZE_ORDER.index(upper), upper)
    number = re.match(r"^\d+(\.\d+)?", size)
    if number:
        return (1, float(number.group()), size)
    return (2, 0, size)


@dataclass(frozen=True)
class MatrixCell:
    variant: Variant
    available: int
    synced_at: datetime | None


@dataclass
class StockMatrix:
    product: Product
    store: Store | None
    sizes: list[str]
    colours: list[str]
    cells: dict[tuple[str, str], MatrixCell] = field(default_factory=dict)
    filtered_to_sizes: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, list[MatrixCell | None]]]:
        """One row per colour, one cell per size (None where the combination is not made)."""
        return [
            (colour, [self.cells.get((colour, size)) for size in self.sizes])
            for colour in self.colours
        ]

    @property
    def synced_at(self) -> datetime | None:
        times = [cell.synced_at for cell in self.cells.values() if cell.synced_at]
        return min(times) if times else None


def customer_size_for(customer: Customer, product: Product) -> str | None:
    """The size the customer wears in the product's category, if recorded."""
    return (
        CustomerSize.objects.filter(customer=customer, category=product.category)
        .values_list("size", flat=True)
        .first()
    )


def stock_matrix(
    *, product: Product, store: Store | None, sizes: list[str] | None = None
) -> StockMatrix:
    """Available units of each variant of the product at ``store`` (size x colour)."""
    variants = list(product.variants.all())
    if sizes:
        wanted = {size.upper() for size in sizes}
        variants = [variant for variant in variants if variant.size.upper() in wanted]
    stock = {}
    if store is not None:
        stock = {
            row.variant_id: row
            for row in StockLevel.objects.filter(store=store, variant__in=variants)
        }
    matrix = StockMatrix(
        product=product,
        store=store,
        sizes=sorted({variant.size for variant in variants}, key=size_sort_key),
        colours=sorted({variant.colour for variant in variants}),
        filtered_to_sizes=sizes or [],
    )
    for variant in variants:
        row = stock.get(variant.pk)
        matrix.cells[(variant.colour, variant.size)] = MatrixCell(
            variant=variant,
            available=max(row.available, 0) if row else 0,
            synced_at=row.synced_at if row else None,
        )
    return matrix


# --- One variant across every store ---------------------------------------------------------


@dataclass(frozen=True)
class StoreStock:
    store_id: int
    code: str
    name: str
    city: str
    kind: str
    on_hand: int
    reserved: int
    synced_at: datetime | None
    distance_km: float | None

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved, 0)


@dataclass(frozen=True)
class StockOverview:
    variant: Variant
    here: StoreStock | None
    nearby: list[StoreStock]
    warehouses: list[StoreStock]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; plenty accurate for "which store is nearer"."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = math.radians(lat2 - lat1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _distance(
    origin: Store | None, latitude: Decimal | None, longitude: Decimal | None
) -> float | None:
    if origin is None or None in (origin.latitude, origin.longitude, latitude, longitude):
        return None
    kilometres = haversine_km(
        float(origin.latitude),  # type: ignore[arg-type]
        float(origin.longitude),  # type: ignore[arg-type]
        float(latitude),  # type: ignore[arg-type]
        float(longitude),  # type: ignore[arg-type]
    )
    return round(kilometres, 1)


STORE_STOCK_FIELDS = (
    "store_id",
    "on_hand",
    "reserved",
    "synced_at",
    "store__code",
    "store__name",
    "store__city",
    "store__kind",
    "store__latitude",
    "store__longitude",
)


def variant_stock_overview(*, variant: Variant, origin: Store | None) -> StockOverview:
    """Stock of one variant in every active store: mine, then nearest first, then warehouses.

    One indexed query (the (variant, store) unique index gives the variant's rows, a few hundred
    at most), with distances computed here: measured in tests/bench/bench_stock_lookup.py.
    """
    rows = (
        StockLevel.objects.filter(variant=variant, store__is_active=True)
        .values_list(*STORE_STOCK_FIELDS)
        .order_by()
    )
    here, nearby, warehouses = None, [], []
    for store_id, on_hand, reserved, synced_at, code, name, city, kind, lat, lon in rows:
        entry = StoreStock(
            store_id=store_id,
            code=code,
            name=name,
            city=city,
            kind=kind,
            on_hand=on_hand,
            reserved=reserved,
            synced_at=synced_at,
            distance_km=_distance(origin, lat, lon),
        )
        if origin is not None and store_id == origin.pk:
            here = entry
        elif kind == Store.Kind.WAREHOUSE:
            warehouses.append(entry)
        else:
            nearby.append(entry)
    nearby.sort(key=lambda e: (e.distance_km is None, e.distance_km or 0.0, e.name))
    return StockOverview(variant=variant, here=here, nearby=nearby, warehouses=warehouses)


# --- Holds, scoped to the staff member ------------------------------------------------------


def holds_visible_to(user: User) -> QuerySet[Hold]:
    """Holds kept at one of the staff member's stores or requested from one of them."""
    holds = Hold.objects.select_related(
        "variant__product", "store", "requested_from", "customer", "created_by", "request"
    )
    if user.is_superuser:
        return holds
    store_ids = stores_for(user).values("pk")
    return holds.filter(Q(store__in=store_ids) | Q(requested_from__in=store_ids))


def hold_for(user: User, hold_id: int) -> Hold | None:
    return holds_visible_to(user).filter(pk=hold_id).first()


def holds_for_store(*, user: User, store: Store, active_only: bool = True) -> QuerySet[Hold]:
    """The store's holds list: items kept here, and items this store asked others to keep."""
    holds = holds_visible_to(user).filter(Q(store=store) | Q(requested_from=store))
    if active_only:
        holds = holds.filter(status=Hold.Status.ACTIVE)
    return holds.order_by("expires_at")


def hold_requests_waiting(*, user: User, store: Store) -> QuerySet[HoldRequest]:
    """Requests from other stores that ``store`` still has to answer."""
    return (
        HoldRequest.objects.filter(
            hold__in=holds_visible_to(user).filter(store=store, status=Hold.Status.ACTIVE),
            status=HoldRequest.Status.PENDING,
        )
        .select_related("hold__variant__product", "hold__customer", "hold__requested_from")
        .order_by("hold__created_at")
    )


# Values no real staff id or expiry takes, to compile the day's holds query once.
_STAFF_STAND_IN = -7_777_777_721
_UNTIL_STAND_IN = datetime(1901, 2, 3, 4, 5, 6, 789021, tzinfo=UTC)


def holds_expiring_by(*, user: User, until: datetime, limit: int) -> list[Hold]:
    """The first ``limit`` active holds kept at the staff member's stores that expire before
    ``until``, soonest first.

    Only the relations the associate's day shows are joined, and the query is compiled once
    (``prepared_models``; superusers' unscoped one has no staff id to fill in): it is read on
    every home screen.
    """
    if user.is_superuser:
        return list(_holds_expiring_by(limit, user=user, until=until))
    return prepared_models(
        _holds_of_staff_expiring_by,
        limit,
        stand_ins={"user_id": _STAFF_STAND_IN, "until": _UNTIL_STAND_IN},
        user_id=user.pk,
        until=until,
    )


def _holds_of_staff_expiring_by(limit: int, *, user_id: int, until: datetime) -> QuerySet[Hold]:
    return _holds_expiring_by(limit, user=User(pk=user_id), until=until)


def _holds_expiring_by(limit: int, *, user: User, until: datetime) -> QuerySet[Hold]:
    holds = Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lt=until)
    if not user.is_superuser:
        holds = holds.filter(store__in=stores_for(user).values("pk"))
    return holds.select_related("variant__product", "customer").order_by("expires_at")[:limit]


def holds_for_customer(
    *, user: User, customer: Customer, active_only: bool = False
) -> QuerySet[Hold]:
    """The customer's holds at the staff member's stores, for the customer's profile."""
    holds = holds_visible_to(user).filter(customer=customer)
    if active_only:
        holds = holds.filter(status=Hold.Status.ACTIVE)
    return holds.order_by("-created_at")


def store_for_holds(user: User, store_id: int | None) -> Store | None:
    """The store whose holds list to show: the one asked for if allowed, else the primary one."""
    stores = stores_for(user)
    if store_id is not None:
        return stores.filter(pk=store_id).first()
    return primary_store_for(user) or stores.first()
