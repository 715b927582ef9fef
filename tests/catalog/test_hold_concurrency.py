"""Two associates hold the last unit at the same moment: exactly one gets it.

Real concurrent transactions on PostgreSQL: each thread has its own database connection, and
all of them have read "1 available" before any writes (a barrier inside the live-stock check,
the last step before the transaction), so the conditional UPDATE alone decides. SQLite
serialises writers by locking the whole file, so the race cannot happen there: skipped.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from frontline.catalog import services
from frontline.catalog.confirmation import ConfirmedStock, StockConfirmationUnavailable
from frontline.catalog.models import Hold, StockLevel
from tests.factories import (
    CustomerFactory,
    StockLevelFactory,
    StoreAssignmentFactory,
    StoreFactory,
    VariantFactory,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite locks the whole database for a write, so no race exists",
    ),
]

ASSOCIATES = 4


class MeetAtTheLine:
    """A stock confirmer that lets every associate reach the write at the same moment."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=20)

    def confirm(self, *, sku: str, store_code: str) -> ConfirmedStock:
        self.barrier.wait()
        raise StockConfirmationUnavailable("the test's ERP is down")


def race_for_the_last_unit(round_number: int) -> list[object]:
    store = StoreFactory(code=f"race-{round_number}", latitude=Decimal("51.5"))
    variant = VariantFactory()
    StockLevelFactory(store=store, variant=variant, on_hand=1)
    associates = [StoreAssignmentFactory(store=store).user for _ in range(ASSOCIATES)]
    customers = [CustomerFactory(preferred_store=store) for _ in range(ASSOCIATES)]
    confirmer = MeetAtTheLine(ASSOCIATES)
    outcomes: list[object] = [None] * ASSOCIATES

    def associate_taps_hold(index: int) -> None:
        try:
            outcomes[index] = services.hold_create(
                user=associates[index],
                customer=customers[index],
                variant=variant,
                store=store,
                quantity=1,
                confirmer=confirmer,
            )
        except services.CatalogError as error:
            outcomes[index] = error
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=associate_taps_hold, args=(i,)) for i in range(ASSOCIATES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    stock = StockLevel.objects.get(store=store, variant=variant)
    assert (stock.on_hand, stock.reserved) == (1, 1)
    assert Hold.objects.filter(variant=variant).count() == 1
    return outcomes


@pytest.mark.parametrize("round_number", range(3))
def test_exactly_one_of_several_associates_gets_the_last_unit(round_number):
    outcomes = race_for_the_last_unit(round_number)

    held = [outcome for outcome in outcomes if isinstance(outcome, Hold)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, services.StockJustTaken)]
    assert len(held) == 1
    assert len(refused) == ASSOCIATES - 1
    assert all(error.status_code == 409 for error in refused)
    assert all(error.message.startswith("Just taken") for error in refused)
