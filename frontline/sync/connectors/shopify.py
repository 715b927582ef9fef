"""Commerce/ERP over REST, shaped like the Shopify Admin API.

Lists are read with ``updated_at_min`` (the cursor) in ``updated_at`` order and followed through
the ``Link: <…>; rel="next"`` header. The cursor after each page is the newest ``updated_at`` in
it, so a run that fails on page n resumes with that page (records at the boundary come again and
cost nothing: the upsert finds them unchanged). The access token comes from the environment
variable ``<credentials_env>_TOKEN``; ``options.locations`` maps location ids to store codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from frontline.catalog.models import Product
from frontline.sync import mapping as m
from frontline.sync.connectors.base import Connector, Page, Raw, Record
from frontline.sync.connectors.http import new_client, request, secret
from frontline.sync.models import Entity

API_VERSION = "2024-10"
RESOURCES = {Entity.CUSTOMERS: "customers", Entity.ORDERS: "orders", Entity.PRODUCTS: "products"}
SINGULAR = {"customers": "customer", "orders": "order", "products": "product"}
PAGE_LIMIT = 250


class ShopifyConnector(Connector):
    entities = (Entity.CUSTOMERS, Entity.ORDERS, Entity.PRODUCTS)

    def client(self) -> httpx.Client:
        token = secret(f"{self.source.credentials_env}_TOKEN")
        return new_client(base_url=self.source.base_url, headers={"X-Shopify-Access-Token": token})

    def _path(self, resource: str) -> str:
        return f"/admin/api/{API_VERSION}/{resource}.json"

    def pages(self, entity: str, cursor: dict[str, Any]) -> Iterator[Page]:
        resource = RESOURCES[entity]
        params: dict[str, Any] | None = {"limit": PAGE_LIMIT, "order": "updated_at asc"}
        if cursor.get("updated_at_min"):
            params["updated_at_min"] = cursor["updated_at_min"]
        if entity == Entity.ORDERS:
            params["status"] = "any"
        url: str | None = self._path(resource)
        newest = cursor.get("updated_at_min", "")
        with self.client() as client:
            while url:
                response = request(client, "GET", url, params=params)
                items = response.json()[resource]
                newest = max([newest, *(item.get("updated_at") or "" for item in items)])
                yield Page(self._flatten(entity, items), {"updated_at_min": newest})
                # The next link carries every parameter (Shopify's page_info): send none again.
                url, params = response.links.get("next", {}).get("url"), None

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

    @staticmethod
    def _flatten(entity: str, items: list[Raw]) -> list[Raw]:
        """Products come with their variants inside; Frontline lands one record per variant."""
        if entity != Entity.PRODUCTS:
            return items
        return [
            {**variant, "product": {k: v for k, v in item.items() if k != "variants"}}
            for item in items
            for variant in item.get("variants") or [{"id": None, "product_id": item.get("id")}]
        ]

    def external_id(self, entity: str, raw: Raw) -> str:
        return str(raw.get("sku") if entity == Entity.PRODUCTS else raw.get("id") or "")[:100]

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
