"""Commerce/ERP over REST, shaped like the Shopify Admin API.

Lists are read with ``updated_at_min`` (the cursor) in ``updated_at`` order and followed through
the ``Link: <…>; rel="next"`` header. The cursor after each page is the newest ``updated_at`` in
it, so a run that fails on page n resumes with that page (records at the boundary come again and
cost nothing: the upsert finds them unchanged). The access token comes from the environment
variable ``<credentials_env>_TOKEN``; ``options.locations`` maps location ids to store codes.

Stock comes from ``inventory_levels.json`` for the mapped locations (``location_ids``, at most
50 a request), keyed by ``inventory_item_id``: the products sync remembers which SKU each
variant's inventory item is, and the levels land through the catalog (``sync.inventory``).
Shopify does not promise an order for inventory levels, so the cursor moves only when every
level has been read, to the time the listing began by the server's clock (``Date``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
from django.core.exceptions import ImproperlyConfigured

from frontline.catalog.models import Product
from frontline.sync import mapping as m
from frontline.sync.connectors.base import Connector, Page, Raw, Record
from frontline.sync.connectors.http import new_client, request, secret
from frontline.sync.models import Entity

if TYPE_CHECKING:
    from frontline.sync.writers import WriteOutcome

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


class ShopifyConnector(Connector):
    entities = (Entity.CUSTOMERS, Entity.ORDERS, Entity.PRODUCTS, Entity.STOCK)

    def client(self) -> httpx.Client:
        token = secret(f"{self.source.credentials_env}_TOKEN")
        return new_client(base_url=self.source.base_url, headers={"X-Shopify-Access-Token": token})

    def _path(self, resource: str) -> str:
        return f"/admin/api/{API_VERSION}/{resource}.json"

    def _listing(self, resource: str, params: dict[str, Any]) -> Iterator[httpx.Response]:
        """Every page of a list, following ``Link: <…>; rel="next"``."""
        url: str | None = self._path(resource)
        with self.client() as client:
            while url:
                response = request(client, "GET", url, params=params or None)
                yield response
                # The next link carries every parameter (Shopify's page_info): send none again.
                url, params = response.links.get("next", {}).get("url"), {}

    def pages(self, entity: str, cursor: dict[str, Any]) -> Iterator[Page]:
        if entity == Entity.STOCK:
            yield from self._inventory_pages(cursor)
            return
        resource = RESOURCES[entity]
        params: dict[str, Any] = {"limit": PAGE_LIMIT, "order": "updated_at asc"}
        if cursor.get("updated_at_min"):
            params["updated_at_min"] = cursor["updated_at_min"]
        if entity == Entity.ORDERS:
            params["status"] = "any"
        newest = cursor.get("updated_at_min", "")
        for response in self._listing(resource, params):
            items = response.json()[resource]
            newest = max([newest, *(item.get("updated_at") or "" for item in items)])
            yield Page(self._flatten(entity, items), {"updated_at_min": newest})

    def _inventory_pages(self, cursor: dict[str, Any]) -> Iterator[Page]:
        locations = sorted(self.source.options.get("locations") or {}, key=str)
        if not locations:
            raise ImproperlyConfigured(
                f"source {self.source.name}: options.locations maps no location to a store"
            )
        since = cursor.get("updated_at_min", "")
        # Without a Date header, the newest level read is the next cursor.
        listing_began, newest = "", since
        held: list[Raw] | None = None
        for start in range(0, len(locations), LOCATIONS_PER_REQUEST):
            chunk = ",".join(map(str, locations[start : start + LOCATIONS_PER_REQUEST]))
            params: dict[str, Any] = {"location_ids": chunk, "limit": PAGE_LIMIT}
            if since:
                params["updated_at_min"] = since
            for response in self._listing("inventory_levels", params):
                listing_began = listing_began or _server_time(response)
                if held is not None:
                    # Until the last page, a failed run must start this listing again.
                    yield Page(held, {"updated_at_min": since})
                held = response.json()["inventory_levels"]
                newest = max([newest, *(level.get("updated_at") or "" for level in held)])
        yield Page(held or [], {"updated_at_min": listing_began or newest})

    def fetch(self, entity: str, external_ids: list[str]) -> list[Raw]:
        resource = RESOURCES[entity]
        found = []
        with self.client() as client:
            for external_id in external_ids:
                try:
                    response = request(client, "GET", self._path(f"{resource}/{external_id}"))
                except httpx.HTTPStatusError as error:
                    if error.response.status_code == 404:
                        continue  # deleted since the webhook was sent
                    raise
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
        address = raw.get("default_address") or {}
        email = m.email(raw.get("email"))
        country = m.country(address.get("country_code"))
        # Shopify customers often have no name: fall back on the e-mail's local part.
        first_name = (raw.get("first_name") or "").strip() or email.split("@")[0]
        if not first_name:
            raise m.MappingError("neither a first name nor an e-mail")
        return {
            "external_id": m.required(raw, "id"),
            "number": "",
            "first_name": first_name[:100],
            "last_name": m.text(raw, "last_name", limit=100),
            "email": email,
            "phone": m.phone(raw.get("phone"), country),
            "postcode": m.text(address, "zip", limit=16),
            "country": country,
        }

    def map_orders(self, raw: Raw) -> Record:
        locations = self.source.options.get("locations", {})
        location = raw.get("location_id")
        store = locations.get(str(location), "") if location else ""
        if location and not store:
            raise m.MappingError(f"location {location} is not mapped to a store")
        customer = raw.get("customer") or {}
        return {
            "external_id": m.required(raw, "id"),
            "number": m.required(raw, "name")[:30],
            "customer_external_id": str(customer.get("id") or ""),
            "channel": "store" if store else "online",
            "store": store,
            "placed_at": m.moment(raw.get("created_at"), "created_at"),
            "currency": (m.text(raw, "currency", limit=3) or "GBP").upper(),
            "total": m.decimal(raw.get("total_price"), "total_price"),
            "lines": [
                {
                    "sku": m.required(item, "sku")[:40],
                    "description": m.text(item, "title", limit=200),
                    "quantity": m.whole_number(item.get("quantity"), "quantity", minimum=1),
                    "unit_price": m.decimal(item.get("price"), "price"),
                    "returned_quantity": 0,
                }
                for item in raw.get("line_items") or []
            ],
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


def _server_time(response: httpx.Response) -> str:
    """The response's ``Date`` as an ``updated_at_min`` value, or "" when it has none."""
    try:
        when = parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError):
        return ""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
