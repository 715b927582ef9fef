"""The sync_resume benchmark's own parts: its large stand-in shop and its lost/doubled count.

The bench lists a million customers from ``BenchShop`` instead of ``ShopifyStandIn`` (whose
lister sorts every record on every request); these tests hold it to the same answers, and the
table comparison to counting what it claims to count.
"""

from __future__ import annotations

import os

import httpx
import pytest

from frontline.customers.models import Customer, CustomerIdentity
from tests.bench.bench_sync_resume import compare_with_shop
from tests.bench.shop_standin import BenchShop, ShopCustomers
from tests.sync.standins import ShopifyStandIn

CUSTOMERS, LIMIT = 11, 4


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


def listing(base_url: str, query: dict[str, str]) -> list[list[int]]:
    """The ids of every page, following the ``next`` links as the connector does."""
    pages = []
    with httpx.Client(headers={"X-Shopify-Access-Token": "shpat_test"}) as client:
        response = client.get(f"{base_url}/admin/api/2024-10/customers.json", params=query)
        while True:
            response.raise_for_status()
            pages.append([record["id"] for record in response.json()["customers"]])
            following = response.links.get("next", {}).get("url")
            if following is None:
                return pages
            response = client.get(following)


@pytest.mark.parametrize(
    "since",
    [None, "2026-11-01T15:00:00Z", "2026-11-01T15:00:01Z"],
    ids=["everything", "since-the-very-second", "since-after"],
)
def test_the_large_shop_pages_as_the_stand_in_does(httpserver, since):
    query = {"limit": str(LIMIT), **({"updated_at_min": since} if since else {})}
    large = BenchShop(httpserver, token="shpat_test")
    large.records["customers"] = ShopCustomers(CUSTOMERS)  # type: ignore[assignment]
    large_pages = listing(large.base_url, query)

    httpserver.clear()
    plain = ShopifyStandIn(httpserver, token="shpat_test")
    plain.records["customers"] = list(ShopCustomers(CUSTOMERS))
    assert large_pages == listing(plain.base_url, query)
    if since != "2026-11-01T15:00:01Z":
        assert [len(page) for page in large_pages] == [4, 4, 3]


def test_the_large_shop_refuses_a_page_link_with_a_query_beside_it(httpserver):
    shop = BenchShop(httpserver, token="shpat_test")
    shop.records["customers"] = ShopCustomers(CUSTOMERS)  # type: ignore[assignment]
    with httpx.Client(headers={"X-Shopify-Access-Token": "shpat_test"}) as client:
        first = client.get(f"{shop.base_url}/admin/api/2024-10/customers.json?limit=4")
        following = first.links["next"]["url"]
        assert client.get(following + "&updated_at_min=2026-01-01").status_code == 400
        assert client.get(following).status_code == 200


@pytest.mark.django_db
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the comparison copies the shop's records in with PostgreSQL's COPY",
)
def test_the_comparison_counts_a_record_missing_twice_or_wrong():
    records = ShopCustomers(4)
    for record in records[:3]:
        customer = Customer.objects.create(
            number=f"N{record['id']}",
            first_name=record["first_name"],
            last_name=record["last_name"],
            email=record["email"],
        )
        CustomerIdentity.objects.create(
            source="ecommerce", external_id=str(record["id"]), customer=customer
        )
    assert compare_with_shop(records[:3]) == {"lost": 0, "doubled": 0, "mismatched": 0}

    # The fourth record never arrived; the first came twice (a second customer, no identity);
    # the second landed with another name.
    Customer.objects.create(number="N-twice", first_name="x", email=records[0]["email"])
    Customer.objects.filter(number=f"N{records[1]['id']}").update(last_name="Other")
    assert compare_with_shop(records) == {"lost": 1, "doubled": 1, "mismatched": 1}
