"""Stand-in CRM and commerce servers (real HTTP, pytest-httpserver) with injectable faults.

They follow the documented shapes closely enough to exercise what the connectors rely on:
Shopify's ``updated_at_min`` + ``Link`` paging + ``429 Retry-After``. The Salesforce org lives
in ``tests/sync/salesforce_standin.py``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


class ShopifyStandIn(StandIn):
    version = "2024-10"

    def __init__(self, server: HTTPServer, token: str = "shpat_test") -> None:  # noqa: S107
        super().__init__(server)
        self.token = token
        self.records: dict[str, list[dict[str, Any]]] = {
            "customers": [],
            "orders": [],
            "products": [],
            # {"inventory_item_id", "location_id", "available", "updated_at"}; listed only for
            # the location_ids asked for, and not in updated_at order (Shopify promises none).
            "inventory_levels": [],
        }
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

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("X-Shopify-Access-Token") == self.token

    def _lister(self, resource: str) -> Callable[[Request], Response]:
        def list_records(request: Request) -> Response:
            if not self._authorised(request):
                return Response('{"errors": "Invalid API key"}', 401)
            if "page_info" in request.args:
                state = json.loads(request.args["page_info"])
            else:
                state = {
                    "offset": 0,
                    "limit": int(request.args.get("limit", 50)),
                    "updated_at_min": request.args.get("updated_at_min", ""),
                    "location_ids": request.args.get("location_ids", ""),
                }
            records = self.records[resource]
            order = lambda r: (r["updated_at"], r["id"])  # noqa: E731
            if resource == "inventory_levels":
                if not state["location_ids"]:
                    return Response('{"errors": "location_ids is required"}', 422)
                wanted = state["location_ids"].split(",")
                records = [r for r in records if str(r["location_id"]) in wanted]
                order = lambda r: (r["location_id"], r["inventory_item_id"])  # noqa: E731
            matching = sorted(
                (r for r in records if r["updated_at"] >= state["updated_at_min"]), key=order
            )
            start, limit = state["offset"], state["limit"]
            headers = {}
            if start + limit < len(matching):
                following = json.dumps({**state, "offset": start + limit}, separators=(",", ":"))
                url = f"{self.base_url}{request.path}?limit={limit}&page_info={following}"
                headers["Link"] = f'<{url}>; rel="next"'
            body = {resource: matching[start : start + limit]}
            return Response(json.dumps(body), 200, headers, content_type="application/json")

        return list_records

    def _getter(self, resource: str) -> Callable[[Request], Response]:
        singular = resource[:-1]

        def get_record(request: Request) -> Response:
            if not self._authorised(request):
                return Response('{"errors": "Invalid API key"}', 401)
            wanted = int(request.path.rsplit("/", 1)[1].split(".")[0])
            for record in self.records[resource]:
                if record["id"] == wanted:
                    return Response(
                        json.dumps({singular: record}), 200, content_type="application/json"
                    )
            return Response('{"errors": "Not Found"}', 404)

        return get_record


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


def shopify_customer(
    n: int, updated_at: str = "2026-11-01T10:00:00Z", **changes: Any
) -> dict[str, Any]:
    customer = {
        "id": 7000 + n,
        "email": f"shopper{n}@example.com",
        "first_name": f"Shopper{n}",
        "last_name": "Jones",
        "phone": f"+4477008{n:05d}",
        "updated_at": updated_at,
        "default_address": {"zip": "E1 6AN", "country_code": "GB"},
    }
    return {**customer, **changes}
