"""Commerce/ERP over REST, shaped like the Shopify Admin API.

A list is read as one listing: the first request asks for everything updated since the
high-water mark (``updated_at_min``), then the ``Link: <…>; rel="next"`` URLs are followed
(their ``page_info`` carries the query; only ``limit`` may go with it). Shopify pages by id,
not by ``updated_at``, so no record seen so far says how far the listing has come. Instead:

- the cursor committed with each page keeps the listing's position (the next page's link)
  and the time the listing began, so a run that dies resumes with the page after the last
  one that landed; if the shop refuses the stored link (page_info expired: 400), the
  listing starts again from the high-water mark, which costs re-reading, never a record;
- only once the last page has landed does the high-water mark move, to the time the
  listing began by the shop's clock (its ``Date``), a little earlier for safety: whatever
  changed after that comes in the next listing, and records that come twice land unchanged.

The access token comes from the environment variable ``<credentials_env>_TOKEN``;
``options.locations`` maps location ids to store codes. Requests are paced by the shop's
leaky bucket (``X-Shopify-Shop-Api-Call-Limit``), which leaks ``options.api_leak_per_second``
requests a second (2 on standard plans, the default; 4 on Advanced, 20 on Plus).

Stock comes from ``inventory_levels.json`` for the mapped locations (``location_ids``, at most
50 a request, one part of the listing each), keyed by ``inventory_item_id``: the products
sync remembers which SKU each variant's inventory item is, and the levels land through the
catalog (``sync.inventory``). ``ShopifyStockConfirmer`` asks the same endpoint for one item at
one location while an associate places a hold.

Orders are read with ``status=any`` (Shopify lists only open orders otherwise); their refunds'
line items become the returned quantities of the lines they name. A customer that a targeted
fetch finds gone (404: deleted since the webhook was sent) becomes a tombstone.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from frontline.catalog.confirmation import ConfirmedStock, StockConfirmationUnavailable
from frontline.catalog.models import Product
from frontline.sync import mapping as m
from frontline.sync.connectors.base import Connector, Page, Raw, Record
from frontline.sync.connectors.http import LeakyBucket, new_client, request, secret
from frontline.sync.models import Entity, InventoryItem, Source

if TYPE_CHECKING:
    from frontline.sync.writers import WriteOutcome

logger = logging.getLogger("frontline.sync")

API_VERSION = "2024-10"
RESOURCES: dict[str, str] = {
    Entity.CUSTOMERS: "customers",
    Entity.ORDERS: "orders",
    Entity.PRODUCTS: "products",
}
SINGULAR = {"customers": "customer", "orders": "order", "products": "product"}
PAGE_LIMIT = 250
# Shopify's limit on the location_ids of one inventory levels request.
LOCATIONS_PER_REQUEST = 50
# The high-water mark is set this much before the listing's first answer: the shop's clock
# counts whole seconds, and a record written while that first page was being read may carry
# the same second or the one before. Re-reading a few seconds' changes costs nothing.
CLOCK_MARGIN = timedelta(seconds=5)
# Standard plans leak 2 requests a second from a bucket of 40.
DEFAULT_LEAK_PER_SECOND = 2.0
CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"
# What a targeted fetch sets on a record the shop no longer has.
TOMBSTONE = "deleted"
# Marketing consent states that are a statement; the others (not_subscribed, pending,
# invalid, redacted) say nothing, and Frontline never assumes permission.
CONSENT_GRANTED_BY_STATE = {"subscribed": True, "unsubscribed": False}
CONSENT_FIELDS = {"email": "email_marketing_consent", "sms": "sms_marketing_consent"}


def call_limit(response: httpx.Response) -> tuple[int, int] | None:
    """(requests in the bucket, bucket size) from ``X-Shopify-Shop-Api-Call-Limit: 39/40``."""
    used, _, size = response.headers.get(CALL_LIMIT_HEADER, "").partition("/")
    try:
        return int(used), int(size)
    except ValueError:
        return None


@dataclass(frozen=True)
class Listing:
    """One resource read in parts: the first request's query of each (most have one part)."""

    resource: str
    queries: tuple[dict[str, Any], ...]


