"""The app bar shows each staff member the pages they can use, and only those."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import StoreAssignmentFactory, StoreFactory

pytestmark = pytest.mark.django_db

MANAGER_PAGES = ["customers:duplicates", "actions:performance", "sync:runs"]


def links_on_home(client, user) -> set[str]:
    client.force_login(user)
    html = client.get("/").content.decode()
    return {name for name in MANAGER_PAGES if f'href="{reverse(name)}"' in html}


def test_managers_find_their_pages_in_the_app_bar_and_can_open_them(client):
    manager = StoreAssignmentFactory(store=StoreFactory(), role="manager").user
    assert links_on_home(client, manager) == set(MANAGER_PAGES)
    for name in MANAGER_PAGES:
        assert client.get(reverse(name)).status_code == 200, name


def test_associates_are_not_offered_pages_they_would_be_refused(client):
    associate = StoreAssignmentFactory(store=StoreFactory(), role="associate").user
    assert links_on_home(client, associate) == set()
    for name in MANAGER_PAGES:
        assert client.get(reverse(name)).status_code == 403, name
