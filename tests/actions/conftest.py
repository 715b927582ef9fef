from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontline.actions.conf import ActionSettings
from frontline.actions.registry import BatchContext, Chunk

# A fixed Tuesday afternoon in London, so that dates and quiet hours are predictable.
NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


def chunk_for(*customers, now: datetime = NOW, **overrides) -> Chunk:
    ids = [customer.pk for customer in customers] or [0]
    context = BatchContext(now=now, config=ActionSettings(**overrides))
    return Chunk(first_id=min(ids), last_id=max(ids), context=context)


def findings(rule, chunk: Chunk) -> dict[int, dict]:
    return {finding.customer_id: finding.facts for finding in rule.eligible(chunk)}
