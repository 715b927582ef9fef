from __future__ import annotations

import pytest

from tests.catalog.shop import Shop, build_shop


@pytest.fixture
def shop(db) -> Shop:
    return build_shop()
