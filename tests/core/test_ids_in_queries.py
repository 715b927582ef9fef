"""Ids typed into query strings: anything that is not one is ignored, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from frontline.core.converters import LARGEST_ID, id_from_text
from frontline.staff.models import StaffRole
from tests.factories import StoreFactory, staff_at


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("42", 42), ("²", None), ("-3", None), ("0", None), ("", None), (None, None),
     (str(LARGEST_ID), LARGEST_ID), (str(LARGEST_ID + 1), None)],
)  # fmt: skip
def test_only_whole_numbers_a_key_can_hold_are_ids(raw, expected):
    assert id_from_text(raw) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/followups/team/?store=²", "/stock/?customer=²"])
def test_a_digit_that_is_not_a_number_is_not_a_server_error(url):
    client = Client(raise_request_exception=False)
    client.force_login(staff_at(StoreFactory(), StaffRole.MANAGER))
    assert client.get(url).status_code < 500
