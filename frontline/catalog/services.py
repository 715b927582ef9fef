"""Catalog writes: holds, hold requests to other stores, back-in-stock watches, stock arrival.

Every state change claims its row with a conditional UPDATE (``... WHERE status = 'active'``)
before acting, so a retried task or a double tap changes nothing twice. Stock is promised by a
conditional ``UPDATE stock SET reserved = reserved + n WHERE on_hand - reserved >= n`` in the
same transaction as the hold row; the database's ``reserved <= on_hand`` constraint is the last
line of defence behind it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from frontline.catalog import events
from frontline.catalog.confirmation import (
    ConfirmedStock,
    StockConfirmer,
    configured_confirmer,
    confirm_stock,
    confirms_live,
)
from frontline.catalog.models import (
    BackInStockWatch,
    Hold,
    HoldRequest,
    Product,
    StockLevel,
    Variant,
)
from frontline.catalog.selectors import customer_findable_among
from frontline.customers.models import Customer, Source
from frontline.customers.selectors import customers_findable_by
from frontline.orders.models import Order, OrderLine
from frontline.staff.models import Store, User
from frontline.staff.selectors import primary_store_for, stores_for

logger = logging.getLogger(__name__)

MAX_HOLD_HOURS = 24 * 14


class CatalogError(Exception):
    """A request the catalog refuses; ``message`` is shown to the associate as it is."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(CatalogError):
    status_code = 400


class NotFound(CatalogError):
    status_code = 404


class NotAllowed(CatalogError):
    status_code = 403


class NotEnoughStock(CatalogError):
    status_code = 409


class StockJustTaken(NotEnoughStock):
    """Someone else promised the last units between our read and our write."""


class HoldNotActive(CatalogError):
    status_code = 409


# --- Who may act -------------------------------------------------------------------------


def _require_findable_customer(user: User, customer: Customer) -> None:
    if not customers_findable_by(user).filter(pk=customer.pk).exists():
        raise NotFound(gettext("No such customer among the customers you look after."))


def _user_store_ids(user: User) -> set[int]:
    return set(stores_for(user).values_list("pk", flat=True))


def _require_hold_side(user: User, hold: Hold, *, holding_store_only: bool = False) -> None:
    """The staff of the holding store may act on a hold; the requesting store too, unless not."""
    allowed = {hold.store_id} if holding_store_only else {hold.store_id, hold.requested_from_id}
    if user.is_superuser or allowed & _user_store_ids(user):
        return
    raise NotFound(gettext("No such hold at your stores."))


# --- Holds -------------------------------------------------------------------------------


def _hold_duration(store: Store, hours: int | None) -> timedelta:
    hours = store.default_hold_hours if hours is None else hours
    if not 1 <= hours <= MAX_HOLD_HOURS:
        raise InvalidRequest(
            gettext("A hold lasts between 1 and %(limit)s hours.") % {"limit": MAX_HOLD_HOURS}
        )
    return timedelta(hours=hours)


def _stock_row(*, store: Store, variant: Variant) -> StockLevel:
    stock = StockLevel.objects.filter(store=store, variant=variant).first()
    if stock is None:
        raise NotEnoughStock(
            gettext("%(name)s has no %(sku)s in stock.") % {"name": store.name, "sku": variant.sku}
        )
    return stock


def _reserve(*, stock: StockLevel, quantity: int) -> None:
    try:
        reserved = StockLevel.objects.filter(
            pk=stock.pk, on_hand__gte=F("reserved") + quantity
        ).update(reserved=F("reserved") + quantity, updated_at=timezone.now())
    except IntegrityError:
        # The reserved <= on_hand constraint caught what the condition should have: still a
        # clear answer for the associate rather than an error page.
        reserved = 0
    if not reserved:
        raise StockJustTaken(
            gettext(
                "Just taken: another associate has held the last units a moment ago. "
                "Look at nearby stores."
            )
        )


