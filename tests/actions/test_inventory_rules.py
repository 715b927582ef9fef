"""The inventory rules: a watched size back in stock, a hold about to expire.

Each rule alone on real rows, then end to end: a delivery or a hold placed through the catalog's
services refreshes the customer's actions after commit (Celery running the task in process).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.conf import settings as django_settings
from django.utils import timezone

from frontline.actions.models import ActionSuggestion
from frontline.actions.registry import OFFERED_VARIANT_KEY
from frontline.actions.rules import BackInStock, HoldExpiring
from frontline.catalog import services as catalog
from frontline.catalog.models import BackInStockWatch, Hold
from tests.actions.conftest import chunk_for, findings
from tests.catalog.shop import build_shop
from tests.factories import (
    ConsentFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    StockLevelFactory,
    StoreFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def store(db):
    return StoreFactory()


@pytest.fixture
def dress(store):
    """A dress in two colours of size 10: navy is in at ``store``, green is sold out."""
    product = ProductFactory(name="Wrap dress", category="dresses")
    navy = VariantFactory(product=product, size="10", colour="Navy")
    green = VariantFactory(product=product, size="10", colour="Green")
    VariantFactory(product=product, size="12", colour="Navy")
    StockLevelFactory(store=store, variant=navy, on_hand=2)
    StockLevelFactory(store=StoreFactory(), variant=green, on_hand=1, reserved=1)
    return product


def watch(customer, product, size="10", *, woke_ago=None, asked_ago=timedelta(days=6, hours=1)):
    created = BackInStockWatch.objects.create(customer=customer, product=product, size=size)
    notified_at = timezone.now() - woke_ago if woke_ago is not None else None
    BackInStockWatch.objects.filter(pk=created.pk).update(
        created_at=timezone.now() - asked_ago, notified_at=notified_at
    )
    return created


# --- back_in_stock --------------------------------------------------------------------------


def test_a_watched_size_available_again_is_suggested_with_the_variant_in_stock(store, dress, now):
    customer = CustomerFactory(preferred_store=store)
    woken = watch(customer, dress, woke_ago=timedelta(hours=3))
    facts = findings(BackInStock(), chunk_for(customer, now=now))
    navy = dress.variants.get(colour="Navy", size="10")
    assert facts[customer.pk][OFFERED_VARIANT_KEY] == navy.pk
    assert facts[customer.pk]["watch_id"] == woken.pk
    assert facts[customer.pk]["in_stock_at_home_store"] is True
    assert facts[customer.pk]["days_waiting"] == 6


def test_a_watch_still_waiting_whose_size_is_available_is_suggested_too(store, dress, now):
    customer = CustomerFactory(preferred_store=store)
    watch(customer, dress)
    assert set(findings(BackInStock(), chunk_for(customer, now=now))) == {customer.pk}


def test_a_size_with_every_unit_held_or_none_left_is_not_suggested(store, dress, now):
    in_twelve = CustomerFactory(preferred_store=store)
    watch(in_twelve, dress, size="12", woke_ago=timedelta(hours=1))
    sold_out = ProductFactory()
    only_held = VariantFactory(product=sold_out, size="10")
    StockLevelFactory(store=store, variant=only_held, on_hand=1, reserved=1)
    waiting = CustomerFactory(preferred_store=store)
    watch(waiting, sold_out)
    assert findings(BackInStock(), chunk_for(in_twelve, waiting, now=now)) == {}


def test_a_watch_that_woke_long_ago_is_no_longer_suggested(store, dress, now):
    customer = CustomerFactory(preferred_store=store)
    watch(customer, dress, woke_ago=timedelta(days=20), asked_ago=timedelta(days=40))
    assert findings(BackInStock(), chunk_for(customer, now=now)) == {}


def test_a_customer_who_has_bought_the_size_since_asking_is_not_suggested(store, dress, now):
    customer = CustomerFactory(preferred_store=store)
    watch(customer, dress, woke_ago=timedelta(hours=2))
    order = OrderFactory(customer=customer, placed_at=now - timedelta(hours=1))
    OrderLineFactory(order=order, variant=dress.variants.get(colour="Navy", size="10"))
    assert findings(BackInStock(), chunk_for(customer, now=now)) == {}


def test_a_purchase_before_asking_does_not_count_as_acting_on_the_watch(store, dress, now):
    customer = CustomerFactory(preferred_store=store)
    watch(customer, dress, woke_ago=timedelta(hours=2))
    order = OrderFactory(customer=customer, placed_at=now - timedelta(days=30))
    OrderLineFactory(order=order, variant=dress.variants.get(colour="Navy", size="10"))
    assert set(findings(BackInStock(), chunk_for(customer, now=now))) == {customer.pk}


def test_back_in_stock_at_home_and_after_a_long_wait_scores_higher():
    rule = BackInStock()
    base = {"in_stock_at_home_store": False, "days_waiting": 3, "store_count": 2}
    assert rule.score({**base, "in_stock_at_home_store": True}) > rule.score(base)
    assert rule.score({**base, "days_waiting": 30}) > rule.score(base)


def test_the_back_in_stock_reason_names_the_item_the_size_and_where():
    facts = {
        "product_name": "Wrap dress",
        "size": "10",
        "waiting_since": "2026-11-18",
        "in_stock_at_home_store": False,
        "store_count": 1,
    }
    assert BackInStock().reason(facts) == (
        "Waiting since 18 Nov for Wrap dress in 10: back in stock at 1 other store. Let them know."
    )


def test_back_in_stock_is_marketing():
    assert BackInStock.contact_purpose == "marketing"


# --- hold_expiring --------------------------------------------------------------------------


@pytest.fixture
def shop(db):
    return build_shop()


def hold_for(shop, *, hours: int, customer=None) -> Hold:
    return catalog.hold_create(
        user=shop.associate,
        customer=customer or shop.customer,
        variant=shop.navy_m,
        store=shop.here,
        hours=hours,
    )


def test_an_active_hold_ending_within_a_day_is_suggested_without_the_sold_out_key(shop, now):
    soon = hold_for(shop, hours=5)
    hold_for(shop, hours=20)
    facts = findings(HoldExpiring(), chunk_for(shop.customer, now=now))[shop.customer.pk]
    assert facts["hold_id"] == soon.pk
    assert facts["held_variant_id"] == shop.navy_m.pk
    assert OFFERED_VARIANT_KEY not in facts
    assert facts["holds_expiring"] == 2
    assert 4.9 <= facts["hours_left"] <= 5.0


def test_holds_ending_later_or_already_closed_are_not_suggested(shop, now):
    hold_for(shop, hours=30)
    catalog.hold_cancel(user=shop.associate, hold=hold_for(shop, hours=2))
    assert findings(HoldExpiring(), chunk_for(shop.customer, now=now)) == {}


def test_a_hold_closer_to_its_end_scores_higher():
    rule = HoldExpiring()
    base = {"window_hours": 24, "holds_expiring": 1}
    assert rule.score({**base, "hours_left": 1.0}) > rule.score({**base, "hours_left": 20.0})


def test_the_hold_reason_says_what_where_and_when():
    facts = {
        "product_name": "Merino crew",
        "colour": "Navy",
        "size": "M",
        "store_name": "Soho",
        "hours_left": 5.2,
        "holds_expiring": 2,
    }
    assert HoldExpiring().reason(facts) == (
        "Hold on Merino crew (Navy, M) at Soho ends in 5 hours (and 1 more): "
        "remind them to collect, or extend it."
    )


def test_hold_expiring_is_service():
    assert HoldExpiring.contact_purpose == "service"


# --- End to end: the catalog's events refresh the customer's actions -------------------------


@pytest.fixture
def celery_in_process():
    """Run queued tasks in this process: the real task code, without a broker."""
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = False


def rules_suggested(customer) -> set[str]:
    return set(ActionSuggestion.objects.filter(customer=customer).values_list("rule", flat=True))


def test_back_in_stock_is_wired_to_the_actions_refresh():
    assert django_settings.CATALOG_BACK_IN_STOCK_HOOKS == [
        "frontline.actions.services.actions_refresh_after_back_in_stock"
    ]


def test_a_delivery_for_a_watched_size_puts_the_action_on_the_customers_panel(
    shop, celery_in_process, django_capture_on_commit_callbacks
):
    ConsentFactory(customer=shop.customer, purpose="marketing")
    product = shop.black_m.product
    VariantFactory(product=product, size="S", colour="Black")
    catalog.watch_create(user=shop.associate, customer=shop.customer, product=product, size="S")
    assert "back_in_stock" not in rules_suggested(shop.customer)

    with django_capture_on_commit_callbacks(execute=True):
        catalog.stock_arrived(store=shop.here, variant=product.variants.get(size="S"), quantity=2)

    suggestion = ActionSuggestion.objects.get(customer=shop.customer, rule="back_in_stock")
    assert suggestion.data["size"] == "S"
    assert suggestion.data["in_stock_at_home_store"] is True


def test_placing_and_cancelling_a_hold_refreshes_the_customers_actions(
    shop, celery_in_process, django_capture_on_commit_callbacks
):
    ConsentFactory(customer=shop.customer, purpose="service")
    with django_capture_on_commit_callbacks(execute=True):
        placed = hold_for(shop, hours=6)
    assert rules_suggested(shop.customer) == {"hold_expiring"}

    with django_capture_on_commit_callbacks(execute=True):
        catalog.hold_cancel(user=shop.associate, hold=placed)
    assert rules_suggested(shop.customer) == set()


def test_extending_a_hold_beyond_a_day_takes_the_action_away(
    shop, celery_in_process, django_capture_on_commit_callbacks
):
    ConsentFactory(customer=shop.customer, purpose="service")
    with django_capture_on_commit_callbacks(execute=True):
        placed = hold_for(shop, hours=6)
    with django_capture_on_commit_callbacks(execute=True):
        catalog.hold_extend(user=shop.associate, hold=placed, hours=24)
    assert rules_suggested(shop.customer) == set()


def test_an_expired_hold_takes_the_action_away(
    shop, celery_in_process, django_capture_on_commit_callbacks
):
    ConsentFactory(customer=shop.customer, purpose="service")
    with django_capture_on_commit_callbacks(execute=True):
        placed = hold_for(shop, hours=6)
    Hold.objects.filter(pk=placed.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        catalog.holds_expire_due()
    assert rules_suggested(shop.customer) == set()
