"""API tokens: the same answers as DRF's own token check, with nothing remembered between
requests."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


# DRF answers a failed token with 403 rather than 401 here because session authentication,
# which sends no WWW-Authenticate challenge, is listed first.
REFUSED = 403


def with_token(client, key: str):
    return client.get("/api/customers/", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_signs_its_owner_in(client, associate):
    response = with_token(client, Token.objects.create(user=associate).key)
    assert response.status_code == 200
    assert response.wsgi_request.user == associate


def test_an_unknown_token_is_refused_with_drfs_message(client):
    response = with_token(client, "0" * 40)
    assert response.status_code == REFUSED
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_a_revoked_token_stops_working_at_once(client, associate):
    token = Token.objects.create(user=associate)
    assert with_token(client, token.key).status_code == 200
    token.delete()
    assert with_token(client, token.key).status_code == REFUSED


def test_the_token_of_a_deactivated_user_is_refused(client, associate):
    token = Token.objects.create(user=associate)
    associate.is_active = False
    associate.save(update_fields=["is_active"])
    response = with_token(client, token.key)
    assert response.status_code == REFUSED
    assert response.json() == {
        "detail": "User inactive or deleted.",
        "code": "authentication_failed",
    }