def hold_create(
    *,
    user: User,
    customer: Customer,
    variant: Variant,
    store: Store,
    quantity: int = 1,
    pickup_note: str = "",
    hours: int | None = None,
    confirmer: StockConfirmer | None = None,
) -> Hold:
    """Keep ``quantity`` units aside for the customer at ``store``; available drops at once.

    When ``store`` is not one of the associate's stores the hold also asks that store to put the
    item aside (a pending :class:`HoldRequest`). Raises a :class:`CatalogError` and changes
    nothing when the request cannot be met.
    """
    if quantity <= 0:
        raise InvalidRequest(gettext("The quantity must be at least 1."))
    own_stores = None if user.is_superuser else _user_store_ids(user)
    if not customer_findable_among(customer, own_stores):
        raise NotFound(gettext("No such customer among the customers you look after."))
    duration = _hold_duration(store, hours)
    stock = _stock_row(store=store, variant=variant)
    if stock.available < quantity:
        raise NotEnoughStock(
            gettext("Only %(max)s of %(sku)s available at %(name)s.")
            % {"max": max(stock.available, 0), "sku": variant.sku, "name": store.name}
        )
    # Asked before the transaction: a live round trip must never hold a row lock.
    confirmer = confirmer or configured_confirmer()
    live = confirm_stock(confirmer, sku=variant.sku, store_code=store.code)
    if live is not None and live.on_hand - stock.reserved < quantity:
        raise NotEnoughStock(
            gettext(
                "The live stock check counts only %(on_hand)s of %(sku)s at %(name)s (with "
                "%(reserved)s already held)."
            )
            % {
                "on_hand": live.on_hand,
                "sku": variant.sku,
                "name": store.name,
                "reserved": stock.reserved,
            }
        )
    is_other_store = own_stores is not None and store.pk not in own_stores
    requested_from = primary_store_for(user) if is_other_store else None
    with transaction.atomic():
        _reserve(stock=stock, quantity=quantity)
        hold = Hold.objects.create(
            customer=customer,
            variant=variant,
            store=store,
            requested_from=requested_from,
            quantity=quantity,
            expires_at=timezone.now() + duration,
            pickup_note=pickup_note.strip()[:300],
            basis=Hold.Basis.LIVE if live else Hold.Basis.SYNCED,
            basis_as_of=live.as_of if live else stock.synced_at,
            basis_detail=_basis_detail(live, asked=confirms_live(confirmer)),
            created_by=user,
        )
        if is_other_store:
            HoldRequest.objects.create(hold=hold)
        events.hold_placed(hold)
    return hold


def _basis_detail(live: ConfirmedStock | None, *, asked: bool) -> str:
    """What the hold says about its stock figure; nothing when no live system is configured."""
    if live is not None:
        return f"Live stock check confirmed {live.on_hand} on hand"
    if asked:
        return "The live stock check did not answer; based on the synced figure"
    return ""


def hold_extend(*, user: User, hold: Hold, hours: int) -> Hold:
    """Push the deadline ``hours`` further (from now if it has already passed)."""
    _require_hold_side(user, hold)
    duration = _hold_duration(hold.store, hours)
    new_expiry = max(hold.expires_at, timezone.now()) + duration
    if not Hold.objects.filter(pk=hold.pk, status=Hold.Status.ACTIVE).update(expires_at=new_expiry):
        raise HoldNotActive(gettext("This hold has already ended; it cannot be extended."))
    hold.refresh_from_db()
    events.hold_extended(hold)
    return hold


def _close(*, hold_id: int, status: str, user: User | None) -> Hold | None:
    """Claim an active hold for ``status`` and release its stock; None when already closed.

    Must run inside a transaction so that the claim and the stock change commit together.
    """
    now = timezone.now()
    claimed = Hold.objects.filter(pk=hold_id, status=Hold.Status.ACTIVE).update(
        status=status, closed_at=now, closed_by=user
    )
    if not claimed:
        return None
    hold = Hold.objects.select_related("variant__product", "store", "customer").get(pk=hold_id)
    release = {"reserved": F("reserved") - hold.quantity, "updated_at": now}
    if status == Hold.Status.COMPLETED:
        release["on_hand"] = F("on_hand") - hold.quantity
    StockLevel.objects.filter(store_id=hold.store_id, variant_id=hold.variant_id).update(**release)
    return hold


