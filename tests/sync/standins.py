"""Stand-in CRM and commerce servers (real HTTP, pytest-httpserver) with injectable faults.

They follow the documented shapes closely enough to exercise what the connectors rely on:
Shopify's ``updated_at_min`` + ``Link`` paging + ``429 Retry-After``. The Salesforce org lives
in ``tests/sync/salesforce_standin.py``.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


@dataclass
class Fault:
    """Answer the next ``times`` matching requests with ``status`` (or stall for ``delay``)."""

    matches: Callable[[Request], bool]
    times: int = 1
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class StandIn:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.faults: list[Fault] = []
        self.hits: list[str] = []
        self._lock = threading.Lock()

    def inject(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def _fault_for(self, request: Request) -> Fault | None:
        with self._lock:
            self.hits.append(request.full_path.rstrip("?"))
            for fault in self.faults:
                if fault.times > 0 and fault.matches(request):
                    fault.times -= 1
                    return fault
        return None

    def _answer(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def answer(request: Request) -> Response:
            fault = self._fault_for(request)
            if fault and fault.delay:
                time.sleep(fault.delay)
            elif fault:
                return Response(json.dumps({"errors": "injected"}), fault.status, fault.headers)
            return handler(request)

        return answer


# Inventory levels are filtered by these lists of ids (comma-separated), either or both.
INVENTORY_FILTERS = (("location_ids", "location_id"), ("inventory_item_ids", "inventory_item_id"))


class ShopifyStandIn(StandIn):
    """The REST Admin API as Shopify documents it, for the resources Frontline reads.

    - Lists are paged by cursor: the answer's ``Link`` header carries ``rel="previous"`` and
      ``rel="next"`` URLs whose ``page_info`` is opaque and carries the whole query; a request
      with ``page_info`` may add only ``limit`` and ``fields``, anything else (or a page_info
      that is malformed or has expired, see ``expire_page_links``) is answered 400
      ``{"errors": {"page_info": "Invalid value."}}``.
    - Pages follow the records' ids, not their ``updated_at``: a record changed while a client
      pages through a list moves nowhere, and a client that takes the newest ``updated_at``
      it saw as its position skips what it has not read yet.
    - ``updated_at_min`` is inclusive and compares instants (times carry the shop's offset).
    - Orders are listed ``status=open`` unless the request says otherwise (``any``).
    - Every answer reports the leaky bucket in ``X-Shopify-Shop-Api-Call-Limit: used/size``;
      a request that finds it full is answered 429 with ``Retry-After: 2.0``.
    - ``/{resource}/{id}.json`` answers one record, or 404 once it is deleted.
    """

    version = "2024-10"
    # Standard plans: a bucket of 40 requests that leaks 2 a second.
    bucket_size, leak_per_second = 40, 2.0
    # Inventory levels have no id of their own: they are keyed by location and item.
    positions: ClassVar[dict[str, Callable[[dict[str, Any]], list[int]]]] = {
        "inventory_levels": lambda r: [int(r["location_id"]), int(r["inventory_item_id"])],
    }

    def __init__(self, server: HTTPServer, token: str = "shpat_test") -> None:  # noqa: S107
        super().__init__(server)
        self.token = token
        self.records: dict[str, list[dict[str, Any]]] = {
            "customers": [],
            "orders": [],
            "products": [],
            # {"inventory_item_id", "location_id", "available", "updated_at"}
            "inventory_levels": [],
        }
        self._link_generation = 0
        self._bucket_level, self._bucket_read_at = 0.0, time.monotonic()
        for resource in self.records:
            server.expect_request(
                re.compile(rf"/admin/api/[^/]+/{resource}\.json")
            ).respond_with_handler(self._answer(self._lister(resource)))
            server.expect_request(
                re.compile(rf"/admin/api/[^/]+/{resource}/\d+\.json")
            ).respond_with_handler(self._answer(self._getter(resource)))

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    # --- What a test does to the shop -------------------------------------------------------

    def change(self, resource: str, record_id: int, **changes: Any) -> dict[str, Any]:
        """Edit a record as the shop's admin would: its ``updated_at`` becomes now."""
        record = self._find(resource, record_id)
        assert record is not None, f"no {resource} {record_id}"
        record.update(changes, updated_at=shop_time())
        return record

    def delete(self, resource: str, record_id: int) -> None:
        self.records[resource] = [r for r in self.records[resource] if r["id"] != record_id]

    def expire_page_links(self) -> None:
        """Every page_info handed out so far is refused from now on."""
        self._link_generation += 1

    def fill_bucket(self, used: int) -> None:
        with self._lock:
            self._bucket_level, self._bucket_read_at = float(used), time.monotonic()

    # --- Rate limit -------------------------------------------------------------------------

    def _answer(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        faulty = super()._answer(handler)

        def metered(request: Request) -> Response:
            used = self._bucket_take()
            if used is None:
                with self._lock:
                    self.hits.append(request.full_path.rstrip("?"))
                response = Response(
                    json.dumps({"errors": "Exceeded 2 calls per second for api client."}),
                    429,
                    {"Retry-After": "2.0"},
                    content_type="application/json",
                )
                used = self.bucket_size
            else:
                response = faulty(request)
            response.headers["X-Shopify-Shop-Api-Call-Limit"] = f"{used}/{self.bucket_size}"
            return response

        return metered

    def _bucket_take(self) -> int | None:
        """Add this request to the bucket: how full it is then, or None when it overflows."""
        with self._lock:
            now = time.monotonic()
            drained = self._bucket_level - (now - self._bucket_read_at) * self.leak_per_second
            level = max(0.0, drained)
            self._bucket_read_at = now
            if level + 1 > self.bucket_size:
                self._bucket_level = level
                return None
            self._bucket_level = level + 1
            return math.ceil(self._bucket_level)

    # --- Lists and single records -----------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("X-Shopify-Access-Token") == self.token

    def _position(self, resource: str, record: dict[str, Any]) -> list[int]:
        return self.positions.get(resource, lambda r: [int(r["id"])])(record)

    def _find(self, resource: str, record_id: int) -> dict[str, Any] | None:
        return next((r for r in self.records[resource] if r.get("id") == record_id), None)

    def _page_info(self, query: dict[str, str], direction: str, position: list[int]) -> str:
        state = {"q": query, "d": direction, "p": position, "g": self._link_generation}
        return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")

    def _read_page_info(self, value: str) -> dict[str, Any] | None:
        try:
            state = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        except ValueError:
            return None
        if not isinstance(state, dict) or state.get("g") != self._link_generation:
            return None
        return state

    def _matches(self, resource: str, record: dict[str, Any], query: dict[str, str]) -> bool:
        since = query.get("updated_at_min")
        if since and instant(record["updated_at"]) < instant(since):
            return False
        if resource == "orders":
            status = query.get("status", "open")
            closed = record.get("closed_at") or record.get("cancelled_at")
            if (status == "open" and closed) or (status == "closed" and not closed):
                return False
        for name, key in (
            ("location_ids", "location_id"),
            ("inventory_item_ids", "inventory_item_id"),
        ):
            if query.get(name) and str(record[key]) not in query[name].split(","):
                return False
        return True

    def _lister(self, resource: str) -> Callable[[Request], Response]:
        def list_records(request: Request) -> Response:
            if not self._authorised(request):
                return _json({"errors": "[API] Invalid API key or access token"}, 401)
            args = request.args
            if "page_info" in args:
                state = self._read_page_info(args["page_info"])
                if state is None or set(args) - {"page_info", "limit", "fields"}:
                    return _json({"errors": {"page_info": "Invalid value."}}, 400)
                query, direction, position = state["q"], state["d"], state["p"]
            else:
                query = {k: v for k, v in args.items() if k not in ("limit", "fields")}
                direction, position = "next", []
            if resource == "inventory_levels" and not (
                query.get("location_ids") or query.get("inventory_item_ids")
            ):
                return _json({"errors": "inventory_item_ids or location_ids is required"}, 422)
            limit = min(int(args.get("limit", 50)), 250)
            key = lambda r: self._position(resource, r)  # noqa: E731
            matching = sorted(
                (r for r in self.records[resource] if self._matches(resource, r, query)), key=key
            )
            if direction == "next":
                page = [r for r in matching if key(r) > position][:limit]
                more_before = bool(position) and any(key(r) <= position for r in matching)
                more_after = bool(page) and key(matching[-1]) > key(page[-1])
            else:
                earlier = [r for r in matching if key(r) < position]
                page = earlier[-limit:]
                more_before = len(earlier) > limit
                more_after = True
            links = []
            if page and more_before:
                links.append(self._link(request, limit, query, "previous", key(page[0])))
            if page and more_after:
                links.append(self._link(request, limit, query, "next", key(page[-1])))
            headers = {"Link": ", ".join(links)} if links else {}
            return _json({resource: page}, 200, headers)

        return list_records

    def _link(
        self, request: Request, limit: int, query: dict[str, str], rel: str, position: list[int]
    ) -> str:
        page_info = self._page_info(query, rel, position)
        return f'<{self.base_url}{request.path}?limit={limit}&page_info={page_info}>; rel="{rel}"'

    def _getter(self, resource: str) -> Callable[[Request], Response]:
        singular = resource[:-1]

        def get_record(request: Request) -> Response:
            if not self._authorised(request):
                return _json({"errors": "[API] Invalid API key or access token"}, 401)
            record = self._find(resource, int(request.path.rsplit("/", 1)[1].split(".")[0]))
            if record is None:
                return _json({"errors": "Not Found"}, 404)
            return _json({singular: record}, 200)

        return get_record


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers or {}, content_type="application/json")


# The stand-in shop keeps its clock in its own time zone, as Shopify reports times.
SHOP_ZONE = timezone(timedelta(hours=-5))


def shop_time(moment: datetime | None = None) -> str:
    """A time as Shopify writes it: whole seconds with the shop's UTC offset."""
    moment = (moment or datetime.now(UTC)).astimezone(SHOP_ZONE)
    return moment.replace(microsecond=0).isoformat()


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def shopify_source(shop: ShopifyStandIn, credentials_env: str, **fields: Any) -> Any:
    """The Source row of a Shopify-shaped stand-in (its token from ``<credentials_env>_TOKEN``)."""
    from frontline.sync.models import Source

    return Source.objects.create(
        name="shop",
        kind="shopify",
        record_source="ecommerce",
        base_url=shop.base_url,
        credentials_env=credentials_env,
        **fields,
    )


def shopify_product(*variants: dict[str, Any], **changes: Any) -> dict[str, Any]:
    product = {
        "id": 11,
        "title": "Linen shirt",
        "handle": "linen-shirt",
        "vendor": "Northwind",
        "product_type": "Tops",
        "status": "active",
        "updated_at": "2026-11-01T10:00:00Z",
        "variants": list(variants),
    }
    return {**product, **changes}


def marketing_consent(
    state: str = "not_subscribed", updated_at: str | None = None, level: str | None = None
) -> dict[str, Any]:
    """A customer's ``email_marketing_consent`` / ``sms_marketing_consent`` object."""
    return {"state": state, "opt_in_level": level, "consent_updated_at": updated_at}


def shopify_customer(
    n: int, updated_at: str = "2026-11-01T10:00:00Z", **changes: Any
) -> dict[str, Any]:
    customer = {
        "id": 7000 + n,
        "email": f"shopper{n}@example.com",
        "first_name": f"Shopper{n}",
        "last_name": "Jones",
        "phone": f"+4477008{n:05d}",
        "state": "enabled",
        "tags": "",
        "created_at": "2026-10-01T10:00:00Z",
        "updated_at": updated_at,
        "email_marketing_consent": marketing_consent(),
        "sms_marketing_consent": {**marketing_consent(), "consent_collected_from": "OTHER"},
        "default_address": {"zip": "E1 6AN", "country_code": "GB"},
    }
    return {**customer, **changes}


def shopify_order(
    order_id: int, customer_id: int | None, *line_items: dict[str, Any], **changes: Any
) -> dict[str, Any]:
    """An order; each line item needs its own ``id`` (refunds name lines by it)."""
    order = {
        "id": order_id,
        "name": f"#{order_id}",
        "customer": {"id": customer_id} if customer_id else None,
        "created_at": "2026-11-01T11:00:00Z",
        "updated_at": "2026-11-01T11:00:00Z",
        "closed_at": None,
        "cancelled_at": None,
        "financial_status": "paid",
        "currency": "GBP",
        "total_price": str(
            sum(Decimal(item["price"]) * item["quantity"] for item in line_items) or "0.00"
        ),
        "location_id": None,
        "line_items": list(line_items),
        "refunds": [],
    }
    return {**order, **changes}


def shopify_refund(refund_id: int, *lines: tuple[int, int, str]) -> dict[str, Any]:
    """A refund of (line_item_id, quantity, subtotal) lines, returned to stock."""
    return {
        "id": refund_id,
        "created_at": "2026-11-03T09:00:00Z",
        "note": "Returned in store",
        "refund_line_items": [
            {
                "id": refund_id * 10 + index,
                "line_item_id": line_item_id,
                "quantity": quantity,
                "restock_type": "return",
                "subtotal": subtotal,
                "total_tax": "0.00",
            }
            for index, (line_item_id, quantity, subtotal) in enumerate(lines)
        ],
        "transactions": [],
    }