def _resumable(position: dict[str, Any], listing: Listing) -> bool:
    """Whether a stored position still names a part of this listing, asked the same way."""
    part = position.get("part")
    return (
        isinstance(part, int)
        and 0 <= part < len(listing.queries)
        and position.get("query") == listing.queries[part]
    )


class ShopifyConnector(Connector):
    entities = (Entity.CUSTOMERS, Entity.ORDERS, Entity.PRODUCTS, Entity.STOCK)

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        # One bucket per shop and app: every request this connector sends draws from it.
        self.bucket = LeakyBucket(
            reading=call_limit,
            leak_per_second=float(
                source.options.get("api_leak_per_second", DEFAULT_LEAK_PER_SECOND)
            ),
        )

    def client(self) -> httpx.Client:
        token = secret(f"{self.source.credentials_env}_TOKEN")
        return new_client(base_url=self.source.base_url, headers={"X-Shopify-Access-Token": token})

    def _path(self, resource: str) -> str:
        return f"/admin/api/{API_VERSION}/{resource}.json"

    def _get(self, client: httpx.Client, url: str, **options: Any) -> httpx.Response:
        return request(client, "GET", url, pacer=self.bucket, **options)

    # --- Listings -----------------------------------------------------------------------

    def pages(self, entity: str, cursor: dict[str, Any]) -> Iterator[Page]:
        if entity == Entity.STOCK:
            listing = self._inventory_listing()
        else:
            query: dict[str, Any] = {"limit": PAGE_LIMIT}
            if entity == Entity.ORDERS:
                query["status"] = "any"  # open, closed and cancelled alike
            listing = Listing(RESOURCES[entity], (query,))
        yield from self._listing_pages(entity, listing, cursor)

    def _inventory_listing(self) -> Listing:
        locations = sorted(self.source.options.get("locations") or {}, key=str)
        if not locations:
            raise ImproperlyConfigured(
                f"source {self.source.name}: options.locations maps no location to a store"
            )
        chunks = [
            locations[start : start + LOCATIONS_PER_REQUEST]
            for start in range(0, len(locations), LOCATIONS_PER_REQUEST)
        ]
        return Listing(
            "inventory_levels",
            tuple(
                {"location_ids": ",".join(map(str, chunk)), "limit": PAGE_LIMIT} for chunk in chunks
            ),
        )

    def _listing_pages(
        self, entity: str, listing: Listing, cursor: dict[str, Any]
    ) -> Iterator[Page]:
        """Every page since the high-water mark, each with the cursor that resumes after it.

        The cursor is ``{"updated_at_min": mark}`` between listings and, while one is under
        way, also ``"listing": {"began", "part", "query", "next"}``: when it began by the
        shop's clock, which part of it is being read (and that part's query, so that a part
        whose query has changed since, say mapped locations, is not resumed), and that part's
        next page link (none: its first).
        """
        since = str(cursor.get("updated_at_min") or "")
        position: dict[str, Any] = dict(cursor.get("listing") or {})
        if not _resumable(position, listing):
            position = {}
        part, began = int(position.get("part", 0)), str(position.get("began", ""))
        stored_link: str | None = position.get("next")
        url = stored_link
        with self.client() as client:
            while part < len(listing.queries):
                params = None
                if url is None:
                    url = self._path(listing.resource)
                    params = {
                        **listing.queries[part],
                        **({"updated_at_min": since} if since else {}),
                    }
                try:
                    response = self._get(client, url, params=params)
                except httpx.HTTPStatusError as error:
                    if url != stored_link or error.response.status_code != 400:
                        raise
                    # The shop refused the link a killed run left (page_info expires):
                    # read the listing again from the start; what came already is unchanged.
                    logger.warning("stored page link refused, listing %s again", listing.resource)
                    part, began, url, stored_link = 0, "", None, None
                    continue
                stored_link = None
                began = began or _listing_start(response)
                url = response.links.get("next", {}).get("url")
                if url is None:
                    part += 1
                if part < len(listing.queries):
                    after = {
                        "updated_at_min": since,
                        "listing": {
                            "began": began,
                            "part": part,
                            "query": listing.queries[part],
                            "next": url,
                        },
                    }
                else:
                    after = {"updated_at_min": began}
                items = response.json()[listing.resource]
                yield Page(self._flatten(entity, items), after)

    def fetch(self, entity: str, external_ids: list[str]) -> list[Raw]:
        """The records a webhook named, one ``GET /{resource}/{id}.json`` each.

        A customer or an order the shop answers 404 for was deleted since: it comes back as a
        tombstone, which the landing soft-deletes. Products that are gone are skipped: their
        landing keeps no deletions.
        """
        resource = RESOURCES[entity]
        found = []
        with self.client() as client:
            for external_id in external_ids:
                try:
                    response = self._get(client, self._path(f"{resource}/{external_id}"))
                except httpx.HTTPStatusError as error:
                    if error.response.status_code != 404:
                        raise
                    if entity in (Entity.CUSTOMERS, Entity.ORDERS):
                        found.append({"id": external_id, TOMBSTONE: True})
                    continue
                found.append(response.json()[SINGULAR[resource]])
        return self._flatten(entity, found)

    def _flatten(self, entity: str, items: list[Raw]) -> list[Raw]:
        """Products come with their variants inside; Frontline lands one record per variant.

        Each variant's inventory item is remembered on the way, for the stock sync.
        """
        if entity != Entity.PRODUCTS:
            return items
        variants = [
            {**variant, "product": {k: v for k, v in item.items() if k != "variants"}}
            for item in items
            for variant in item.get("variants") or [{"id": None, "product_id": item.get("id")}]
        ]
        from frontline.sync.inventory import inventory_items_remember

        inventory_items_remember(
            source=self.source,
            skus_by_item={
                str(variant["inventory_item_id"]): str(variant["sku"])[:40]
                for variant in variants
                if variant.get("inventory_item_id") and variant.get("sku")
            },
        )
        return variants

    def external_id(self, entity: str, raw: Raw) -> str:
        if entity == Entity.STOCK:
            return f"{raw.get('inventory_item_id')}@{raw.get('location_id')}"[:100]
        return str(raw.get("sku") if entity == Entity.PRODUCTS else raw.get("id") or "")[:100]

    def write(self, entity: str, records: list[Record]) -> WriteOutcome:
        if entity != Entity.STOCK:
            return super().write(entity, records)
        from frontline.sync.inventory import write_inventory_levels

        return write_inventory_levels(self.source, records)

    # --- Mappings -----------------------------------------------------------------------

    def map_customers(self, raw: Raw) -> Record:
        if raw.get(TOMBSTONE) is True:
            return {"external_id": m.required(raw, "id"), "deleted": True}
        address = raw.get("default_address") or {}
        email = m.email(raw.get("email"))
        country = m.country(address.get("country_code"))
        # Shopify customers often have no name: fall back on the e-mail's local part.
        first_name = (raw.get("first_name") or "").strip() or email.split("@")[0]
        if not first_name:
            raise m.MappingError("neither a first name nor an e-mail")
        # Shopify's Customer has no birthday (shops keep one in metafields, if at all).
        return {
            "external_id": m.required(raw, "id"),
            "number": "",
            "first_name": first_name[:100],
            "last_name": m.text(raw, "last_name", limit=100),
            "email": email,
            "phone": m.phone(raw.get("phone"), country),
            "postcode": m.text(address, "zip", limit=16),
            "tags": shop_tags(raw.get("tags")),
            "country": country,
            "consents": marketing_consents(raw),
        }

    def map_orders(self, raw: Raw) -> Record:
        if raw.get(TOMBSTONE) is True:
            return {"external_id": m.required(raw, "id"), "deleted": True}
        locations = self.source.options.get("locations", {})
        location = raw.get("location_id")
        store = locations.get(str(location), "") if location else ""
        if location and not store:
            raise m.MappingError(f"location {location} is not mapped to a store")
        customer = raw.get("customer") or {}
        returned = refunded_quantities(raw)
        return {
            "external_id": m.required(raw, "id"),
            "number": m.required(raw, "name")[:30],
            "customer_external_id": str(customer.get("id") or ""),
            "channel": "store" if store else "online",
            "store": store,
            "placed_at": m.moment(raw.get("created_at"), "created_at"),
            "currency": (m.text(raw, "currency", limit=3) or "GBP").upper(),
            "total": m.decimal(raw.get("total_price"), "total_price"),
            "lines": [self._order_line(item, returned) for item in raw.get("line_items") or []],
        }

    def _order_line(self, item: Raw, returned: Counter[str]) -> Record:
        quantity = m.whole_number(item.get("quantity"), "quantity", minimum=1)
        return {
            "sku": m.required(item, "sku")[:40],
            "description": m.text(item, "title", limit=200),
            "quantity": quantity,
            "unit_price": m.decimal(item.get("price"), "price"),
            # Shopify refunds no more than was bought; the cap keeps a line sound regardless.
            "returned_quantity": min(returned[str(item.get("id"))], quantity),
        }

    def map_stock(self, raw: Raw) -> Record:
        location = str(m.required(raw, "location_id"))
        store = (self.source.options.get("locations") or {}).get(location)
        if not store:
            raise m.MappingError(f"location {location} is not mapped to a store")
        item = str(m.required(raw, "inventory_item_id"))
        if raw.get("available") is None:
            raise m.MappingError(f"inventory item {item} is not tracked at location {location}")
        available = m.whole_number(raw.get("available"), "available", minimum=-(10**9))
        return {
            "inventory_item_id": item,
            "location_id": location,
            "store": str(store),
            # Shopify counts oversold units below zero; a store has none to sell then.
            "on_hand": max(0, available),
            "synced_at": m.moment(raw.get("updated_at"), "updated_at"),
        }

    def map_products(self, raw: Raw) -> Record:
        product = raw.get("product") or {}
        product_type = str(product.get("product_type") or "").strip().lower()
        return {
            "style_code": (str(product.get("handle") or product.get("id") or ""))[:30]
            or m.required(product, "handle"),
            "name": m.required(product, "title")[:200],
            "brand": (m.text(product, "vendor", limit=80) or "Unbranded"),
            "category": product_type
            if product_type in Product.Category.values
            else Product.Category.ACCESSORIES,
            "season": Product.Season.ALL_YEAR,
            "is_active": product.get("status", "active") == "active",
            "sku": m.required(raw, "sku")[:40],
            "barcode": m.text(raw, "barcode", limit=32) or None,
            "size": m.text(raw, "option1", limit=10) or "One",
            "colour": m.text(raw, "option2", limit=40) or "-",
            "price": m.decimal(raw.get("price"), "price"),
            "currency": str(self.source.options.get("currency", "GBP")).upper()[:3],
        }


