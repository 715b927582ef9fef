"""What the catalog tells the rest of Frontline: the customer's timeline and the associates.

Every function here records the event on the customer's timeline (an ``Interaction``, keyed by
an ``external_id`` so that a retried task records it once) and raises a notification through
``frontline.notifications`` (kinds ``hold.*`` and ``stock.back_in_stock`` in its registry).
Both are written inside the caller's transaction; the notification service delivers only once
that transaction commits, so nobody is told about a change that rolled back.

A hold placed, extended or closed refreshes the customer's recommended actions after commit.
Back in stock also calls the recommended-action hooks named in the
``CATALOG_BACK_IN_STOCK_HOOKS`` setting (dotted paths of callables taking ``watch=`` and
``stock=``), the seam for the actions domain.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from frontline.actions.services import actions_refresh_for_customer_on_commit
from frontline.customers.models import (
    Interaction,
    InteractionChannel,
    InteractionKind,
    Source,
)
from frontline.notifications.audiences import (
    Audience,
    to_staff,
    to_store_managers,
    to_store_staff,
)
from frontline.notifications.services import notification_create

if TYPE_CHECKING:
    from frontline.catalog.models import BackInStockWatch, Hold, StockLevel
    from frontline.customers.models import Customer
    from frontline.staff.models import Store, User

logger = logging.getLogger(__name__)


def tell(
    *,
    kind: str,
    recipients: Audience,
    title: str,
    body: str,
    link: str,
    store: Store | None,
    dedupe_key: str,
    customer_id: int,
) -> None:
    """The notification seam: one call to the notifications service, deduplicated per event.
    Every one of these names the customer (``customer_id``), whose erasure scrubs it."""
    notification = notification_create(
        kind=kind,
        recipients=recipients,
        title=title,
        body=body,
        link=link,
        store=store,
        dedupe_key=dedupe_key,
        customer_id=customer_id,
    )
    if notification is None:
        # Nobody active to tell (an associate who left, a store without managers): worth a
        # line in the log, never a failed hold or sync.
        logger.info("Nobody to tell about %s (%s)", kind, dedupe_key)


def _hold_link(hold: Hold) -> str:
    return f"/stock/holds/{hold.pk}/"


def _placed_by(hold: Hold) -> Audience:
    return to_staff(hold.created_by)


def _record_on_timeline(
    *, customer_id: int, key: str, summary: str, store_id: int | None, staff: User | None
) -> None:
    # INSERT ... ON CONFLICT DO NOTHING on (source, external_id): one round trip, and a retried
    # task records the event once.
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer_id=customer_id,
                channel=InteractionChannel.STORE,
                kind=InteractionKind.NOTE,
                summary=summary[:500],
                source=Source.FRONTLINE,
                external_id=key,
                store_id=store_id,
                staff=staff,
                occurred_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )


def _describe(hold: Hold) -> str:
    variant = hold.variant
    item = f"{variant.product.name} ({variant.colour}, {variant.size})"
    return f"{hold.quantity} x {item} at {hold.store.name}"


def hold_placed(hold: Hold) -> None:
    """On the timeline; a hold kept in another store also asks that store's staff."""
    _hold_changed(hold)
    _record_on_timeline(
        customer_id=hold.customer_id,
        key=f"catalog-hold:{hold.pk}:placed",
        summary=f"Hold placed: {_describe(hold)}, until {hold.expires_at:%Y-%m-%d %H:%M} UTC",
        store_id=hold.store_id,
        staff=hold.created_by,
    )
    if hold.requested_from_id is not None:
        asking = hold.requested_from.name if hold.requested_from else "another store"
        tell(
            kind="hold.requested",
            recipients=to_store_staff(hold.store),
            title=f"{asking} asks you to put an item aside",
            body=f"For {hold.customer.full_name}: {_describe(hold)}. Please accept or decline.",
            link=_hold_link(hold),
            store=hold.store,
            dedupe_key=f"hold-{hold.pk}-requested",
            customer_id=hold.customer_id,
        )


def hold_extended(hold: Hold) -> None:
    _hold_changed(hold)


