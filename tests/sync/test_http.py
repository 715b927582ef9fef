"""The REST connectors' HTTP layer: Retry-After as servers send it, and leaky-bucket pacing."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
from django.utils import timezone

from frontline.sync import engine
from frontline.sync.connectors.http import LeakyBucket, retry_after_seconds
from frontline.sync.connectors.shopify import call_limit
from tests.sync.standins import ShopifyStandIn, shopify_customer, shopify_source


def answer(**headers: str) -> httpx.Response:
    return httpx.Response(429, headers=headers)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2.0", 2.0), ("1", 1.0), ("0.25", 0.25), ("-1", None), ("nan", None), ("soon", None)],
)
def test_retry_after_in_seconds_whole_or_with_a_fraction(value, seconds):
    assert retry_after_seconds(answer(**{"Retry-After": value})) == seconds


def test_retry_after_as_an_http_date():
    when = timezone.now() + timedelta(seconds=30)
    waited = retry_after_seconds(answer(**{"Retry-After": format_datetime(when, usegmt=True)}))
    assert waited is not None and 28 <= waited <= 30


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def bucket(clock: Clock) -> LeakyBucket:
    return LeakyBucket(reading=call_limit, leak_per_second=2.0, sleep=clock.sleep, clock=clock)


def limit(value: str) -> httpx.Response:
    return httpx.Response(200, headers={"X-Shopify-Shop-Api-Call-Limit": value})


def test_a_mostly_empty_bucket_costs_no_wait():
    clock = Clock()
    pacer = bucket(clock)
    pacer.before()
    pacer.after(limit("5/40"))
    pacer.before()
    pacer.after(limit("35/40"))
    pacer.before()
    assert clock.slept == []


def test_a_nearly_full_bucket_slows_requests_to_the_leak_rate():
    clock = Clock()
    pacer = bucket(clock)
    pacer.after(limit("39/40"))

    pacer.before()

    # 39 in a bucket of 40 that keeps a tenth free: wait until 4 have leaked, at 2 a second.
    assert clock.slept == [pytest.approx(2.0)]
    pacer.after(limit("36/40"))
    clock.now += 0.2  # the answer took a while: that counts as leaking too
    pacer.before()
    assert clock.slept[1:] == [pytest.approx(0.3)]


def test_an_answer_without_the_header_leaves_the_pace_alone():
    clock = Clock()
    pacer = bucket(clock)
    pacer.after(limit("39/40"))
    pacer.after(httpx.Response(200))
    assert pacer.wait_seconds() == pytest.approx(2.0)


@pytest.mark.django_db
def test_a_listing_that_starts_with_a_nearly_full_bucket_is_paced_and_never_refused(
    httpserver, monkeypatch
):
    monkeypatch.setenv("SHOP_TEST_TOKEN", "shpat_test")
    monkeypatch.setattr("frontline.sync.connectors.shopify.PAGE_LIMIT", 1)
    shop = ShopifyStandIn(httpserver)
    shop.records["customers"] = [shopify_customer(n) for n in range(3)]
    shop.fill_bucket(shop.bucket_size - 2)

    run = engine.run_sync(source=shopify_source(shop, "SHOP_TEST"), entity="customers")

    assert (run.status, run.created) == ("succeeded", 3)
    assert len(shop.hits) == 3  # no 429 on the way