def hold_cancel(*, user: User, hold: Hold) -> Hold:
    _require_hold_side(user, hold)
    with transaction.atomic():
        closed = _close(hold_id=hold.pk, status=Hold.Status.CANCELLED, user=user)
        if closed is None:
            raise HoldNotActive(gettext("This hold has already ended."))
        HoldRequest.objects.filter(hold=closed, status=HoldRequest.Status.PENDING).update(
            status=HoldRequest.Status.DECLINED,
            decided_by=user,
            decided_at=timezone.now(),
            reason="Cancelled by the requesting store",
        )
        events.hold_closed(closed)
    return closed


def hold_complete(*, user: User, hold: Hold) -> Order:
    """The customer collects and pays: stock leaves the store and an order is recorded."""
    _require_hold_side(user, hold, holding_store_only=True)
    with transaction.atomic():
        closed = _close(hold_id=hold.pk, status=Hold.Status.COMPLETED, user=user)
        if closed is None:
            raise HoldNotActive(gettext("This hold has already ended."))
        order = _order_for(closed, user=user)
        Hold.objects.filter(pk=closed.pk).update(order=order)
        closed.order = order
        events.hold_closed(closed)
    return order


def _order_for(hold: Hold, *, user: User) -> Order:
    variant = hold.variant
    total = variant.price * hold.quantity
    now = timezone.now()
    order = Order.objects.create(
        number=f"FL-H{hold.pk:08d}",
        customer=hold.customer,
        channel=Order.Channel.STORE,
        store=hold.store,
        associate=user,
        placed_at=now,
        currency=variant.currency,
        total=total,
        source=Source.FRONTLINE,
        external_id=f"hold:{hold.pk}",
    )
    OrderLine.objects.create(
        order=order,
        variant=variant,
        sku=variant.sku,
        description=f"{variant.product.name} {variant.colour} {variant.size}"[:200],
        quantity=hold.quantity,
        unit_price=variant.price,
    )
    # The customer's running figures are kept on write (see Customer): no aggregate on read.
    Customer.objects.filter(pk=hold.customer_id).update(
        order_count=F("order_count") + 1,
        lifetime_value=F("lifetime_value") + total,
        last_purchase_at=now,
    )
    Customer.objects.filter(pk=hold.customer_id, first_purchase_at__isnull=True).update(
        first_purchase_at=now
    )
    return order


def hold_expire(*, hold_id: int) -> bool:
    """Expire one hold whose deadline has passed; False when it was already closed or extended."""
    with transaction.atomic():
        due = Hold.objects.filter(
            pk=hold_id, status=Hold.Status.ACTIVE, expires_at__lte=timezone.now()
        ).exists()
        closed = _close(hold_id=hold_id, status=Hold.Status.EXPIRED, user=None) if due else None
        if closed is None:
            return False
        HoldRequest.objects.filter(hold=closed, status=HoldRequest.Status.PENDING).update(
            status=HoldRequest.Status.DECLINED, decided_at=timezone.now(), reason="Expired"
        )
        events.hold_closed(closed)
    return True


def holds_expire_due(*, limit: int = 500) -> int:
    """Expire every hold past its deadline, each in its own transaction; returns how many."""
    due_ids = list(
        Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lte=timezone.now())
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(hold_expire(hold_id=hold_id) for hold_id in due_ids)


# How long before its deadline the associate who placed a hold is warned that it will expire.
HOLD_EXPIRING_WARNING = timedelta(hours=2)


def holds_warn_expiring(*, within: timedelta = HOLD_EXPIRING_WARNING, limit: int = 500) -> int:
    """Warn about active holds expiring within ``within``; returns how many holds are due.

    Safe to run every few minutes: the notification is deduplicated per hold and deadline.
    """
    now = timezone.now()
    due = (
        Hold.objects.filter(
            status=Hold.Status.ACTIVE, expires_at__gt=now, expires_at__lte=now + within
        )
        .select_related("variant__product", "store", "customer", "created_by")
        .order_by("expires_at")[:limit]
    )
    warned = 0
    for hold in due:
        with transaction.atomic():
            events.hold_expiring(hold)
        warned += 1
    return warned


