from __future__ import annotations

import pytest

from tests.catalog.shop import Shop, build_shop


@pytest.fixture
def shop(db) -> Shop:
    return build_shop()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The default hasher costs about a second per staff member here; these tests make many."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
