from __future__ import annotations

import pytest

from tests.factories import CustomerFactory, StoreFactory, staff_at


@pytest.fixture
def store(db):
    return StoreFactory(code="london", name="London")


@pytest.fixture
def associate(store):
    return staff_at(store, first_name="Alice", last_name="Archer")


@pytest.fixture
def colleague(store):
    return staff_at(store, first_name="Bob", last_name="Baker")


@pytest.fixture
def customer(store):
    return CustomerFactory(first_name="Ada", last_name="Lovelace", preferred_store=store)


@pytest.fixture
def associate_client(client, associate):
    client.force_login(associate)
    return client


# The live notifications socket, opened through the whole ASGI stack (the lock closes it).
from tests.notifications.conftest import open_socket  # noqa: E402, F401