class ShopifyStockConfirmer:
    """The live stock check before a hold, from the shop's inventory level.

    Named in ``CATALOG_STOCK_CONFIRMER``. The store is a location of the active Shopify source
    whose ``options.locations`` maps one to it, the variant is the inventory item the products
    sync remembered for its SKU, and the shop is asked for that one level
    (``inventory_levels.json?inventory_item_ids=…&location_ids=…``).
    An associate is waiting, so there is one attempt within ``CATALOG_STOCK_CONFIRM_TIMEOUT``
    and no pacing; whatever goes wrong makes the hold fall back on the synced figure.
    """

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = settings.CATALOG_STOCK_CONFIRM_TIMEOUT if timeout is None else timeout

    def confirm(self, *, sku: str, store_code: str) -> ConfirmedStock:
        source, location = _location_of(store_code)
        item = (
            InventoryItem.objects.filter(source=source, sku=sku)
            .values_list("item_id", flat=True)
            .first()
        )
        if item is None:
            raise StockConfirmationUnavailable(f"the shop has sent no inventory item for {sku}")
        connector = ShopifyConnector(source)
        params = {"inventory_item_ids": item, "location_ids": location}
        try:
            with connector.client() as client:
                response = client.get(
                    connector._path("inventory_levels"), params=params, timeout=self.timeout
                )
                response.raise_for_status()
                levels = response.json()["inventory_levels"]
        except (httpx.HTTPError, ImproperlyConfigured, ValueError, KeyError) as error:
            raise StockConfirmationUnavailable(f"the shop did not answer: {error}") from error
        available = next(
            (
                level.get("available")
                for level in levels
                if (str(level.get("inventory_item_id")), str(level.get("location_id")))
                == (item, location)
            ),
            None,
        )
        if available is None:
            raise StockConfirmationUnavailable(f"{sku} is not tracked at location {location}")
        # Oversold units count below zero in Shopify; the store has none to hold then.
        return ConfirmedStock(on_hand=max(0, int(available)), as_of=timezone.now())


