"""Back in stock: a customer waits for a size; when stock arrives the associate is told once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from frontline.catalog import services
from frontline.catalog.models import BackInStockWatch
from frontline.customers.models import Interaction
from tests.factories import StockLevelFactory, VariantFactory

pytestmark = pytest.mark.django_db

CALLS: list[tuple[int, int]] = []


def record_recommendation(*, watch, stock) -> None:
    """Stands in for the actions domain's hook (named in CATALOG_BACK_IN_STOCK_HOOKS)."""
    CALLS.append((watch.pk, stock.store_id))


@pytest.fixture
def hooks(settings):
    CALLS.clear()
    settings.CATALOG_BACK_IN_STOCK_HOOKS = [f"{__name__}.record_recommendation"]
    return CALLS


def watch_black_m(shop):
    return services.watch_create(
        user=shop.associate, customer=shop.customer, product=shop.black_m.product, size="M"
    )


def test_watching_twice_keeps_one_watch_owned_by_the_associate(shop):
    first, second = watch_black_m(shop), watch_black_m(shop)
    assert first == second
    assert first.owner == shop.associate


def test_a_size_the_product_does_not_come_in_cannot_be_watched(shop):
    with pytest.raises(services.InvalidRequest, match="does not come in size 'XXL'"):
        services.watch_create(
            user=shop.associate, customer=shop.customer, product=shop.black_m.product, size="XXL"
        )


def test_a_customer_of_another_store_is_watched_for_but_not_a_merged_one(shop):
    watch = services.watch_create(
        user=shop.associate, customer=shop.stranger, product=shop.black_m.product, size="M"
    )
    assert watch.customer == shop.stranger
    shop.stranger.merged_into = shop.customer
    shop.stranger.save()
    with pytest.raises(services.NotFound):
        services.watch_create(
            user=shop.associate, customer=shop.stranger, product=shop.navy_m.product, size="M"
        )


def test_a_delivery_wakes_the_watch_once_and_calls_the_recommendation_hook(shop, hooks):
    watch = watch_black_m(shop)
    services.stock_arrived(store=shop.here, variant=shop.black_m, quantity=3)
    services.stock_arrived(store=shop.here, variant=shop.black_m, quantity=2)

    watch.refresh_from_db()
    assert watch.notified_at is not None and watch.notified_store == shop.here
    assert hooks == [(watch.pk, shop.here.pk)]
    assert (
        Interaction.objects.filter(
            customer=shop.customer, summary__startswith="Back in stock"
        ).count()
        == 1
    )


def test_synced_figures_wake_watches_when_a_size_becomes_available(shop, hooks):
    watch = watch_black_m(shop)
    now = timezone.now()
    changed = services.stock_levels_upsert(
        figures=[
            services.StockFigure(shop.here.pk, shop.black_m.pk, 0, now - timedelta(seconds=5)),
            services.StockFigure(shop.here.pk, shop.black_m.pk, 4, now),  # the later one wins
            services.StockFigure(shop.nearby.pk, shop.navy_l.pk, 6, now),  # a new row
        ]
    )
    assert changed == 2
    assert shop.stock(shop.black_m, shop.here).on_hand == 4
    assert shop.stock(shop.navy_l, shop.nearby).on_hand == 6
    watch.refresh_from_db()
    assert watch.notified_at is not None
    assert len(hooks) == 1


def test_replaying_an_older_figure_changes_nothing(shop):
    now = timezone.now()
    services.stock_levels_upsert(
        figures=[services.StockFigure(shop.here.pk, shop.navy_m.pk, 9, now)]
    )
    changed = services.stock_levels_upsert(
        figures=[services.StockFigure(shop.here.pk, shop.navy_m.pk, 1, now - timedelta(hours=1))]
    )
    assert changed == 0
    assert shop.stock(shop.navy_m, shop.here).on_hand == 9


def test_a_count_below_what_is_held_caps_the_reservation(shop):
    services.hold_create(
        user=shop.associate,
        customer=shop.customer,
        variant=shop.navy_m,
        store=shop.here,
        quantity=2,
    )
    services.stock_levels_upsert(
        figures=[services.StockFigure(shop.here.pk, shop.navy_m.pk, 1, timezone.now())]
    )
    stock = shop.stock(shop.navy_m, shop.here)
    assert (stock.on_hand, stock.reserved) == (1, 1)


def test_a_negative_count_is_refused(shop):
    with pytest.raises(services.InvalidRequest):
        services.stock_levels_upsert(
            figures=[services.StockFigure(shop.here.pk, shop.navy_m.pk, -1, timezone.now())]
        )
    assert shop.stock(shop.navy_m, shop.here).on_hand == 2


def test_stock_in_another_size_does_not_wake_the_watch(shop, hooks):
    watch = watch_black_m(shop)
    services.stock_arrived(store=shop.here, variant=shop.navy_l, quantity=3)
    watch.refresh_from_db()
    assert watch.notified_at is None
    assert BackInStockWatch.objects.filter(notified_at__isnull=True).count() == 1
    assert hooks == []


def arrivals_with_one_watch(shop, count: int, colour: str) -> list[tuple[int, int]]:
    """``count`` sizes of a product in a colour arriving in stock at once, one of them watched."""
    sizes = [f"{colour[0]}{n}" for n in range(count)]
    variants = [
        VariantFactory(product=shop.black_m.product, size=size, colour=colour) for size in sizes
    ]
    for variant in variants:
        StockLevelFactory(store=shop.here, variant=variant, on_hand=3)
    BackInStockWatch.objects.create(
        customer=shop.customer, product=shop.black_m.product, size=sizes[0], owner=shop.associate
    )
    return [(variant.pk, shop.here.pk) for variant in variants]


def test_back_in_stock_wakes_with_a_constant_number_of_queries_however_many_rows_arrive(
    shop, hooks, django_assert_max_num_queries
):
    few = arrivals_with_one_watch(shop, 2, "Red")
    with CaptureQueriesContext(connection) as for_few:
        services.back_in_stock_announce(pairs=few)
    many = arrivals_with_one_watch(shop, 40, "Grey")

    with django_assert_max_num_queries(len(for_few)):
        services.back_in_stock_announce(pairs=many)

    assert len(hooks) == 2, "each arrival's one watch woken once"
    assert set(BackInStockWatch.objects.values_list("notified_store", flat=True)) == {shop.here.pk}
