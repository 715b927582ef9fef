"""Account lockout: too many failed sign-ins lock the account for a while, whatever the address."""

from __future__ import annotations

import time

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lockout_after_three(settings):
    # The per-minute rate limits are tested in test_login; here only the lockout speaks.
    settings.RATELIMIT_ENABLE = False
    settings.LOGIN_LOCKOUT_FAILURES = 3


def sign_in(username: str, password: str, address: str = "198.51.100.1") -> int:
    response = Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"username": username, "password": password}
    )
    return response.status_code


def test_the_right_password_is_refused_once_the_account_is_locked(associate, password):
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):  # from anywhere
        assert sign_in(associate.username, "guess", address) == 200
    assert sign_in(associate.username, password) == 200  # the form again: not signed in
    assert sign_in("someone-else", "guess") == 200


def test_the_token_endpoint_is_locked_alike(associate, password):
    for _ in range(3):
        sign_in(associate.username, "guess")
    response = Client().post(
        "/api/auth/token/", {"username": associate.username, "password": password}
    )
    assert response.status_code == 400


def test_a_sign_in_before_the_limit_clears_the_count(associate, password):
    for _ in range(2):
        sign_in(associate.username, "guess")
    assert sign_in(associate.username, password) == 302
    for _ in range(2):
        sign_in(associate.username, "guess")
    assert sign_in(associate.username, password) == 302


def test_the_lock_ends_after_the_cool_off(associate, password, settings):
    # Long enough for four sign-ins on a loaded machine (5 s once ran out before the fourth).
    settings.LOGIN_LOCKOUT_SECONDS = 12
    first_failure = time.monotonic()
    for _ in range(3):
        sign_in(associate.username, "guess")
    assert sign_in(associate.username, password) == 200
    assert time.monotonic() - first_failure < 12, "the lock was checked after its window"
    # The window runs from the first failure; wait for its end, however long signing in took.
    time.sleep(max(0.0, first_failure + 12.5 - time.monotonic()))
    assert sign_in(associate.username, password) == 302
