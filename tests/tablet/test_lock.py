"""A shared tablet locks after the store's idle time; staff of its store open it with a PIN,
as themselves or switching to someone else, and every attempt is on the audit trail."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.cache import cache
from django.test import Client

from frontline.privacy.models import AccessAction, PersonalDataAccess
from frontline.tablet.models import StaffPin, TabletPolicy
from frontline.tablet.services import pin_set
from tests.factories import TEST_PASSWORD, StoreFactory, staff_at

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def locked(user) -> Client:
    client = signed_in(user)
    assert client.post("/tablet/lock/").status_code == 302
    return client


def test_a_locked_tablet_shows_the_lock_screen_instead_of_any_page(associate):
    client = locked(associate)
    page = client.get("/customers/search/")
    assert page.status_code == 302
    assert page["Location"] == "/tablet/locked/?next=%2Fcustomers%2Fsearch%2F"
    fragment = client.get("/customers/search/", headers={"HX-Request": "true"})
    assert fragment.status_code == 423
    assert fragment["HX-Redirect"].startswith("/tablet/locked/")
    api = client.get("/api/customers/")
    assert api.status_code == 423
    assert api.json()["code"] == "locked"


def test_the_server_locks_a_session_idle_longer_than_the_store_allows(associate, store):
    TabletPolicy.objects.create(store=store, lock_after_minutes=2)
    client = signed_in(associate)
    assert client.get("/").status_code == 200
    key = f"tablet-seen:{client.session.session_key}"
    cache.set(key, time.time() - 3 * 60)
    assert client.get("/").status_code == 302
    assert client.get("/customers/search/")["Location"].startswith("/tablet/locked/")


def test_a_store_that_never_locks_its_tablets(associate, store, settings):
    TabletPolicy.objects.create(store=store, lock_after_minutes=0)
    client = signed_in(associate)
    # Idle for all but a minute of the time after which the session is signed out.
    idle = 60 * settings.SESSION_IDLE_MINUTES - 60
    cache.set(f"tablet-seen:{client.session.session_key}", time.time() - idle)
    page = client.get("/")
    assert page.status_code == 200
    assert 'name="frontline-lock-after" content="0"' in page.content.decode()


def test_the_page_learns_who_is_signed_in_and_when_to_lock(associate):
    page = signed_in(associate).get("/")
    html = page.content.decode()
    assert page["X-Frontline-Staff"] == str(associate.pk)
    assert f'name="frontline-staff" content="{associate.pk}"' in html
    assert 'name="frontline-lock-after" content="300"' in html  # the default: five minutes


def test_the_lock_screen_names_nobody_as_signed_in(associate):
    screen = locked(associate).get("/tablet/locked/")
    assert screen.status_code == 200
    assert "X-Frontline-Staff" not in screen.headers
    assert "frontline-staff" not in screen.content.decode()
    # Nor does it listen for live notifications, which name customers.
    assert "notifications.js" not in screen.content.decode()


def test_the_pin_opens_the_tablet_for_its_owner_where_they_left_it(associate):
    pin_set(staff=associate, pin="4826")
    client = locked(associate)
    session_key = client.session.session_key
    opened = client.post(
        "/tablet/unlock/", {"staff": associate.pk, "pin": "4826", "next": "/customers/search/"}
    )
    assert opened.status_code == 302
    assert opened["Location"] == "/customers/search/"
    assert client.session.session_key == session_key
    assert client.get("/customers/search/").status_code == 200
    assert PersonalDataAccess.objects.filter(
        staff=associate, action=AccessAction.SIGNED_IN, detail="tablet PIN"
    ).exists()


def test_a_colleague_switches_in_with_their_pin_in_a_session_of_their_own(associate, colleague):
    pin_set(staff=colleague, pin="7391")
    client = locked(associate)
    previous = client.session.session_key
    switched = client.post("/tablet/unlock/", {"staff": colleague.pk, "pin": "7391"})
    assert switched.status_code == 302
    assert switched["Location"] == "/"
    assert client.session.session_key != previous
    assert client.get("/")["X-Frontline-Staff"] == str(colleague.pk)
    assert PersonalDataAccess.objects.filter(
        staff=colleague, action=AccessAction.SIGNED_IN
    ).exists()


def test_a_wrong_pin_is_refused_recorded_and_locks_the_pin_after_five(associate, colleague):
    pin_set(staff=colleague, pin="7391")
    client = locked(associate)
    for _ in range(5):
        refused = client.post("/tablet/unlock/", {"staff": colleague.pk, "pin": "0000"})
        assert refused.status_code == 400
        assert "That PIN is not right." in refused.content.decode()
    right_too_late = client.post("/tablet/unlock/", {"staff": colleague.pk, "pin": "7391"})
    assert right_too_late.status_code == 400
    assert "Too many wrong PINs" in right_too_late.content.decode()
    failures = PersonalDataAccess.objects.filter(
        staff=colleague, action=AccessAction.SIGN_IN_FAILED
    )
    assert failures.count() == 6
    assert client.get("/").status_code == 302  # still locked


def test_signing_in_with_the_password_ends_the_pin_lock(associate, colleague):
    pin_set(staff=colleague, pin="7391")
    client = locked(associate)
    for _ in range(5):
        client.post("/tablet/unlock/", {"staff": colleague.pk, "pin": "0000"})
    Client().post("/accounts/login/", {"username": colleague.username, "password": TEST_PASSWORD})
    assert client.post("/tablet/unlock/", {"staff": colleague.pk, "pin": "7391"}).status_code == 302


def test_the_unlock_is_rate_limited_per_account(associate, colleague):
    pin_set(staff=colleague, pin="7391")
    client = locked(associate)
    statuses = [
        client.post("/tablet/unlock/", {"staff": colleague.pk, "pin": "1111"}).status_code
        for _ in range(11)
    ]
    assert statuses[-1] == 429


def test_staff_of_another_store_cannot_open_this_stores_tablet(associate):
    outsider = staff_at(StoreFactory(code="paris"))
    pin_set(staff=outsider, pin="5502")
    client = locked(associate)
    screen = client.get("/tablet/locked/").content.decode()
    assert f'value="{outsider.pk}"' not in screen
    refused = client.post("/tablet/unlock/", {"staff": outsider.pk, "pin": "5502"})
    assert refused.status_code == 400
    assert client.get("/").status_code == 302


def test_a_pin_is_kept_hashed_and_set_only_with_the_password(associate):
    client = signed_in(associate)
    wrong = client.post("/tablet/pin/", {"password": "not it", "pin": "4826", "pin_again": "4826"})
    assert wrong.status_code == 400
    assert not StaffPin.objects.exists()
    done = client.post(
        "/tablet/pin/", {"password": TEST_PASSWORD, "pin": "4826", "pin_again": "4826"}
    )
    assert done.status_code == 302
    stored = StaffPin.objects.get(staff=associate).pin_hash
    assert "4826" not in stored
    assert identify_hasher(stored)


@pytest.mark.parametrize("pin", ["123", "1111", "1234", "4321", "12a4", "123456789"])
def test_a_pin_too_short_too_long_or_too_easy_is_refused(associate, pin):
    client = signed_in(associate)
    refused = client.post("/tablet/pin/", {"password": TEST_PASSWORD, "pin": pin, "pin_again": pin})
    assert refused.status_code == 400
    assert not StaffPin.objects.exists()
