"""The stylist's lookbook: products in the customer's sizes and in stock at the booking's store,
in an order the stylist chooses, each with a note; shown to the customer once shared (their
manage link, their video room, live), and items held for the customer from it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from frontline.appointments import selectors, services
from frontline.appointments.models import LookbookItem
from frontline.catalog.models import Hold, StockLevel
from frontline.privacy.models import AccessAction, PersonalDataAccess
from tests.appointments.factories import BookingFactory, StylistFactory
from tests.catalog.shop import build_shop
from tests.factories import CustomerSizeFactory, ProductFactory, StockLevelFactory, VariantFactory


@pytest.fixture
def shop(db):
    return build_shop()


@pytest.fixture
def stylist(shop):
    return StylistFactory(store=shop.here, user__first_name="Ada", user__last_name="Stone")


@pytest.fixture
def booking(shop, stylist):
    CustomerSizeFactory(customer=shop.customer, category="tops", size="M")
    return BookingFactory(customer=shop.customer, stylist=stylist)


@pytest.fixture
def stylist_client(client, stylist):
    client.force_login(stylist.user)
    return client


def add(client, booking, variant, note=""):
    return client.post(
        reverse("appointments:lookbook", args=[booking.pk]), {"variant": variant.pk, "note": note}
    )


def act(client, item, action, note=""):
    return client.post(
        reverse("appointments:lookbook_item", args=[item.booking_id, item.pk]),
        {"action": action, "note": note},
    )


def test_search_offers_only_the_customers_size_in_stock_at_the_booking_store(
    shop, booking, stylist
):
    candidates = selectors.lookbook_candidates(user=stylist.user, booking=booking, query="merino")
    assert [c.product for c in candidates] == [shop.navy_m.product]
    # Navy M (2 free) only: L is not their size, black M has none free at Soho.
    assert [(v.variant, v.available) for v in candidates[0].variants] == [(shop.navy_m, 2)]
    assert candidates[0].size_on_file == "M"


def test_without_a_size_on_file_every_size_in_stock_is_offered(shop, stylist):
    booking = BookingFactory(customer=shop.customer, stylist=stylist)
    candidates = selectors.lookbook_candidates(user=stylist.user, booking=booking, query="merino")
    assert {v.variant for v in candidates[0].variants} == {shop.navy_m, shop.navy_l}


def test_recommendations_fill_the_list_before_any_search(shop, booking, stylist):
    from frontline.recommendations.models import ProductPopularity

    ProductPopularity.objects.create(
        product=shop.navy_m.product, buyers=10, computed_at=timezone.now()
    )
    candidates = selectors.lookbook_candidates(user=stylist.user, booking=booking)
    assert [c.product for c in candidates] == [shop.navy_m.product]
    # The recommender says why: a best seller, in the size the customer has on file.
    assert candidates[0].because == "Popular · in their size"


def test_the_stylist_builds_orders_and_annotates_the_lookbook(shop, booking, stylist_client):
    jacket = VariantFactory(product=ProductFactory(name="Wool jacket"), size="M")
    StockLevelFactory(store=shop.here, variant=jacket, on_hand=3)
    assert add(stylist_client, booking, shop.navy_m, "Soft, goes with anything").status_code == 302
    assert add(stylist_client, booking, jacket, "For the interview").status_code == 302
    first, second = LookbookItem.objects.filter(booking=booking).order_by("position")
    assert (first.variant, first.note) == (shop.navy_m, "Soft, goes with anything")

    assert act(stylist_client, second, "up").status_code == 302
    assert act(stylist_client, first, "note", "Under the jacket").status_code == 302
    ordered = list(LookbookItem.objects.filter(booking=booking).order_by("position"))
    assert [item.variant for item in ordered] == [jacket, shop.navy_m]
    assert ordered[1].note == "Under the jacket"

    page = stylist_client.get(reverse("appointments:detail", args=[booking.pk]))
    html = page.content.decode()
    assert html.index("Wool jacket") < html.index("Under the jacket")
    # Already in the lookbook: no longer offered.
    assert [c.product for c in page.context["candidates"]] == []

    assert act(stylist_client, ordered[0], "remove").status_code == 302
    assert list(LookbookItem.objects.filter(booking=booking)) == [ordered[1]]


def test_the_preparation_view_is_on_the_audit_trail(booking, stylist_client):
    stylist_client.get(reverse("appointments:detail", args=[booking.pk]))
    assert PersonalDataAccess.objects.filter(
        customer=booking.customer, action=AccessAction.PROFILE_VIEWED
    ).exists()


def test_an_item_with_nothing_free_or_twice_or_unknown_is_refused(shop, booking, stylist_client):
    response = add(stylist_client, booking, shop.black_m)
    assert response.status_code == 400
    assert "free at Soho any more" in response.content.decode()
    add(stylist_client, booking, shop.navy_m)
    again = add(stylist_client, booking, shop.navy_m)
    assert again.status_code == 400
    assert "in the lookbook already" in again.content.decode()
    for bad in ("²", "99999999999999999999", ""):
        response = stylist_client.post(
            reverse("appointments:lookbook", args=[booking.pk]), {"variant": bad}
        )
        assert response.status_code == 400
    too_long = stylist_client.post(
        reverse("appointments:lookbook", args=[booking.pk]),
        {"variant": shop.navy_l.pk, "note": "x" * 501},
    )
    assert too_long.status_code == 400
    assert LookbookItem.objects.filter(booking=booking).count() == 1


def test_an_item_is_held_for_the_customer_from_the_lookbook(shop, booking, stylist_client):
    add(stylist_client, booking, shop.navy_m)
    item = LookbookItem.objects.get(booking=booking)
    assert act(stylist_client, item, "hold").status_code == 302
    item.refresh_from_db()
    assert item.hold.customer == shop.customer
    assert item.hold.status == Hold.Status.ACTIVE
    assert item.hold.store == shop.here
    assert StockLevel.objects.get(store=shop.here, variant=shop.navy_m).reserved == 1
    # Holding it twice is refused with the reason, and nothing more is reserved.
    again = act(stylist_client, item, "hold")
    assert again.status_code == 409
    assert "already kept aside" in again.content.decode()
    assert StockLevel.objects.get(store=shop.here, variant=shop.navy_m).reserved == 1


def test_the_customer_sees_the_lookbook_only_once_shared(shop, booking, stylist_client):
    add(stylist_client, booking, shop.navy_m, "Soft, goes with anything")
    manage_url = reverse(
        "appointments:manage", args=[services.booking_manage_token(booking=booking)]
    )
    customer_lookbook = reverse("appointments:customer_lookbook", args=[booking.token])
    assert "Soft, goes with anything" not in stylist_client.get(manage_url).content.decode()
    assert "Soft, goes with anything" not in stylist_client.get(customer_lookbook).content.decode()

    response = stylist_client.post(reverse("appointments:lookbook_share", args=[booking.pk]))
    assert response.status_code == 302
    from django.test import Client

    stranger = Client()
    assert "Soft, goes with anything" in stranger.get(manage_url).content.decode()
    assert "Soft, goes with anything" in stranger.get(customer_lookbook).content.decode()


def test_sharing_sends_one_email_with_the_customers_link(
    shop, booking, stylist_client, tasks_run, django_capture_on_commit_callbacks
):
    add(stylist_client, booking, shop.navy_m)
    with django_capture_on_commit_callbacks(execute=True):
        stylist_client.post(reverse("appointments:lookbook_share", args=[booking.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        stylist_client.post(reverse("appointments:lookbook_share", args=[booking.pk]))
    sent = [m for m in mail.outbox if m.subject == "Your stylist's picks for your session"]
    assert len(sent) == 1
    assert "/book/manage/" in sent[0].body


def test_an_empty_lookbook_cannot_be_shared(booking, stylist_client):
    response = stylist_client.post(reverse("appointments:lookbook_share", args=[booking.pk]))
    assert response.status_code == 400
    assert "Add something to the lookbook first" in response.content.decode()


def test_another_stores_staff_get_404_for_the_lookbook(shop, booking, client):
    add_url = reverse("appointments:lookbook", args=[booking.pk])
    client.force_login(shop.other_associate)
    assert client.post(add_url, {"variant": shop.navy_m.pk}).status_code == 404
    assert not LookbookItem.objects.exists()


def test_moving_an_item_someone_removed_meanwhile_changes_nothing(shop, booking):
    other = LookbookItem.objects.create(booking=booking, variant=shop.navy_l, position=1)
    item = LookbookItem.objects.create(booking=booking, variant=shop.navy_m, position=2)
    LookbookItem.objects.filter(pk=item.pk).delete()
    services.lookbook_item_move(item=item, by_places=-1)
    assert list(LookbookItem.objects.values_list("pk", "position")) == [(other.pk, 1)]
