from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from celery import current_app

from frontline.customers.models import CustomerIdentity
from frontline.customers.selectors import customers_findable_by
from frontline.orders.models import Order
from frontline.sync.connectors import connector_for
from frontline.sync.models import Run, Source
from tests.factories import UserFactory
from tests.sync.salesforce_standin import SalesforceStandIn, salesforce_contact
from tests.sync.standins import ShopifyStandIn, shopify_customer, shopify_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager_celery(monkeypatch):
    """Tasks run in the test's process, as a worker would run them."""
    monkeypatch.setenv("SHOP_HOOK_SECRET", "hook-key")
    monkeypatch.setenv("SHOP_TOKEN", "shpat_test")
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = False


@pytest.fixture
def shop(httpserver) -> ShopifyStandIn:
    return ShopifyStandIn(httpserver)


@pytest.fixture
def source(shop) -> Source:
    return Source.objects.create(
        name="shop",
        kind="shopify",
        record_source="ecommerce",
        base_url=shop.base_url,
        credentials_env="SHOP",
        webhook_secret_env="SHOP_HOOK_SECRET",
    )


def shopify_post(client, body: dict, *, key: str = "hook-key", topic: str = "customers/update"):
    raw = json.dumps(body).encode()
    signature = base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()
    return client.post(
        "/sync/webhooks/shop/",
        raw,
        content_type="application/json",
        headers={"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Topic": topic},
    )


def test_a_signed_webhook_syncs_just_the_record_it_names(
    client, shop, source, django_capture_on_commit_callbacks
):
    shop.records["customers"] = [shopify_customer(1), shopify_customer(2)]

    with django_capture_on_commit_callbacks(execute=True):
        response = shopify_post(client, {"id": 7002})

    assert response.status_code == 202
    assert list(CustomerIdentity.objects.values_list("external_id", flat=True)) == ["7002"]
    run = Run.objects.get()
    assert (run.trigger, run.created) == ("webhook", 1)
    assert shop.hits == ["/admin/api/2024-10/customers/7002.json"]


def test_a_bad_signature_gets_401_is_logged_and_enqueues_nothing(
    client, shop, source, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = shopify_post(client, {"id": 7002}, key="guessed")

    assert response.status_code == 401
    assert response.json() == {"error": "bad signature"}
    assert not callbacks
    assert "bad signature" in caplog.text
    assert not Run.objects.exists()


def test_a_signed_but_unusable_body_gets_400_with_the_reason(client, source):
    response = shopify_post(client, {"id": 1}, topic="carts/update")
    assert response.status_code == 400
    assert "carts" in response.json()["error"]


def test_the_crm_relay_webhook_is_verified_with_a_hex_signature(
    client, httpserver, monkeypatch, django_capture_on_commit_callbacks
):
    crm = SalesforceStandIn(httpserver)
    crm.records["Contact"] = [salesforce_contact(1), salesforce_contact(2)]
    monkeypatch.setenv("CRM_CLIENT_ID", crm.client_id)
    monkeypatch.setenv("CRM_CLIENT_SECRET", crm.client_secret)
    monkeypatch.setenv("CRM_HOOK", "crm-key")
    Source.objects.create(
        name="crm",
        kind="salesforce",
        record_source="crm",
        base_url=crm.base_url,
        credentials_env="CRM",
        webhook_secret_env="CRM_HOOK",
    )
    body = json.dumps({"sobject": "Contact", "ids": ["003000000000000002"]}).encode()
    signature = hmac.new(b"crm-key", body, hashlib.sha256).hexdigest()

    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(
            "/sync/webhooks/crm/",
            body,
            content_type="application/json",
            headers={"X-Signature": "0" * 64},
        )
        accepted = client.post(
            "/sync/webhooks/crm/",
            body,
            content_type="application/json",
            headers={"X-Signature": signature},
        )

    assert (refused.status_code, accepted.status_code) == (401, 202)
    assert list(CustomerIdentity.objects.values_list("external_id", flat=True)) == [
        "003000000000000002"
    ]


def test_webhooks_for_unknown_or_file_sources_are_404(client):
    assert (
        client.post("/sync/webhooks/demo-erp/", b"{}", content_type="application/json").status_code
        == 404
    )
    assert (
        client.post("/sync/webhooks/nope/", b"{}", content_type="application/json").status_code
        == 404
    )


def test_a_customer_the_shop_answers_404_for_comes_back_as_a_tombstone(shop, source):
    shop.records["customers"] = [shopify_customer(1)]
    connector = connector_for(source)

    raws = connector.fetch("customers", ["7001", "7002"])

    assert raws[1] == {"id": "7002", "deleted": True}
    assert connector.map("customers", raws[1]) == {"external_id": "7002", "deleted": True}
    assert connector.map("customers", raws[0])["email"] == "shopper1@example.com"
    assert shop.hits == [
        "/admin/api/2024-10/customers/7001.json",
        "/admin/api/2024-10/customers/7002.json",
    ]


def test_an_order_the_shop_answers_404_for_is_a_tombstone_and_a_product_is_skipped(shop, source):
    connector = connector_for(source)

    raws = connector.fetch("orders", ["9001"])

    assert raws == [{"id": "9001", "deleted": True}]
    assert connector.map("orders", raws[0]) == {"external_id": "9001", "deleted": True}
    assert connector.fetch("products", ["111"]) == []


def test_an_orders_delete_webhook_takes_the_order_out_of_the_customers_figures(
    client, shop, source, django_capture_on_commit_callbacks
):
    item = {"id": 1, "sku": "LS-S", "title": "Linen shirt", "quantity": 2, "price": "49.00"}
    shop.records["customers"] = [shopify_customer(1)]
    shop.records["orders"] = [shopify_order(9001, 7001, item)]
    with django_capture_on_commit_callbacks(execute=True):
        shopify_post(client, {"id": 7001})
        shopify_post(client, {"id": 9001}, topic="orders/create")
    customer = CustomerIdentity.objects.get(external_id="7001").customer
    assert (customer.lifetime_value, customer.order_count) == (Decimal("98.00"), 1)
    shop.delete("orders", 9001)

    with django_capture_on_commit_callbacks(execute=True):
        response = shopify_post(client, {"id": 9001}, topic="orders/delete")

    customer.refresh_from_db()
    assert response.status_code == 202
    assert Run.objects.latest("pk").status == "succeeded"
    assert Order.objects.get(external_id="9001").deleted_at is not None
    assert (customer.lifetime_value, customer.order_count) == (Decimal("0.00"), 0)


def test_a_customers_delete_webhook_hides_the_customer(
    client, shop, source, django_capture_on_commit_callbacks
):
    shop.records["customers"] = [shopify_customer(1), shopify_customer(2)]
    with django_capture_on_commit_callbacks(execute=True):
        shopify_post(client, {"id": 7002})
    shop.delete("customers", 7002)

    with django_capture_on_commit_callbacks(execute=True):
        response = shopify_post(client, {"id": 7002}, topic="customers/delete")

    assert response.status_code == 202
    assert Run.objects.latest("pk").status == "succeeded"
    deleted = CustomerIdentity.objects.get(external_id="7002").customer
    admin = UserFactory(is_superuser=True)
    assert not customers_findable_by(admin).filter(pk=deleted.pk).exists()