def _hold_changed(hold: Hold) -> None:
    # The customer's recommended actions include "hold about to expire": recompute them once
    # this change commits, rather than showing yesterday's view until the nightly batch.
    actions_refresh_for_customer_on_commit(customer_id=hold.customer_id)


def hold_expiring(hold: Hold) -> None:
    """Told once per deadline: extending the hold earns a new warning before the new one."""
    minutes_left = max(0, int((hold.expires_at - timezone.now()).total_seconds() // 60))
    when = f"{minutes_left // 60} h {minutes_left % 60:02d} min" if minutes_left else "minutes"
    tell(
        kind="hold.expiring",
        recipients=_placed_by(hold),
        title=f"A hold expires in {when}",
        body=f"{hold.customer.full_name}: {_describe(hold)}. Extend it or call the customer.",
        link=_hold_link(hold),
        store=hold.store,
        dedupe_key=f"hold-{hold.pk}-expiring-{hold.expires_at:%Y%m%dT%H%M%S}",
        customer_id=hold.customer_id,
    )


def hold_closed(hold: Hold) -> None:
    """Sold, cancelled or expired: on the timeline; an expiry is also told to the associate."""
    _hold_changed(hold)
    label = {"completed": "sold", "cancelled": "cancelled", "expired": "expired"}[hold.status]
    _record_on_timeline(
        customer_id=hold.customer_id,
        key=f"catalog-hold:{hold.pk}:{hold.status}",
        summary=f"Hold {label}: {_describe(hold)}",
        store_id=hold.store_id,
        staff=hold.closed_by,
    )
    if hold.status == "expired":
        tell(
            kind="hold.expired",
            recipients=_placed_by(hold),
            title="A hold expired",
            body=f"{hold.customer.full_name}: {_describe(hold)}; the stock is released.",
            link=_hold_link(hold),
            store=hold.store,
            dedupe_key=f"hold-{hold.pk}-expired",
            customer_id=hold.customer_id,
        )


def hold_request_decided(hold: Hold, *, accepted: bool) -> None:
    tell(
        kind="hold.request_answered",
        recipients=_placed_by(hold),
        title=(
            f"{hold.store.name} put the item aside"
            if accepted
            else f"{hold.store.name} declined the hold"
        ),
        body=f"{hold.customer.full_name}: {_describe(hold)}",
        link=_hold_link(hold),
        store=hold.store,
        dedupe_key=f"hold-{hold.pk}-request-answered",
        customer_id=hold.customer_id,
    )


def back_in_stock(*, watch: BackInStockWatch, stock: StockLevel) -> None:
    variant = stock.variant
    _record_on_timeline(
        customer_id=watch.customer_id,
        key=f"catalog-watch:{watch.pk}:arrived",
        summary=(
            f"Back in stock: {watch.product.name} in {watch.size} "
            f"({variant.colour}) at {stock.store.name}"
        ),
        store_id=stock.store_id,
        staff=None,
    )
    tell(
        kind="stock.back_in_stock",
        recipients=_looks_after(watch.customer, watcher=watch.owner),
        title=f"Back in stock: {watch.product.name} in {watch.size}",
        body=(
            f"{watch.customer.full_name} was waiting for it; "
            f"{variant.colour} is in at {stock.store.name}."
        ),
        link=f"/stock/variants/{variant.pk}/",
        store=stock.store,
        dedupe_key=f"watch-{watch.pk}-back-in-stock",
        customer_id=watch.customer_id,
    )
    for hook_path in settings.CATALOG_BACK_IN_STOCK_HOOKS:
        import_string(hook_path)(watch=watch, stock=stock)


def _looks_after(customer: Customer, *, watcher: User | None = None) -> Audience:
    """The preferred associate; else the associate who set up the watch; else (none of them,
    or no longer active) the managers of the customer's store."""
    for candidate in (customer.preferred_associate, watcher):
        if audience := to_staff(candidate):
            return audience
    if customer.preferred_store is None:
        return to_staff()
    return to_store_managers(customer.preferred_store)
