from __future__ import annotations

import pytest
from django.urls import reverse


def test_the_app_asks_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_associate_signs_in_and_sees_the_search_box(client, associate, password):
    response = client.post(
        "/accounts/login/", {"username": associate.username, "password": password}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user == associate
    assert b'id="customer-search"' in response.content


def test_a_wrong_password_shows_an_error_and_does_not_sign_in(client, associate):
    response = client.post("/accounts/login/", {"username": associate.username, "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert not response.wsgi_request.user.is_authenticated


def test_signing_out_ends_the_session(client, associate):
    client.force_login(associate)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_device_gets_an_api_token_for_valid_credentials(client, associate, password):
    response = client.post(
        "/api/auth/token/", {"username": associate.username, "password": password}
    )
    assert response.status_code == 200
    assert len(response.json()["token"]) == 40


@pytest.mark.parametrize("password_given", ["wrong", ""])
def test_a_token_request_with_bad_credentials_is_a_400_with_a_message(
    client, associate, password_given
):
    response = client.post(
        "/api/auth/token/", {"username": associate.username, "password": password_given}
    )
    assert response.status_code == 400
    assert response.json()


def wrong_passwords_until_paused(client, url: str, username: str):
    """Up to 21 wrong passwords, stopping at the first refusal: (statuses, last response).

    The limit counts per clock minute: 21 attempts span at most two windows, so one of them
    sees an 11th attempt however the attempts fall across a minute boundary.
    """
    statuses = []
    for _ in range(21):
        response = client.post(url, {"username": username, "password": "guess"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    return statuses, response


def test_repeated_wrong_passwords_for_one_account_are_paused_with_a_429(client, associate):
    statuses, response = wrong_passwords_until_paused(
        client, "/accounts/login/", associate.username
    )
    assert statuses[:10] == [200] * 10
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert b"Too many attempts" in response.content


def test_token_requests_are_throttled(client, associate):
    for _ in range(10):
        client.post("/api/auth/token/", {"username": associate.username, "password": "guess"})
    response = client.post(
        "/api/auth/token/", {"username": associate.username, "password": "guess"}
    )
    assert response.status_code == 429
    assert "throttled" in response.json()["detail"].lower()


def test_the_admin_sign_in_is_rate_limited_like_the_apps(client, associate):
    statuses, response = wrong_passwords_until_paused(client, "/admin/login/", associate.username)
    assert statuses[:10] == [200] * 10
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
