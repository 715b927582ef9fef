"""Inventory events reach the right people as real notifications, once, after commit only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from frontline.catalog import services
from frontline.catalog.models import Hold
from frontline.notifications.models import Notification, NotificationRecipient
from frontline.staff.models import StaffRole
from tests.catalog.shop import build_shop
from tests.factories import staff_at
from tests.notifications.conftest import open_socket, session_cookie  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def told(kind: str) -> dict[str, int]:
    """Username -> how many notifications of ``kind`` they received."""
    counts: dict[str, int] = {}
    for username in NotificationRecipient.objects.filter(notification__kind=kind).values_list(
        "recipient__username", flat=True
    ):
        counts[username] = counts.get(username, 0) + 1
    return counts


def place_hold(shop, *, store=None, hours: int | None = None) -> Hold:
    return services.hold_create(
        user=shop.associate,
        customer=shop.customer,
        variant=shop.navy_m,
        store=store or shop.here,
        hours=hours,
    )


def due_in(hold: Hold, delta: timedelta) -> None:
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() + delta)
    hold.refresh_from_db()


# --- Hold expiring soon ---------------------------------------------------------------------


def test_a_hold_expiring_within_two_hours_warns_the_associate_who_placed_it_once(shop):
    bystander = staff_at(shop.here)
    soon, later = place_hold(shop), place_hold(shop)
    due_in(soon, timedelta(minutes=90))
    due_in(later, timedelta(hours=5))

    assert services.holds_warn_expiring() == 1
    services.holds_warn_expiring()  # the next beat tick: still one warning

    assert told("hold.expiring") == {shop.associate.username: 1}
    assert bystander.username not in told("hold.expiring")
    warning = Notification.objects.get(kind="hold.expiring")
    assert warning.link == f"/stock/holds/{soon.pk}/"
    assert "Ada Lovelace" in warning.body and "Merino crew" in warning.body


def test_an_extended_hold_is_warned_again_before_its_new_deadline(shop):
    placed = place_hold(shop)
    due_in(placed, timedelta(minutes=30))
    services.holds_warn_expiring()
    services.hold_extend(user=shop.associate, hold=placed, hours=1)

    services.holds_warn_expiring()

    assert told("hold.expiring") == {shop.associate.username: 2}


def test_holds_already_ended_are_not_warned(shop):
    placed = place_hold(shop)
    due_in(placed, timedelta(minutes=30))
    services.hold_cancel(user=shop.associate, hold=placed)

    assert services.holds_warn_expiring() == 0
    assert not Notification.objects.filter(kind="hold.expiring").exists()


def test_the_expiry_warning_is_registered_with_celery_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["catalog-warn-expiring-holds"]
    assert entry["task"] == "frontline.catalog.tasks.warn_expiring_holds_task"


def test_the_beat_task_warns_through_the_service(shop):
    from frontline.catalog.tasks import warn_expiring_holds_task

    due_in(place_hold(shop), timedelta(minutes=10))
    assert warn_expiring_holds_task() == 1
    assert told("hold.expiring") == {shop.associate.username: 1}


# --- Hold expired -----------------------------------------------------------------------


def test_an_expired_hold_tells_only_the_associate_who_placed_it_once(shop):
    manager = staff_at(shop.here, StaffRole.MANAGER)
    placed = place_hold(shop)
    due_in(placed, -timedelta(minutes=1))

    assert services.holds_expire_due() == 1
    assert services.holds_expire_due() == 0

    assert told("hold.expired") == {shop.associate.username: 1}
    assert manager.username not in told("hold.expired")
    assert Notification.objects.get(kind="hold.expired").store == shop.here


@pytest.mark.django_db(transaction=True)
def test_nothing_is_told_of_an_expiry_that_rolled_back(shop):
    placed = place_hold(shop)
    due_in(placed, -timedelta(minutes=1))

    with pytest.raises(RuntimeError), transaction.atomic():
        services.hold_expire(hold_id=placed.pk)
        raise RuntimeError("the sweep failed after expiring")

    assert not Notification.objects.filter(kind="hold.expired").exists()
    assert Hold.objects.get(pk=placed.pk).status == Hold.Status.ACTIVE


def test_sold_and_cancelled_holds_tell_nobody(shop):
    services.hold_cancel(user=shop.associate, hold=place_hold(shop))
    services.hold_complete(user=shop.associate, hold=place_hold(shop))
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_the_associate_hears_of_an_expiry_live_on_their_websocket(open_socket):  # noqa: F811
    shop = await database_sync_to_async(build_shop)()
    placed = await database_sync_to_async(place_hold)(shop)
    await database_sync_to_async(due_in)(placed, -timedelta(minutes=1))
    socket, connected, _ = await open_socket(
        await database_sync_to_async(session_cookie)(shop.associate)
    )
    assert connected
    await socket.send_json_to({"type": "catch_up", "after": 0})
    assert (await socket.receive_json_from(timeout=3))["type"] == "catch_up"

    await database_sync_to_async(services.holds_expire_due)()

    message = await socket.receive_json_from(timeout=3)
    assert message["notification"]["title"] == "A hold expired"
    assert message["notification"]["link"] == f"/stock/holds/{placed.pk}/"


# --- Requests to another store --------------------------------------------------------------


def test_a_hold_in_another_store_asks_that_stores_staff_and_no_one_else(shop):
    far_manager = staff_at(shop.far, StaffRole.MANAGER)
    staff_at(shop.nearby)
    placed = place_hold(shop, store=shop.far)

    assert told("hold.requested") == {
        shop.other_associate.username: 1,
        far_manager.username: 1,
    }
    request = Notification.objects.get(kind="hold.requested")
    assert request.store == shop.far and request.title.startswith("Soho asks")
    assert request.link == f"/stock/holds/{placed.pk}/"


def test_a_hold_in_ones_own_store_asks_nobody(shop):
    place_hold(shop)
    assert not Notification.objects.filter(kind="hold.requested").exists()


@pytest.mark.parametrize("accepted", [True, False])
def test_the_answer_to_a_request_is_told_to_the_associate_who_asked(shop, accepted):
    placed = place_hold(shop, store=shop.far)
    if accepted:
        services.hold_request_accept(user=shop.other_associate, hold_request=placed.request)
    else:
        services.hold_request_decline(
            user=shop.other_associate, hold_request=placed.request, reason="Damaged"
        )

    assert told("hold.request_answered") == {shop.associate.username: 1}
    answer = Notification.objects.get(kind="hold.request_answered")
    expected = "Manchester put the item aside" if accepted else "Manchester declined the hold"
    assert answer.title == expected


# --- Back in stock --------------------------------------------------------------------------


def watch_black_m(shop, customer=None):
    return services.watch_create(
        user=shop.associate,
        customer=customer or shop.customer,
        product=shop.black_m.product,
        size="M",
    )


def test_back_in_stock_tells_the_customers_preferred_associate_once(shop):
    shop.customer.preferred_associate = shop.associate
    shop.customer.save(update_fields=["preferred_associate"])
    colleague = staff_at(shop.here)
    watch_black_m(shop)

    services.stock_arrived(store=shop.here, variant=shop.black_m, quantity=3)
    services.stock_arrived(store=shop.nearby, variant=shop.black_m, quantity=1)

    assert told("stock.back_in_stock") == {shop.associate.username: 1}
    assert colleague.username not in told("stock.back_in_stock")
    arrival = Notification.objects.get(kind="stock.back_in_stock")
    assert arrival.title == "Back in stock: Merino crew in M"
    assert arrival.link == f"/stock/variants/{shop.black_m.pk}/"


def test_without_a_preferred_associate_the_associate_who_set_the_watch_is_told(shop):
    manager = staff_at(shop.here, StaffRole.MANAGER)
    shop.customer.preferred_associate = None
    shop.customer.save(update_fields=["preferred_associate"])
    watch_black_m(shop)

    services.stock_arrived(store=shop.here, variant=shop.black_m, quantity=2)

    assert told("stock.back_in_stock") == {shop.associate.username: 1}
    assert manager.username not in told("stock.back_in_stock")


def test_with_nobody_looking_after_the_customer_the_managers_of_their_store_are_told(shop):
    manager = staff_at(shop.here, StaffRole.MANAGER)
    staff_at(shop.far, StaffRole.MANAGER)
    gone = staff_at(shop.here, is_active=False)
    shop.customer.preferred_associate = gone
    shop.customer.save(update_fields=["preferred_associate"])
    watch = watch_black_m(shop)
    type(watch).objects.filter(pk=watch.pk).update(owner=None)  # e.g. a watch from the web shop

    services.stock_arrived(store=shop.here, variant=shop.black_m, quantity=2)

    assert told("stock.back_in_stock") == {manager.username: 1}
