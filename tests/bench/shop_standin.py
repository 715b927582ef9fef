"""The Shopify stand-in as the sync benchmarks serve it: a Plus shop that pages without sorting.

``ShopifyStandIn`` (tests/sync/standins.py) sorts and filters every record on every request,
which is right for a test's dozen records; a benchmark of 10,000 or a million records would
then measure the stand-in (30 ms a page at 10,000, seconds at a million). ``BenchShop`` answers
the customers list from an index built once per query, by the same rules: pages by id, opaque
``page_info`` that carries the query and admits only ``limit``/``fields`` beside it (else 400),
``updated_at_min`` inclusive, ``Link`` next and previous, the same call-limit bucket (the
parent's ``_answer`` meters this handler too). tests/test_bench_sync_resume.py holds it to
the parent's answers.

The shop is a Shopify Plus shop: a bucket of 400 requests leaking 20 a second, as Shopify
documents its REST Admin API limits (standard plans: 40 and 2); the benchmarks' sources are
told the same leak rate, so the connector's pacing stays on as in production.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.sync import generate
from tests.sync.standins import ShopifyStandIn, _json, instant

# Shopify's customer ids are integers of 13 digits or so; customer n is this plus n.
SHOP_ID_BASE = 7_000_000_000_000
PLUS_BUCKET_SIZE, PLUS_LEAK_PER_SECOND = 400, 20.0
PLUS_PLAN = f"Shopify Plus: bucket {PLUS_BUCKET_SIZE}, leak {PLUS_LEAK_PER_SECOND:g}/s"
# When every generated customer was last changed (15:00 UTC).
GENERATED_UPDATED_AT = "2026-11-01T10:00:00-05:00"


def shop_id(n: int) -> int:
    return SHOP_ID_BASE + n


class ShopCustomers(Sequence[dict[str, Any]]):
    """Generated customers in id order, each built from its position when asked for.

    A million customer dicts held by the bench process would take gigabytes; these take none.
    Every one was last changed at ``GENERATED_UPDATED_AT``.
    """

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._record(n) for n in range(*index.indices(self.count))]
        if not -self.count <= index < self.count:
            raise IndexError(index)
        return self._record(index % self.count)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self._record(n) for n in range(self.count))

    @staticmethod
    def _record(n: int) -> dict[str, Any]:
        row = dict(zip(generate.CUSTOMER_COLUMNS, generate.customer_row(n), strict=True))
        return {
            "id": shop_id(n),
            "email": row["email"],
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "phone": row["phone"],
            "state": "enabled",
            "created_at": GENERATED_UPDATED_AT,
            "updated_at": GENERATED_UPDATED_AT,
            "default_address": {"zip": row["postcode"], "country_code": row["country"]},
        }


@dataclass(frozen=True)
class Matching:
    """The customers one query matches, in id order: their ids, and the records themselves."""

    ids: Sequence[int]
    records: Sequence[dict[str, Any]]


class BenchShop(ShopifyStandIn):
    """ShopifyStandIn whose customers list pages from an index instead of sorting each time."""

    def __init__(self, server: HTTPServer, token: str = "shpat_test") -> None:  # noqa: S107
        super().__init__(server, token)
        self._index: dict[tuple[str, int, int], Matching] = {}

    def change(self, resource: str, record_id: int, **changes: Any) -> dict[str, Any]:
        self._index.clear()  # an update time moved: what a query matches may have
        return super().change(resource, record_id, **changes)

    def delete(self, resource: str, record_id: int) -> None:
        self._index.clear()
        super().delete(resource, record_id)

    def _lister(self, resource: str) -> Callable[[Request], Response]:
        if resource != "customers":
            return super()._lister(resource)
        return self._list_customers

    def _matching(self, since: str) -> Matching:
        customers = self.records["customers"]
        if isinstance(customers, ShopCustomers):
            if since and instant(GENERATED_UPDATED_AT) < instant(since):
                return Matching((), ())
            return Matching(range(shop_id(0), shop_id(len(customers))), customers)
        # Keyed by the list too: a test or bench that assigns a new list gets a new index.
        key = (since, id(customers), len(customers))
        if key not in self._index:
            ordered = sorted(customers, key=lambda record: int(record["id"]))
            chosen = [
                record
                for record in ordered
                if not since or instant(record["updated_at"]) >= instant(since)
            ]
            self._index[key] = Matching([int(record["id"]) for record in chosen], chosen)
        return self._index[key]

    def _list_customers(self, request: Request) -> Response:
        if not self._authorised(request):
            return _json({"errors": "[API] Invalid API key or access token"}, 401)
        args = request.args
        after: list[int] = []
        if "page_info" in args:
            state = self._read_page_info(args["page_info"])
            extra = set(args) - {"page_info", "limit", "fields"}
            # The connector follows only next links; a previous one is refused, not guessed at.
            if state is None or extra or state["d"] != "next":
                return _json({"errors": {"page_info": "Invalid value."}}, 400)
            query, after = state["q"], state["p"]
        else:
            query = {k: v for k, v in args.items() if k not in ("limit", "fields")}
        matching = self._matching(str(query.get("updated_at_min") or ""))
        limit = min(int(args.get("limit", 50)), 250)
        start = bisect.bisect_right(matching.ids, after[0]) if after else 0
        end = min(len(matching.ids), start + limit)
        page = list(matching.records[start:end])
        links = []
        if page and start > 0:
            links.append(self._link(request, limit, query, "previous", [page[0]["id"]]))
        if page and end < len(matching.ids):
            links.append(self._link(request, limit, query, "next", [page[-1]["id"]]))
        headers = {"Link": ", ".join(links)} if links else {}
        return _json({"customers": page}, 200, headers)


class UnloggedHTTPServer(HTTPServer):
    """An HTTPServer that keeps no log of what it served.

    pytest-httpserver keeps every request with its response for a test's assertions; over a
    benchmark's listing that is every page's body (≈ 640 MB for a million customers).
    """

    def application(self, request: Request) -> Response:
        request.get_data()
        return self.dispatch(request)


def plus_shop(server: HTTPServer, token: str) -> BenchShop:
    """The stand-in metered as a Shopify Plus shop."""
    shop = BenchShop(server, token=token)
    shop.bucket_size, shop.leak_per_second = PLUS_BUCKET_SIZE, PLUS_LEAK_PER_SECOND
    return shop
