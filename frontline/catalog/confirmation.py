"""Live stock confirmation with the ERP, before a hold is placed.

The sync domain's ERP connector implements :class:`StockConfirmer` and names its class in the
``CATALOG_STOCK_CONFIRMER`` setting (Shopify's: ``frontline.sync.connectors.shopify.
ShopifyStockConfirmer``). Without one, :class:`NoLiveConfirmation` stands in: holds rely on the
synced figure and say nothing about a live check nobody could make; a configured live system
that does not answer is reported on the hold.

A confirmer must answer quickly or fail: it is asked while the associate waits, so it should
give up after ``CATALOG_STOCK_CONFIRM_TIMEOUT`` seconds and raise
:class:`StockConfirmationUnavailable`, which makes the hold fall back to the synced figure.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.error import URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class StockConfirmationUnavailable(Exception):
    """The live system could not say how many units there are (down, slow, or not configured)."""


@dataclass(frozen=True)
class ConfirmedStock:
    on_hand: int
    as_of: datetime


class StockConfirmer(Protocol):
    def confirm(self, *, sku: str, store_code: str) -> ConfirmedStock:
        """Units on hand right now, or raise StockConfirmationUnavailable."""
        ...


class NoLiveConfirmation:
    """The default: no connector can confirm stock live."""

    def confirm(self, *, sku: str, store_code: str) -> ConfirmedStock:
        raise StockConfirmationUnavailable("no live stock connection is configured")


class HttpStockConfirmer:
    """Asks ``GET {base_url}/stock/{store_code}/{sku}`` for ``{"on_hand": n, "as_of": iso}``.

    A small reference implementation for connectors whose ERP speaks plain JSON; configure it
    with ``CATALOG_STOCK_CONFIRMER_URL``.
    """

    def __init__(self, base_url: str | None = None, timeout: float | None = None) -> None:
        self.base_url = (base_url or settings.CATALOG_STOCK_CONFIRMER_URL or "").rstrip("/")
        self.timeout = timeout if timeout is not None else settings.CATALOG_STOCK_CONFIRM_TIMEOUT

    def confirm(self, *, sku: str, store_code: str) -> ConfirmedStock:
        url = f"{self.base_url}/stock/{quote(store_code, safe='')}/{quote(sku, safe='')}"
        request = Request(url, headers={"Accept": "application/json"})  # noqa: S310 (configured URL)
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = json.loads(response.read())
            on_hand = int(payload["on_hand"])
            as_of = parse_datetime(str(payload["as_of"]))
        except (URLError, TimeoutError, OSError, ValueError, KeyError, TypeError) as error:
            raise StockConfirmationUnavailable(f"the ERP did not answer: {error}") from error
        if as_of is None or on_hand < 0:
            raise StockConfirmationUnavailable("the ERP answered with an unreadable figure")
        return ConfirmedStock(on_hand=on_hand, as_of=as_of)


def configured_confirmer() -> StockConfirmer:
    path = settings.CATALOG_STOCK_CONFIRMER
    confirmer_class = import_string(path) if path else NoLiveConfirmation
    return confirmer_class()


def confirms_live(confirmer: StockConfirmer) -> bool:
    """Whether a live system is asked at all (when none is, a hold has nothing to report)."""
    return not isinstance(confirmer, NoLiveConfirmation)


def confirm_stock(confirmer: StockConfirmer, *, sku: str, store_code: str) -> ConfirmedStock | None:
    """The live figure, or None when the live system cannot give one (the caller falls back)."""
    if not confirms_live(confirmer):
        return None  # nothing to ask, nothing worth logging on every hold
    try:
        return confirmer.confirm(sku=sku, store_code=store_code)
    except StockConfirmationUnavailable as error:
        logger.info("Live stock for %s at %s not confirmed: %s", sku, store_code, error)
        return None
