"""Stand-in CRM and commerce servers (real HTTP, pytest-httpserver) with injectable faults.

They follow the documented shapes closely enough to exercise what the connectors rely on:
Shopify's ``updated_at_min`` + ``Link`` paging + ``429 Retry-After``; Salesforce's OAuth
client-credentials token, SOQL query with ``nextRecordsUrl`` and ``SystemModstamp``, and
upsert of a Task by external id.
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


class SalesforceStandIn(StandIn):
    """OAuth token endpoint, SOQL query endpoint with cursors, and Task upsert by external id."""

    client_id, client_secret = "frontline-app", "s3cret"
    api = "/services/data/v60.0"

    def __init__(self, server: HTTPServer, batch_size: int = 2000) -> None:
        super().__init__(server)
        self.batch_size = batch_size
        self.records: dict[str, list[dict[str, Any]]] = {"Contact": [], "Account": [], "Task": []}
        self.tokens: list[str] = []
        self.expire_next_call = False
        self._locators: dict[str, list[dict[str, Any]]] = {}
        server.expect_request("/services/oauth2/token", method="POST").respond_with_handler(
            self._answer(self._token)
        )
        server.expect_request(f"{self.api}/query").respond_with_handler(self._answer(self._query))
        server.expect_request(re.compile(rf"{self.api}/query/.+")).respond_with_handler(
            self._answer(self._more)
        )
        server.expect_request(
            re.compile(rf"{self.api}/sobjects/Task/Frontline_Key__c/.+"), method="PATCH"
        ).respond_with_handler(self._answer(self._upsert_task))

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def _token(self, request: Request) -> Response:
        form = request.form
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
            "client_credentials",
            self.client_id,
            self.client_secret,
        ):
            return Response('{"error": "invalid_client"}', 400)
        token = f"00D-token-{len(self.tokens)}"
        self.tokens.append(token)
        body = {"access_token": token, "instance_url": self.base_url, "token_type": "Bearer"}
        return Response(json.dumps(body), 200, content_type="application/json")

    def _authorised(self, request: Request) -> Response | None:
        if self.expire_next_call:
            self.expire_next_call = False
            self.tokens.append("expired")
        if (
            request.headers.get("Authorization")
            != f"Bearer {self.tokens[-1] if self.tokens else ''}"
        ):
            return Response('[{"errorCode": "INVALID_SESSION_ID"}]', 401)
        return None

    def _query(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused:
            return refused
        soql = request.args["q"]
        sobject = re.search(r"FROM (\w+)", soql).group(1)
        rows = [dict(r, attributes={"type": sobject}) for r in self.records[sobject]]
        since = re.search(r"SystemModstamp >= (\S+)", soql)
        if since:
            rows = [r for r in rows if r["SystemModstamp"] >= since.group(1)]
        ids = re.search(r"Id IN \(([^)]*)\)", soql)
        if ids:
            rows = [r for r in rows if r["Id"] in re.findall(r"'([^']+)'", ids.group(1))]
        key = re.search(r"Frontline_Key__c = '([^']+)'", soql)
        if key:
            rows = [r for r in rows if r.get("Frontline_Key__c") == key.group(1)]
        elif "Frontline_Key__c = null" in soql:
            rows = [r for r in rows if not r.get("Frontline_Key__c")]
        rows.sort(key=lambda r: (r["SystemModstamp"], r["Id"]))
        return self._batch(rows)

    def _batch(self, rows: list[dict[str, Any]]) -> Response:
        first, rest = rows[: self.batch_size], rows[self.batch_size :]
        body: dict[str, Any] = {"totalSize": len(rows), "done": not rest, "records": first}
        if rest:
            locator = f"01gLOCATOR{len(self._locators)}-{self.batch_size}"
            self._locators[locator] = rest
            body["nextRecordsUrl"] = f"{self.api}/query/{locator}"
        return Response(json.dumps(body), 200, content_type="application/json")

    def _more(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused:
            return refused
        return self._batch(self._locators.pop(request.path.rsplit("/", 1)[1]))

    def _upsert_task(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused:
            return refused
        key = request.path.rsplit("/", 1)[1]
        fields = json.loads(request.data)
        for task in self.records["Task"]:
            if task.get("Frontline_Key__c") == key:
                task.update(fields)
                return Response(status=204)
        task_id = f"00T{len(self.records['Task']):015d}"
        self.records["Task"].append(
            {
                "Id": task_id,
                "Frontline_Key__c": key,
                "SystemModstamp": "2026-11-30T00:00:00.000+0000",
                **fields,
            }
        )
        return Response(
            json.dumps({"id": task_id, "success": True, "created": True}),
            201,
            content_type="application/json",
        )


def salesforce_contact(
    n: int, stamp: str = "2026-11-01T10:00:00.000+0000", **changes: Any
) -> dict[str, Any]:
    contact = {
        "Id": f"003{n:015d}",
        "FirstName": f"Grace{n}",
        "LastName": "Hopper",
        "Email": f"grace{n}@example.com",
        "Phone": f"+4477007{n:05d}",
        "MailingPostalCode": "SW1A 1AA",
        "MailingCountryCode": "GB",
        "SystemModstamp": stamp,
    }
    return {**contact, **changes}
