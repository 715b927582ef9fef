"""The engine over a chunk: rules together, then consent, cool-down, snooze, cap, merges."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from frontline.actions.engine import recompute_range, suggestions_for_chunk
from frontline.actions.models import ActionSuggestion
from tests.actions.conftest import NOW, chunk_for
from tests.factories import (
    ActionOutcomeFactory,
    ConsentFactory,
    CustomerFactory,
    InteractionFactory,
    OrderFactory,
)

pytestmark = pytest.mark.django_db


def birthday_customer(**extra):
    customer = CustomerFactory(birthday=date(1990, 11, 26), **extra)
    ConsentFactory(customer=customer, channel="sms", purpose="marketing")
    return customer


def rules_for(customer, **overrides) -> dict[str, ActionSuggestion]:
    return {
        suggestion.rule: suggestion
        for suggestion in suggestions_for_chunk(chunk_for(customer, **overrides))
        if suggestion.customer_id == customer.pk
    }


def test_a_consented_customer_gets_the_suggestion_with_the_consented_channel():
    customer = birthday_customer()
    suggestion = rules_for(customer)["birthday_soon"]
    assert suggestion.channel == "sms"
    assert suggestion.reason.startswith("Birthday in 2 days")
    assert suggestion.data["date"] == "2026-11-26"


def test_no_contact_suggestion_without_consent_for_that_purpose():
    no_consent = CustomerFactory(birthday=date(1990, 11, 26))
    service_only = CustomerFactory(birthday=date(1990, 11, 26))
    ConsentFactory(customer=service_only, purpose="service")
    refused = CustomerFactory(birthday=date(1990, 11, 26))
    ConsentFactory(customer=refused, purpose="marketing", granted=False)
    for customer in (no_consent, service_only, refused):
        assert rules_for(customer) == {}


def test_email_is_preferred_when_several_channels_are_consented():
    customer = birthday_customer()
    ConsentFactory(customer=customer, channel="email", purpose="marketing")
    assert rules_for(customer)["birthday_soon"].channel == "email"


def test_a_dismissed_rule_does_not_come_back_within_the_cooldown():
    customer = birthday_customer()
    ActionOutcomeFactory(
        customer=customer,
        kind="dismissed",
        dismiss_reason="not_relevant",
        decided_at=NOW - timedelta(days=10),
    )
    assert "birthday_soon" not in rules_for(customer, cooldown_days=30)
    assert "birthday_soon" in rules_for(customer, cooldown_days=5)


def test_a_dismissal_silences_only_that_rule_for_that_customer():
    customer = birthday_customer()
    other = birthday_customer()
    ConsentFactory(customer=customer, channel="email", purpose="service")
    InteractionFactory(customer=customer, kind="complaint", occurred_at=NOW - timedelta(days=1))
    ActionOutcomeFactory(
        customer=customer, kind="dismissed", dismiss_reason="other", decided_at=NOW
    )
    assert set(rules_for(customer)) == {"complaint_unresolved"}
    assert "birthday_soon" in rules_for(other)


def test_a_snoozed_rule_returns_when_the_snooze_ends():
    customer = birthday_customer()
    ActionOutcomeFactory(
        customer=customer,
        kind="snoozed",
        snoozed_until=NOW + timedelta(days=1),
        decided_at=NOW - timedelta(days=60),
    )
    assert "birthday_soon" not in rules_for(customer)
    later = chunk_for(customer, now=NOW + timedelta(days=2))
    assert [s.rule for s in suggestions_for_chunk(later)] == ["birthday_soon"]


def test_the_cap_keeps_the_highest_scoring_actions():
    customer = CustomerFactory(
        birthday=date(1990, 11, 25),
        anniversary=date(2010, 11, 30),
        tier="vip",
        last_visit_at=NOW - timedelta(days=100),
    )
    ConsentFactory(customer=customer, channel="email", purpose="marketing")
    ConsentFactory(customer=customer, channel="email", purpose="service")
    InteractionFactory(customer=customer, kind="complaint", occurred_at=NOW - timedelta(days=1))
    OrderFactory(customer=customer, total=Decimal("900"), placed_at=NOW - timedelta(days=1))
    everything = rules_for(customer, max_per_customer=10)
    assert len(everything) == 5
    capped = rules_for(customer, max_per_customer=2)
    best_two = sorted(everything.values(), key=lambda s: -s.score)[:2]
    assert set(capped) == {s.rule for s in best_two}


def test_merged_away_customers_get_nothing():
    survivor = birthday_customer()
    merged = birthday_customer(merged_into=survivor)
    InteractionFactory(customer=merged, kind="complaint", occurred_at=NOW)
    ConsentFactory(customer=merged, purpose="service")
    assert rules_for(merged) == {}


def test_recomputing_a_range_is_idempotent_and_replaces_stale_rows():
    customer = birthday_customer()
    stale = ActionSuggestion.objects.create(
        customer=customer, rule="lapsing_high_value", score=1, reason="old", computed_at=NOW
    )
    assert recompute_range(first_id=customer.pk, last_id=customer.pk, now=NOW) == 1
    assert recompute_range(first_id=customer.pk, last_id=customer.pk, now=NOW) == 1
    rows = list(ActionSuggestion.objects.filter(customer=customer).values_list("rule", flat=True))
    assert rows == ["birthday_soon"]
    assert not ActionSuggestion.objects.filter(pk=stale.pk).exists()