# --- Requests to other stores -------------------------------------------------------------


def _decide(*, user: User, hold_request: HoldRequest, status: str, reason: str = "") -> Hold:
    hold = hold_request.hold
    _require_hold_side(user, hold, holding_store_only=True)
    claimed = HoldRequest.objects.filter(
        pk=hold_request.pk, status=HoldRequest.Status.PENDING
    ).update(status=status, decided_by=user, decided_at=timezone.now(), reason=reason[:200])
    if not claimed:
        raise HoldNotActive(gettext("This request has already been answered."))
    return hold


def hold_request_accept(*, user: User, hold_request: HoldRequest) -> HoldRequest:
    with transaction.atomic():
        hold = _decide(user=user, hold_request=hold_request, status=HoldRequest.Status.ACCEPTED)
        events.hold_request_decided(hold, accepted=True)
    hold_request.refresh_from_db()
    return hold_request


def hold_request_decline(*, user: User, hold_request: HoldRequest, reason: str = "") -> HoldRequest:
    """The other store cannot put the item aside: the hold is cancelled and its stock released."""
    with transaction.atomic():
        hold = _decide(
            user=user, hold_request=hold_request, status=HoldRequest.Status.DECLINED, reason=reason
        )
        closed = _close(hold_id=hold.pk, status=Hold.Status.CANCELLED, user=user)
        if closed is not None:
            events.hold_closed(closed)
        events.hold_request_decided(hold, accepted=False)
    hold_request.refresh_from_db()
    return hold_request


# --- Back in stock ---------------------------------------------------------------------------


def watch_create(
    *,
    user: User,
    customer: Customer,
    product: Product,
    size: str,
    source: str = BackInStockWatch.Source.ASSOCIATE,
) -> BackInStockWatch:
    """Watch a product in a size for the customer; asking twice keeps the one watch."""
    _require_findable_customer(user, customer)
    size = size.strip()
    if not product.variants.filter(size=size).exists():
        raise InvalidRequest(
            gettext("%(name)s does not come in size %(size)s.")
            % {"name": product.name, "size": repr(size)}
        )
    watch, _ = BackInStockWatch.objects.get_or_create(
        customer=customer,
        product=product,
        size=size,
        notified_at__isnull=True,
        defaults={"owner": customer.preferred_associate or user, "source": source},
    )
    return watch


@dataclass(frozen=True)
class StockFigure:
    """One store's count of one variant, as a source system reported it at ``synced_at``."""

    store_id: int
    variant_id: int
    on_hand: int
    synced_at: datetime


def stock_levels_upsert(*, figures: Iterable[StockFigure]) -> int:
    """Record synced stock counts (the sync domain calls this); returns how many rows changed.

    A batch may name a store and variant twice: the latest ``synced_at`` wins. Older figures
    than the one stored are ignored, so replaying a batch changes nothing. When a count falls
    below what is held, ``reserved`` is capped at the new count (and a warning logged), because
    the database will not store more promised than on hand. Variants that go from nothing
    available to something available wake their back-in-stock watches.
    """
    latest: dict[tuple[int, int], StockFigure] = {}
    for figure in figures:
        if figure.on_hand < 0:
            raise InvalidRequest(
                gettext("A stock count cannot be negative (%(figure)s).") % {"figure": figure}
            )
        key = (figure.store_id, figure.variant_id)
        if key not in latest or figure.synced_at > latest[key].synced_at:
            latest[key] = figure
    if not latest:
        return 0
    arrived: list[StockLevel] = []
    changed = 0
    with transaction.atomic():
        existing = {
            (row.store_id, row.variant_id): row
            for row in StockLevel.objects.select_for_update()
            .filter(store_id__in={k[0] for k in latest}, variant_id__in={k[1] for k in latest})
            .order_by("pk")
        }
        to_update, to_create = [], []
        for key, figure in latest.items():
            row = existing.get(key)
            if row is None:
                row = StockLevel(
                    store_id=key[0],
                    variant_id=key[1],
                    on_hand=figure.on_hand,
                    synced_at=figure.synced_at,
                )
                to_create.append(row)
                if figure.on_hand > 0:
                    arrived.append(row)
                continue
            if row.synced_at is not None and row.synced_at >= figure.synced_at:
                continue
            was_available = row.available
            if figure.on_hand < row.reserved:
                logger.warning(
                    "Stock of variant %s at store %s fell to %s below %s held",
                    key[1],
                    key[0],
                    figure.on_hand,
                    row.reserved,
                )
            row.on_hand = figure.on_hand
            row.reserved = min(row.reserved, figure.on_hand)
            row.synced_at = figure.synced_at
            row.updated_at = timezone.now()
            to_update.append(row)
            if was_available <= 0 < row.available:
                arrived.append(row)
        StockLevel.objects.bulk_update(
            to_update, ["on_hand", "reserved", "synced_at", "updated_at"], batch_size=500
        )
        StockLevel.objects.bulk_create(to_create, batch_size=500)
        changed = len(to_update) + len(to_create)
        _wake_watches(arrived)
    return changed


