"""A session idle for longer than SESSION_IDLE_MINUTES is signed out on the server: a shared
tablet left on the counter, or locked and forgotten, needs the password again, whatever the
page's own timer did (it may never have run) and however long the session cookie lives."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client

from frontline.tablet.models import TabletPolicy

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200
    return client


def idle_for(client: Client, seconds: float) -> None:
    """As if the session's last request came ``seconds`` ago (the middleware's own stamp)."""
    cache.set(f"tablet-seen:{client.session.session_key}", time.time() - seconds)


def test_a_session_idle_too_long_is_signed_out(associate, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client = signed_in(associate)
    idle_for(client, 31 * 60)
    page = client.get("/customers/search/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert SESSION_KEY not in client.session
    # Signed out for good, not for one request: the API refuses the session too.
    assert client.get("/api/customers/").status_code in (401, 403)


def test_activity_within_the_idle_time_keeps_the_session(associate, store, settings):
    settings.SESSION_IDLE_MINUTES = 30
    TabletPolicy.objects.create(store=store, lock_after_minutes=0)
    client = signed_in(associate)
    for _ in range(3):
        idle_for(client, 29 * 60)
        assert client.get("/customers/search/").status_code == 200
    assert client.session[SESSION_KEY] == str(associate.pk)


def test_a_tablet_locked_and_forgotten_is_signed_out_not_just_locked(associate, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client = signed_in(associate)
    assert client.post("/tablet/lock/").status_code == 302
    assert client.get("/tablet/locked/").status_code == 200
    idle_for(client, 31 * 60)
    page = client.get("/tablet/locked/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert SESSION_KEY not in client.session


def test_the_lock_comes_first_and_keeps_the_session(associate, store, settings):
    settings.SESSION_IDLE_MINUTES = 30
    TabletPolicy.objects.create(store=store, lock_after_minutes=5)
    client = Client()
    client.force_login(associate)  # the store's lock time is read at sign-in
    assert client.get("/").status_code == 200
    idle_for(client, 6 * 60)
    assert client.get("/customers/search/")["Location"].startswith("/tablet/locked/")
    assert client.session[SESSION_KEY] == str(associate.pk)


def test_the_idle_time_comes_from_the_environment_and_cannot_be_switched_off():
    from tests.test_settings import load_settings

    assert load_settings(SESSION_IDLE_MINUTES="15").returncode == 0
    refused = load_settings(SESSION_IDLE_MINUTES="0")
    assert refused.returncode != 0
    assert "SESSION_IDLE_MINUTES=0 is below the minimum of 1" in refused.stderr