def _location_of(store_code: str) -> tuple[Source, str]:
    """The active Shopify source and its location that stand for the store."""
    for source in Source.objects.filter(kind=Source.Kind.SHOPIFY, is_active=True).order_by("pk"):
        for location, store in (source.options.get("locations") or {}).items():
            if str(store) == store_code:
                return source, str(location)
    raise StockConfirmationUnavailable(f"no shop location is mapped to store {store_code}")


def marketing_consents(raw: Raw) -> list[Record]:
    """Consent statements from ``email_marketing_consent`` and ``sms_marketing_consent``.

    Subscribed grants, unsubscribed withdraws; any other state states nothing. The statement
    is dated by ``consent_updated_at`` or, when the shop has none, by the customer's
    ``updated_at`` (Shopify dates such consent by when it was sent).
    """
    statements = []
    for channel, name in CONSENT_FIELDS.items():
        consent = raw.get(name) or {}
        granted = CONSENT_GRANTED_BY_STATE.get(str(consent.get("state") or "").lower())
        if granted is None:
            continue
        when = consent.get("consent_updated_at") or raw.get("updated_at")
        statements.append(
            {
                "channel": channel,
                "purpose": "marketing",
                "granted": granted,
                "recorded_at": m.moment(when, f"{name}.consent_updated_at"),
            }
        )
    return statements


def refunded_quantities(raw: Raw) -> Counter[str]:
    """Units refunded per line item id, over every refund of the order."""
    returned: Counter[str] = Counter()
    for refund in raw.get("refunds") or []:
        for line in refund.get("refund_line_items") or []:
            returned[str(m.required(line, "line_item_id"))] += m.whole_number(
                line.get("quantity"), "refund_line_items.quantity"
            )
    return returned


def _listing_start(response: httpx.Response) -> str:
    """The high-water mark a listing whose first answer this is earns once it is complete.

    The shop's ``Date`` (our own clock only if it sent none), less ``CLOCK_MARGIN``.
    """
    try:
        began = parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError):
        began = timezone.now()
    return (began - CLOCK_MARGIN).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shop_tags(value: Any) -> list[str] | None:
    """Shopify's ``tags`` (one comma-separated string) as a list; None when not sent."""
    if value is None:
        return None
    seen: dict[str, str] = {}
    for tag in str(value).split(","):
        tag = tag.strip()
        seen.setdefault(tag.casefold(), tag)  # Shopify treats tags case-insensitively
    return [tag for key, tag in seen.items() if key]