def stock_arrived(
    *, store: Store, variant: Variant, quantity: int, synced_at: datetime | None = None
) -> StockLevel:
    """A delivery of ``quantity`` units reached ``store`` (e.g. an ERP goods receipt)."""
    if quantity <= 0:
        raise InvalidRequest(gettext("A delivery brings at least one unit."))
    with transaction.atomic():
        stock, _ = StockLevel.objects.select_for_update().get_or_create(
            store=store, variant=variant
        )
        was_available = stock.available
        stock.on_hand += quantity
        stock.synced_at = synced_at or timezone.now()
        stock.save(update_fields=["on_hand", "synced_at", "updated_at"])
        if was_available <= 0:
            _wake_watches([stock])
    return stock


def _wake_watches(stock_rows: list[StockLevel]) -> None:
    """Tell the owners of waiting watches whose product and size just became available.

    Set-wise, whatever the number of rows: the variants, the stores and the waiting watches
    are read in one query each, the watches claimed in one more; only the telling (timeline
    entry, notification) is per watch woken. A watch is claimed under its row lock, and
    watches another waker holds are skipped (that waker tells them), so each is woken once.
    """
    if not stock_rows:
        return
    variants = Variant.objects.in_bulk({row.variant_id for row in stock_rows})
    stores = Store.objects.in_bulk({row.store_id for row in stock_rows})
    # The first row (store) to satisfy each product and size is the one the watch is told of.
    arrivals: dict[tuple[int, str], StockLevel] = {}
    for row in stock_rows:
        variant = variants[row.variant_id]
        row.variant, row.store = variant, stores[row.store_id]
        arrivals.setdefault((variant.product_id, variant.size), row)
    with transaction.atomic():
        waiting = [
            watch
            for watch in BackInStockWatch.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(
                product_id__in={product for product, _ in arrivals},
                size__in={size for _, size in arrivals},
                notified_at__isnull=True,
            )
            .select_related("customer", "product", "owner")
            .order_by("pk")
            if (watch.product_id, watch.size) in arrivals
        ]
        if not waiting:
            return
        now = timezone.now()
        for watch in waiting:
            watch.notified_at = now
            watch.notified_store = arrivals[(watch.product_id, watch.size)].store
        BackInStockWatch.objects.bulk_update(waiting, ["notified_at", "notified_store"])
        for watch in waiting:
            events.back_in_stock(watch=watch, stock=arrivals[(watch.product_id, watch.size)])


def back_in_stock_announce(*, pairs: Iterable[tuple[int, int]]) -> None:
    """Stock written by sync's bulk path became available: wake the watches it satisfies.

    ``pairs`` are (variant_id, store_id). Rows that are no longer available by now (a hold
    took the unit in between) wake nothing; a watch is woken only once, whatever the retries.
    """
    wanted = set(pairs)
    if not wanted:
        return
    with transaction.atomic():
        rows = [
            row
            for row in StockLevel.objects.filter(
                variant_id__in={variant_id for variant_id, _ in wanted},
                store_id__in={store_id for _, store_id in wanted},
            )
            if (row.variant_id, row.store_id) in wanted and row.available > 0
        ]
        _wake_watches(rows)
