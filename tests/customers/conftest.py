from __future__ import annotations

import pytest

from tests.factories import CustomerFactory, StoreAssignmentFactory, StoreFactory


@pytest.fixture
def store(db):
    return StoreFactory(code="london", name="London")


@pytest.fixture
def other_store(db):
    return StoreFactory(code="paris", name="Paris")


@pytest.fixture
def associate(store):
    return StoreAssignmentFactory(store=store, role="associate").user


@pytest.fixture
def manager(store):
    return StoreAssignmentFactory(store=store, role="manager").user


@pytest.fixture
def customer(store):
    return CustomerFactory(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+447700900123",
        preferred_store=store,
        number="C00001234",
    )


@pytest.fixture
def stranger(other_store):
    """A customer of another store: the associate finds them (lookup is brand-wide), but the
    store work done for them (follow-ups, holds, messages) is their store's."""
    return CustomerFactory(
        first_name="Ada", last_name="Byron", email="byron@example.com", preferred_store=other_store
    )


@pytest.fixture
def associate_client(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client
