from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client

from frontline.followups.selectors import store_today
from tests.factories import CustomerFactory, StoreFactory, staff_at


@pytest.fixture
def store(db):
    return StoreFactory(code="london", name="London", time_zone="Europe/London")


@pytest.fixture
def other_store(db):
    return StoreFactory(code="paris", name="Paris", time_zone="Europe/Paris")


@pytest.fixture
def manager(store):
    return staff_at(store, "manager", username="manager", first_name="Mona", last_name="Grey")


@pytest.fixture
def associate(store):
    return staff_at(store, username="associate", first_name="Alex", last_name="Reed")


@pytest.fixture
def colleague(store):
    return staff_at(store, username="colleague", first_name="Cleo", last_name="Hart")


@pytest.fixture
def outsider(other_store):
    return staff_at(other_store, username="outsider", first_name="Otto", last_name="Bauer")


@pytest.fixture
def other_manager(other_store):
    return staff_at(other_store, "manager", username="other-manager")


@pytest.fixture
def customer(store):
    return CustomerFactory(
        first_name="Ada", last_name="Lovelace", preferred_store=store, phone="+447700900123"
    )


@pytest.fixture
def customer_elsewhere(other_store):
    return CustomerFactory(first_name="Marie", last_name="Curie", preferred_store=other_store)


@pytest.fixture
def today(store) -> date:
    return store_today(store)


@pytest.fixture
def tomorrow(today) -> date:
    return today + timedelta(days=1)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
