"""Staff change their password, or choose a new one through a link sent by e-mail."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a much longer walk by the river"


@pytest.fixture
def staff_member():
    return UserFactory(username="ada", email="ada@frontline.example")


def signs_in(username: str, password: str) -> bool:
    return Client().login(username=username, password=password)


def test_a_signed_in_member_of_staff_changes_their_password(client, staff_member, password):
    client.force_login(staff_member)
    response = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/changed/"
    assert signs_in("ada", NEW_PASSWORD) and not signs_in("ada", password)


def test_a_weak_new_password_is_refused_with_the_reason(client, staff_member, password):
    client.force_login(staff_member)
    response = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert signs_in("ada", password)


def test_a_forgotten_password_is_reset_through_the_link_sent_by_email(
    client, staff_member, password, mailoutbox
):
    sent = client.post("/accounts/password/reset/", {"email": "ada@frontline.example"})
    assert sent.status_code == 302 and sent["Location"] == "/accounts/password/reset/sent/"
    (message,) = mailoutbox
    assert message.to == ["ada@frontline.example"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body)
    assert link, message.body
    # Django swaps the token in the link for one kept in the session, then asks for the password.
    form_url = client.get(link.group(1))["Location"]
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/password/reset/done/"
    assert signs_in("ada", NEW_PASSWORD) and not signs_in("ada", password)
    # The link works once.
    again = client.get(link.group(1), follow=True).content.decode()
    assert "has been used already or has expired" in again


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": "nobody@frontline.example"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mailoutbox == []


def test_reset_mails_to_one_address_are_limited(client, staff_member, mailoutbox):
    answers = [
        client.post("/accounts/password/reset/", {"email": "ada@frontline.example"}).status_code
        for _ in range(4)
    ]
    assert answers == [302, 302, 302, 429]
    assert len(mailoutbox) == 3
