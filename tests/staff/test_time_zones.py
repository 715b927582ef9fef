"""Pages show times in the time zone of the store the staff member works at."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils.formats import date_format

from frontline.catalog.models import Hold
from frontline.catalog.services import hold_create
from tests.catalog.shop import build_shop
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def hold_in_new_york():
    shop = build_shop()
    shop.here.time_zone = "America/New_York"
    shop.here.save()
    hold = hold_create(
        user=shop.associate, customer=shop.customer, variant=shop.navy_m, store=shop.here
    )
    Hold.objects.filter(pk=hold.pk).update(expires_at=datetime(2026, 12, 8, 17, 0, tzinfo=UTC))
    return shop, hold


def test_a_hold_ends_at_the_stores_local_time(hold_in_new_york):
    shop, hold = hold_in_new_york
    client = Client()
    assert client.login(username=shop.associate.username, password=TEST_PASSWORD)
    page = client.get(f"/stock/holds/{hold.pk}/").content.decode()
    assert "Tue 8 Dec 2026, 12:00 EST" in page  # 17:00 UTC is noon in New York in December


def test_without_a_session_times_stay_in_utc(hold_in_new_york):
    shop, hold = hold_in_new_york
    client = Client()
    client.force_login(shop.associate)
    # force_login signs in like a login does, so the zone is remembered; dropping it from the
    # session (a session from before this feature) falls back to UTC.
    session = client.session
    session.pop("frontline_time_zone")
    session.save()
    page = client.get(f"/stock/holds/{hold.pk}/").content.decode()
    assert "Tue 8 Dec 2026, 17:00 UTC" in page


def test_the_message_after_holding_gives_the_end_in_the_keeping_store_s_time():
    shop = build_shop()
    shop.here.time_zone = "America/New_York"
    shop.here.save()
    client = Client()
    client.force_login(shop.associate)
    page = client.post(
        f"/stock/variants/{shop.navy_m.pk}/hold/",
        {"customer_number": shop.customer.number, "store": shop.here.pk, "quantity": 1},
        follow=True,
    ).content.decode()
    hold = Hold.objects.get()
    local = hold.expires_at.astimezone(shop.here.time_zone)
    assert f"until {date_format(local, 'D j M H:i')} E" in page  # EST or EDT, never UTC
    assert " UTC." not in page
