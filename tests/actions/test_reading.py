"""What the associate sees: only their customers, never sold-out products, quiet hours kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontline.actions.conf import ActionSettings
from frontline.actions.selectors import actions_for_customer, quiet_hours_end
from frontline.customers.models import Customer
from tests.factories import (
    ActionSuggestionFactory,
    CustomerFactory,
    StockLevelFactory,
    StoreAssignmentFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db
AFTERNOON = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
LATE_EVENING = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)


@pytest.fixture
def store():
    return StoreFactory(time_zone="Europe/London")


@pytest.fixture
def staff(store):
    return StoreAssignmentFactory(store=store).user


def test_suggestions_come_best_first(staff, store):
    customer = CustomerFactory(preferred_store=store)
    ActionSuggestionFactory(customer=customer, rule="birthday_soon", score=50)
    ActionSuggestionFactory(customer=customer, rule="complaint_unresolved", score=80)
    shown = actions_for_customer(user=staff, customer_id=customer.pk, now=AFTERNOON).actions
    assert [s.rule for s in shown] == ["complaint_unresolved", "birthday_soon"]


def test_customers_of_another_store_are_not_visible(staff):
    elsewhere = CustomerFactory(preferred_store=StoreFactory())
    ActionSuggestionFactory(customer=elsewhere)
    with pytest.raises(Customer.DoesNotExist):
        actions_for_customer(user=staff, customer_id=elsewhere.pk)


def test_a_product_suggestion_is_hidden_once_its_variant_sold_out(staff, store):
    customer = CustomerFactory(preferred_store=store)
    stock = StockLevelFactory(on_hand=1)
    ActionSuggestionFactory(
        customer=customer, rule="new_arrival_brand", data={"variant_id": stock.variant_id}
    )
    assert len(actions_for_customer(user=staff, customer_id=customer.pk, now=AFTERNOON).actions)
    stock.reserved = 1
    stock.save()
    assert actions_for_customer(user=staff, customer_id=customer.pk, now=AFTERNOON).actions == []


def test_contact_suggestions_wait_out_quiet_hours_at_the_store(staff, store):
    customer = CustomerFactory(preferred_store=store)
    ActionSuggestionFactory(customer=customer, rule="birthday_soon", channel="email")
    ActionSuggestionFactory(customer=customer, rule="appointment_prepare", channel="")
    evening = actions_for_customer(user=staff, customer_id=customer.pk, now=LATE_EVENING)
    assert [s.rule for s in evening.actions] == ["appointment_prepare"]
    assert evening.held_for_quiet_hours == 1
    assert evening.contact_resumes_at.isoformat() == "2026-11-25T08:00:00+00:00"
    afternoon = actions_for_customer(user=staff, customer_id=customer.pk, now=AFTERNOON)
    assert afternoon.held_for_quiet_hours == 0
    assert len(afternoon.actions) == 2


def test_quiet_hours_follow_the_store_time_zone():
    from zoneinfo import ZoneInfo

    config = ActionSettings()
    # 14:00 UTC is 23:00 in Tokyo: quiet there, not in London.
    assert quiet_hours_end(AFTERNOON, ZoneInfo("Asia/Tokyo"), config) is not None
    assert quiet_hours_end(AFTERNOON, ZoneInfo("Europe/London"), config) is None
    early = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert quiet_hours_end(early, ZoneInfo("Europe/London"), config).day == 24
