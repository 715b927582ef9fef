"""Holds: available stock drops at once, and every way a hold ends gives the stock back right."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontline.catalog import selectors, services
from frontline.catalog.models import Hold, HoldRequest
from frontline.catalog.tasks import expire_holds_task
from frontline.customers.models import Interaction
from frontline.orders.models import Order

pytestmark = pytest.mark.django_db


def hold(shop, **overrides):
    arguments = {
        "user": shop.associate,
        "customer": shop.customer,
        "variant": shop.navy_m,
        "store": shop.here,
        "quantity": 1,
    }
    return services.hold_create(**{**arguments, **overrides})


def test_a_hold_makes_the_unit_unavailable_at_once_and_lasts_the_store_default(shop):
    placed = hold(shop, pickup_note="Collects Saturday")

    stock = shop.stock(shop.navy_m, shop.here)
    assert (stock.on_hand, stock.reserved, stock.available) == (2, 1, 1)
    assert placed.status == Hold.Status.ACTIVE
    assert placed.pickup_note == "Collects Saturday"
    expected_expiry = timezone.now() + timedelta(hours=48)
    assert abs((placed.expires_at - expected_expiry).total_seconds()) < 60
    assert Interaction.objects.filter(
        customer=shop.customer, summary__startswith="Hold placed"
    ).exists()


def test_the_store_default_hold_duration_is_per_store(shop):
    shop.here.default_hold_hours = 4
    shop.here.save()
    placed = hold(shop)
    assert placed.expires_at - placed.created_at < timedelta(hours=4, minutes=1)


def test_the_associate_can_choose_a_shorter_hold(shop):
    placed = hold(shop, hours=2)
    assert placed.expires_at - placed.created_at < timedelta(hours=2, minutes=1)


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_quantity_below_one_is_refused_and_nothing_changes(shop, quantity):
    with pytest.raises(services.InvalidRequest, match="at least 1"):
        hold(shop, quantity=quantity)
    assert shop.stock(shop.navy_m, shop.here).reserved == 0
    assert not Hold.objects.exists()


def test_more_than_is_available_is_refused_with_the_figure_and_nothing_changes(shop):
    with pytest.raises(services.NotEnoughStock, match="Only 2 of MC-NAVY-M available at Soho"):
        hold(shop, quantity=3)
    assert shop.stock(shop.navy_m, shop.here).reserved == 0
    assert not Hold.objects.exists()


def test_a_variant_the_store_never_stocked_is_refused(shop):
    with pytest.raises(services.NotEnoughStock, match="has no MC-NAVY-L"):
        hold(shop, variant=shop.navy_l, store=shop.nearby)


def test_a_walk_in_of_another_store_is_held_for_as_this_stores_work(shop):
    """Lookup is brand-wide: the hold is the keeping store's, whoever the customer's store."""
    placed = hold(shop, customer=shop.stranger)
    assert (placed.store, placed.customer) == (shop.here, shop.stranger)
    assert shop.stock(shop.navy_m, shop.here).reserved == 1
    assert selectors.hold_for(shop.associate, placed.pk) == placed
    assert selectors.hold_for(shop.other_associate, placed.pk) is None


def test_a_merged_customer_cannot_be_held_for(shop):
    shop.stranger.merged_into = shop.customer
    shop.stranger.save()
    with pytest.raises(services.NotFound, match="No such customer"):
        hold(shop, customer=shop.stranger)
    assert shop.stock(shop.navy_m, shop.here).reserved == 0
    assert not Hold.objects.exists()


def test_a_hold_lasting_longer_than_two_weeks_is_refused(shop):
    with pytest.raises(services.InvalidRequest, match="between 1 and 336 hours"):
        hold(shop, hours=24 * 15)


def test_cancelling_gives_the_stock_back_and_cannot_happen_twice(shop):
    placed = hold(shop)
    services.hold_cancel(user=shop.associate, hold=placed)

    assert shop.stock(shop.navy_m, shop.here).reserved == 0
    placed.refresh_from_db()
    assert placed.status == Hold.Status.CANCELLED and placed.closed_by == shop.associate
    with pytest.raises(services.HoldNotActive):
        services.hold_cancel(user=shop.associate, hold=placed)
    assert shop.stock(shop.navy_m, shop.here).reserved == 0


def test_completing_as_a_sale_takes_the_unit_out_of_stock_and_records_an_order(shop):
    placed = hold(shop, quantity=2)
    order = services.hold_complete(user=shop.associate, hold=placed)

    stock = shop.stock(shop.navy_m, shop.here)
    assert (stock.on_hand, stock.reserved) == (0, 0)
    assert order.customer == shop.customer and order.store == shop.here
    assert order.total == 2 * shop.navy_m.price
    line = order.lines.get()
    assert (line.sku, line.quantity) == ("MC-NAVY-M", 2)
    shop.customer.refresh_from_db()
    assert shop.customer.order_count == 1 and shop.customer.lifetime_value == order.total
    with pytest.raises(services.HoldNotActive):
        services.hold_complete(user=shop.associate, hold=placed)
    assert Order.objects.count() == 1


def test_extending_moves_the_deadline_but_not_for_an_ended_hold(shop):
    placed = hold(shop, hours=2)
    first_deadline = placed.expires_at
    extended = services.hold_extend(user=shop.associate, hold=placed, hours=24)
    assert extended.expires_at - first_deadline == timedelta(hours=24)
    services.hold_cancel(user=shop.associate, hold=placed)
    with pytest.raises(services.HoldNotActive):
        services.hold_extend(user=shop.associate, hold=placed, hours=24)


def test_an_associate_of_another_store_cannot_touch_a_hold(shop):
    placed = hold(shop)
    with pytest.raises(services.NotFound):
        services.hold_cancel(user=shop.other_associate, hold=placed)
    assert shop.stock(shop.navy_m, shop.here).reserved == 1


def test_overdue_holds_expire_through_the_beat_task_once(shop):
    placed = hold(shop)
    still_running = hold(shop, hours=10)
    Hold.objects.filter(pk=placed.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert expire_holds_task() == 1
    assert expire_holds_task() == 0  # a second run (a retry, a second beat) changes nothing

    placed.refresh_from_db()
    still_running.refresh_from_db()
    assert placed.status == Hold.Status.EXPIRED
    assert still_running.status == Hold.Status.ACTIVE
    assert shop.stock(shop.navy_m, shop.here).reserved == 1
    assert (
        Interaction.objects.filter(
            customer=shop.customer, summary__startswith="Hold expired"
        ).count()
        == 1
    )


def test_an_extended_hold_is_not_expired_by_a_sweep_that_read_it_before(shop):
    placed = hold(shop)
    Hold.objects.filter(pk=placed.pk).update(expires_at=timezone.now() + timedelta(hours=1))
    assert services.hold_expire(hold_id=placed.pk) is False
    placed.refresh_from_db()
    assert placed.status == Hold.Status.ACTIVE


def test_expiry_is_registered_with_celery_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["catalog-expire-holds"]
    assert entry["task"] == expire_holds_task.name


def test_a_hold_in_another_store_asks_that_store_to_put_it_aside(shop):
    placed = hold(shop, store=shop.nearby)

    assert placed.requested_from == shop.here
    assert placed.request.status == HoldRequest.Status.PENDING
    assert shop.stock(shop.navy_m, shop.nearby).reserved == 1


def test_the_other_store_accepts_the_request(shop):
    placed = hold(shop, store=shop.far)
    services.hold_request_accept(user=shop.other_associate, hold_request=placed.request)
    placed.request.refresh_from_db()
    assert placed.request.status == HoldRequest.Status.ACCEPTED
    assert placed.request.decided_by == shop.other_associate
    with pytest.raises(services.HoldNotActive):
        services.hold_request_accept(user=shop.other_associate, hold_request=placed.request)


def test_a_declined_request_cancels_the_hold_and_releases_the_stock(shop):
    placed = hold(shop, store=shop.far)
    services.hold_request_decline(
        user=shop.other_associate, hold_request=placed.request, reason="Last one is damaged"
    )
    placed.refresh_from_db()
    assert placed.status == Hold.Status.CANCELLED
    assert placed.request.reason == "Last one is damaged"
    assert shop.stock(shop.navy_m, shop.far).reserved == 0


def test_only_the_asked_store_answers_its_request(shop):
    placed = hold(shop, store=shop.far)
    with pytest.raises(services.NotFound):
        services.hold_request_accept(user=shop.associate, hold_request=placed.request)


def test_the_database_refuses_more_reserved_than_on_hand_as_a_last_line_of_defence(shop):
    from django.db import IntegrityError, transaction

    from frontline.catalog.models import StockLevel

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=shop.navy_m, store=shop.here).update(reserved=3)
