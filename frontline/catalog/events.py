"""What the catalog tells the rest of Frontline: the timeline now, notifications later.

Every function here records the event on the customer's timeline (an ``Interaction``, keyed by
an ``external_id`` so that a retried task records it once) and then calls
:func:`tell_associate`. That is the seam where the notifications domain plugs in: today it only
logs; once ``frontline.notifications`` is on main, ``tell_associate`` calls its service from
``transaction.on_commit`` so that nobody is told about a change that rolled back.

Back in stock also calls the recommended-action hooks named in the
``CATALOG_BACK_IN_STOCK_HOOKS`` setting (dotted paths of callables taking ``watch=`` and
``stock=``), the seam for the actions domain.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from frontline.customers.models import (
    Interaction,
    InteractionChannel,
    InteractionKind,
    Source,
)

if TYPE_CHECKING:
    from frontline.catalog.models import BackInStockWatch, Hold, StockLevel
    from frontline.staff.models import User

logger = logging.getLogger(__name__)


def tell_associate(*, user: User | None, title: str, body: str, link: str = "") -> None:
    """The notification seam: replace the body with a call to the notifications service."""
    if user is None:
        return

    def deliver() -> None:
        logger.info("Tell %s: %s — %s %s", user.username, title, body, link)

    transaction.on_commit(deliver)


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
    _record_on_timeline(
        customer_id=hold.customer_id,
        key=f"catalog-hold:{hold.pk}:placed",
        summary=f"Hold placed: {_describe(hold)}, until {hold.expires_at:%Y-%m-%d %H:%M} UTC",
        store_id=hold.store_id,
        staff=hold.created_by,
    )


def hold_closed(hold: Hold) -> None:
    """Sold, cancelled or expired: on the timeline; an expiry is also told to the associate."""
    label = {"completed": "sold", "cancelled": "cancelled", "expired": "expired"}[hold.status]
    _record_on_timeline(
        customer_id=hold.customer_id,
        key=f"catalog-hold:{hold.pk}:{hold.status}",
        summary=f"Hold {label}: {_describe(hold)}",
        store_id=hold.store_id,
        staff=hold.closed_by,
    )
    if hold.status == "expired":
        tell_associate(
            user=hold.created_by,
            title="A hold expired",
            body=f"{hold.customer.full_name}: {_describe(hold)}; the stock is released.",
            link=f"/stock/holds/{hold.pk}/",
        )


def hold_request_decided(hold: Hold, *, accepted: bool) -> None:
    tell_associate(
        user=hold.created_by,
        title="Hold request accepted" if accepted else "Hold request declined",
        body=f"{hold.customer.full_name}: {_describe(hold)}",
        link=f"/stock/holds/{hold.pk}/",
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
    tell_associate(
        user=watch.owner,
        title="Back in stock",
        body=f"{watch.customer.full_name} was waiting for {watch.product.name} in {watch.size}.",
        link=f"/stock/variants/{variant.pk}/",
    )
    for hook_path in settings.CATALOG_BACK_IN_STOCK_HOOKS:
        import_string(hook_path)(watch=watch, stock=stock)
